"""Which document a routing point runs: ORS placeholders in the application URL, alternate URLs."""


from openors.ors.world import fill_placeholders
from openors.testing import World

STRATEGY = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="w">
  <state id="w"><transition event="interaction.added" target="end"><log label="app" expr="'{name}'"/></transition></state>
  <final id="end"/></scxml>"""


def test_placeholders_take_their_values_from_the_interaction():
    snap = {"properties": {"ani": "+1 555", "dnis": "5000", "subject": "Order 7"},
            "udata": {"lang": "fr", "tier": "gold"}, "location": "5000"}
    url = "http://apps/[DNIS]/main.scxml?ani=[ANI]&lang=[UDATA.lang]&all=[UDATA]&kv=[UDATA.*]&s=[EMAILSUBJECT]"
    assert fill_placeholders(url, snap) == (
        "http://apps/5000/main.scxml?ani=%2B1%20555&lang=fr&all=lang=fr&tier=gold&kv=lang:fr,tier:gold&s=Order%207")


def _run(tmp_path, app_url):
    world = World(applications={"main-inbound": app_url})
    world.platform.inbound_call("+15550001", "5000", udata={"lang": "fr"})
    world.advance(5)
    return world.trace.logs("app")


def test_a_routing_point_runs_the_document_its_placeholders_name(tmp_path):
    (tmp_path / "main-fr.scxml").write_text(STRATEGY.format(name="french"))
    (tmp_path / "main-en.scxml").write_text(STRATEGY.format(name="english"))
    assert _run(tmp_path, f"{tmp_path.as_uri()}/main-[UDATA.lang].scxml") == ["french"]


def test_the_alternate_url_is_used_when_the_first_cannot_be_loaded(tmp_path):
    (tmp_path / "backup.scxml").write_text(STRATEGY.format(name="backup"))
    (tmp_path / "broken.scxml").write_text("<scxml")
    urls = f"{tmp_path.as_uri()}/broken.scxml {tmp_path.as_uri()}/backup.scxml"
    assert _run(tmp_path, urls) == ["backup"]
