"""The host's listener registry: the one way to observe sessions."""

from __future__ import annotations

import pytest

from openors.scxml import SessionHost, load_string
from openors.scxml.listeners import SessionListener

CHART = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="a" datamodel="ecmascript">
  <state id="a"><onentry><log label="hi" expr="1"/></onentry><transition event="go" target="done"/></state>
  <final id="done"/>
</scxml>"""


class Recorder(SessionListener):
    def __init__(self):
        self.seen = []

    def session_started(self, session):
        self.seen.append("started")

    def event_taken(self, session, event):
        self.seen.append(f"event {event.name}")

    def state_entered(self, session, state):
        self.seen.append(f"enter {state.id}")

    def logged(self, session, label, value, level):
        self.seen.append(f"log {label}={value}")

    def session_ended(self, session):
        self.seen.append("ended")


def test_a_listener_hears_a_session_from_start_to_end_in_order():
    host = SessionHost()
    recorder = Recorder()
    host.listeners.subscribe(recorder)
    session = host.start_session(load_string(CHART))
    session.send("go")
    assert recorder.seen == ["started", "enter a", "log hi=1", "event go", "enter done", "ended"]


def test_an_unsubscribed_listener_hears_nothing_more():
    host = SessionHost()
    recorder = Recorder()
    subscription = host.listeners.subscribe(recorder)
    session = host.start_session(load_string(CHART))
    subscription.cancel()
    session.send("go")
    assert "event go" not in recorder.seen


def test_one_function_can_listen_to_one_hook():
    host = SessionHost()
    names = []
    host.listeners.on("event_taken", lambda session, event: names.append(event.name))
    host.start_session(load_string(CHART)).send("go")
    assert names == ["go"]


def test_a_listener_with_no_hook_or_an_unknown_hook_is_refused():
    host = SessionHost()
    with pytest.raises(TypeError, match="none of the hooks"):
        host.listeners.subscribe(object())
    with pytest.raises(ValueError, match="no hook 'on_event'"):
        host.listeners.on("on_event", print)
