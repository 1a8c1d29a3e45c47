"""A small simulated site for the dialog and session module tests: one routing point whose
application is a document the test writes (its body goes inside the one state), on a virtual clock,
with every SCXML event a session takes recorded through the world's trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openors.ors.catalogue import check_event
from openors.testing import World

CUSTOMER = "+15551110001"
TOPOLOGY: dict[str, Any] = {
    "settings": {"request_latency": 0.1, "request_timeout": 5},
    "dns": [{"dn": "5000", "type": "routing_point", "application": "app"},
            {"dn": "7001", "type": "extension"}],
    "agents": [{"id": "alice", "dn": "7001", "state": "ready", "answer_delay": 1, "talk_time": None}],
}
# The same site with an e-mail server and a chat server whose inbound queues run the application.
MULTIMEDIA_TOPOLOGY: dict[str, Any] = {
    **TOPOLOGY,
    "interaction_queues": [{"name": "email_in", "application": "app"}, {"name": "chat_in", "application": "app"}],
    "servers": {"email": {"inbound_queue": "email_in", "address": "help@example.com"},
                "chat": {"inbound_queue": "chat_in"}},
}
DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml"
       xmlns:dialog="http://www.genesyslab.com/modules/dialog"
       xmlns:classification="http://www.genesyslab.com/modules/classification"
       xmlns:queue="http://www.genesyslab.com/modules/queue"
       xmlns:statistic="http://www.genesyslab.com/modules/statistic"
       xmlns:session="http://www.genesyslab.com/modules/session"
       xmlns:ixn="http://www.genesyslab.com/modules/interaction"
       version="1.0" initial="main" _persist="false">
  <datamodel>
    <data id="ixnid" expr="''"/>
    <data id="rid" expr="''"/>
    {datamodel}
  </datamodel>
  <state id="main">
    <transition event="interaction.added" cond="ixnid == ''">
      <assign location="ixnid" expr="_event.data.interactionid"/>
    </transition>
    {body}
  </state>
  <final id="end"/>
</scxml>
"""


class ModuleSite:
    def __init__(self, tmp_path: Path, body: str, *, datamodel: str = "", config_lists=None,
                 request_timeout: float = 30.0, extra_documents: dict[str, str] | None = None,
                 topology: dict[str, Any] | None = None):
        app = tmp_path / "app.scxml"
        app.write_text(DOCUMENT.format(body=body, datamodel=datamodel), encoding="utf-8")
        for name, text in (extra_documents or {}).items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        self.site = World(topology or TOPOLOGY, applications={"app": app}, request_timeout=request_timeout,
                          config_lists=config_lists, seed=1)
        self.clock, self.platform, self.host, self.world = (self.site.clock, self.site.platform, self.site.host,
                                                            self.site.world)
        self.records = self.site.trace

    def call(self, **caller) -> str:
        return self.platform.inbound_call(CUSTOMER, "5000", patience=600, **caller)

    def run(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass, sessions taking their events as they come."""
        self.site.advance(seconds)

    def events(self, prefix: str = "") -> list[dict]:
        return [r for r in self.records if r["kind"] == "event" and r["name"].startswith(prefix)]

    def names(self, prefix: str = "") -> list[str]:
        return [e["name"] for e in self.events(prefix)]

    def one(self, name: str) -> dict:
        found = [e for e in self.events() if e["name"] == name]
        assert len(found) == 1, (name, self.names())
        return found[0]

    def logs(self, label: str) -> list[Any]:
        return [r["value"] for r in self.records if r["kind"] == "log" and r["label"] == label]

    def actions(self, name: str) -> list[dict]:
        return [r for r in self.records if r["kind"] == "action" and r["action"] == name]

    def check_catalogue(self, *prefixes: str) -> None:
        """Every module event the session took matches its catalogue entry."""
        for event in self.events():
            bare = event["name"].removeprefix("error.")
            if bare.startswith(prefixes):
                assert check_event(event["name"], event["data"]) == [], event
