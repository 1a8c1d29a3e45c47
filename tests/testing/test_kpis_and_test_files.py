"""The KPIs of a known run, and the test-file example of docs/testing.md against the schema."""

import re
from pathlib import Path

from openors.testing import World
from openors.testing.kpi import compute
from openors.testing.spec import load_test_file

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "src/openors/platform/data/scenarios/inbound-calls.yaml"


def test_kpis_count_answers_abandons_waits_and_service_level_of_a_scenario():
    world = World(scenario=SCENARIO)
    world.run_until(600)
    kpis = compute(world.trace, world.topology, world.now, threshold=10)
    o = kpis.overall
    assert (o.offered, o.answered, o.abandoned, o.waiting) == (3, 2, 1, 0)
    assert o.service_level == 66.7  # 2 answered within 10 s of 3 judged
    assert o.max_wait == 15  # the caller to 5002 gave up after 15 s
    assert kpis.by_queue["VQ_Sales"].answered == 1 and kpis.by_queue["5002"].abandoned == 1
    assert kpis.by_agent["bob"].answered == 1 and kpis.by_agent["dave"].answered == 0
    assert 0 < kpis.by_agent["bob"].occupancy < 100
    assert kpis.waiting_series[-1] == (600, 0)


def test_the_test_file_example_of_the_docs_follows_the_schema(tmp_path):
    text = (ROOT / "docs/testing.md").read_text()
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "tests:" in b)
    path = tmp_path / "example.test.yaml"
    path.write_text(example)
    [case] = load_test_file(path)
    assert case.settings["zone"] == "Europe/Paris" and case.expect["aggregate"]["offered"] == 1
