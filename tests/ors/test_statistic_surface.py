"""The rest of the statistic module: `getAvgData` / `getMinData` / `getMaxData` over target lists,
and Direct Statistic Definitions in `sData` and `<statistic:subscribe>`."""

from __future__ import annotations

import pytest

from openors.ors.statistic.definitions import statistic_name
from tests.ors.module_site import TOPOLOGY, ModuleSite

AGENTS_TOPOLOGY = {
    **TOPOLOGY,
    "dns": TOPOLOGY["dns"] + [{"dn": "7002", "type": "extension"}, {"dn": "7003", "type": "extension"}],
    "agents": [
        {"id": "alice", "dn": "7001", "state": "ready", "answer_delay": 1, "talk_time": None},
        {"id": "bob", "dn": "7002", "state": "not_ready", "answer_delay": 1, "talk_time": None},
        {"id": "carol", "dn": "7003", "state": "ready", "answer_delay": 1, "talk_time": None},
    ],
    "agent_groups": {"Sales": ["alice", "bob"], "Support": ["carol"]},
}


def site_logging(tmp_path, expressions: dict[str, str], delay: str = "'10s'") -> ModuleSite:
    logs = "".join(f'<log label="{label}" expr="String({expr})"/>' for label, expr in expressions.items())
    body = f"""
    <transition event="interaction.present"><send event="'look'" delay="{delay}"/></transition>
    <transition event="look">{logs}</transition>"""
    return ModuleSite(tmp_path, body, topology=AGENTS_TOPOLOGY)


def test_avg_min_max_over_a_target_list_pick_the_overflow_group(tmp_path):
    # A user's overflow rule: route to the group whose agents waited longest on average.
    site = site_logging(tmp_path, {
        "avg": "_genesys.statistic.getAvgData('alice@SS.A, bob@SS.A, carol@SS.A', 'StatTimeInReadyState')",
        "min": "_genesys.statistic.getMinData(['alice@SS.A', 'bob@SS.A', 'carol@SS.A'], 'StatTimeInReadyState')",
        "max": "_genesys.statistic.getMaxData('Sales@SS.GA,Support@SS.GA', 'StatAgentsAvailable')",
        "none": "_genesys.statistic.getAvgData('', 'StatAgentsAvailable')",
        "unknown stat": "_genesys.statistic.getMaxData('alice@SS.A', 'NoSuchStatistic')",
    })
    site.call()
    site.run(20)
    # alice and carol ready for 10 s (the call waits on the routing point), bob not ready
    assert float(site.logs("avg")[0]) == pytest.approx(20 / 3, abs=0.3)
    assert float(site.logs("min")[0]) == 0
    assert float(site.logs("max")[0]) == 1
    assert site.logs("none") == ["undefined"] and site.logs("unknown stat") == ["undefined"]


def test_sdata_takes_a_direct_statistic_definition(tmp_path):
    site = site_logging(tmp_path, {
        "available": "_genesys.statistic.sData('Sales@SS.GA', {Category: 'CurrentNumber', "
                     "MainMask: 'WaitForNextCall', Subject: 'DNAction', Objects: 'GroupAgents'})",
        "total": "_genesys.statistic.sData('Sales@SS.GA', {category: 'CurrentNumber', mainMask: '*'})",
        "by name": "_genesys.statistic.sData('Sales@SS.GA', {name: 'StatAgentsTotal'})",
        "unknown": "_genesys.statistic.sData('Sales@SS.GA', {Category: 'HistoricalAverage', MainMask: 'Foo'})",
    })
    site.call()
    site.run(20)
    assert site.logs("available") == ["1"] and site.logs("total") == ["2"] and site.logs("by name") == ["2"]
    assert site.logs("unknown") == ["undefined"]


def test_subscribe_with_a_definition_reports_the_statistic_it_maps_to(tmp_path):
    site = ModuleSite(tmp_path, """
    <transition event="interaction.present">
      <statistic:subscribe object="'Sales@SS.GA'"
          statistic="({Category: 'CurrentNumber', MainMask: 'WaitForNextCall'})"/>
      <statistic:subscribe object="'Sales@SS.GA'" statistic="({Category: 'Nonsense'})"/>
    </transition>
    <transition event="statistic.update"><log label="update" expr="_event.data.statistic + '=' + _event.data.value"/>
    </transition>
    <transition event="error.statistic.subscribe"><log label="refused" expr="_event.data.error"/></transition>""",
                      topology=AGENTS_TOPOLOGY)
    site.call()
    site.run(5)
    assert site.logs("update") == ["StatAgentsAvailable=1"]
    assert site.logs("refused") == ["Request Invalid"]
    site.check_catalogue("statistic.")


@pytest.mark.parametrize(("definition", "statistic"), [
    ({"Category": "CurrentNumber", "MainMask": "CallInbound, CallOutbound"}, "StatAgentsBusy"),
    ({"CATEGORY": "TotalNumber", "MAINMASK": "CallAnswered"}, "StatCallsAnswered"),
    ({"Category": "EstimTimeToAnswer"}, "StatExpectedWaitingTime"),
    ({"Category": "CurrentNumber", "MainMask": "NoSuchMask"}, None),
    ("StatAgentsTotal", "StatAgentsTotal"),
    ("NotAStatistic", None),
])
def test_definitions_map_by_category_and_first_mask_word(definition, statistic):
    assert statistic_name(definition) == statistic
