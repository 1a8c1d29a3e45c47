"""SCXML events as plain data (they are queued, persisted and sent between sessions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .values import XmlValue


@dataclass(slots=True)
class Event:
    name: str
    type: str = "external"  # "platform" | "internal" | "external"
    data: Any = None
    sendid: str | None = None
    origin: str | None = None
    origintype: str | None = None
    invokeid: str | None = None
    raw: str | None = None  # the event as it travelled (form-encoded pairs, HTTP body)
    _queued_dict: dict | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        # By hand rather than dataclasses.asdict (a generic deep copy, ten times slower): queued
        # events are snapshotted after every change, and a full queue holds a thousand of them.
        # _xml_to_data copies the data as it goes, so later changes to the event cannot reach it.
        return {"name": self.name, "type": self.type, "data": _xml_to_data(self.data), "sendid": self.sendid,
                "origin": self.origin, "origintype": self.origintype, "invokeid": self.invokeid, "raw": self.raw}

    def queued_dict(self) -> dict:
        """`to_dict()` of an event waiting in a queue, made once: nothing changes a delivered event,
        and a session's queue is snapshotted again after every change of the session."""
        if self._queued_dict is None:
            self._queued_dict = self.to_dict()
        return self._queued_dict

    @classmethod
    def from_dict(cls, data: dict) -> Event:
        data = dict(data)
        data["data"] = _data_to_xml(data.get("data"))
        return cls(**data)


def _xml_to_data(value):
    if isinstance(value, XmlValue):
        return {"__xml__": value.xml}
    if isinstance(value, dict):
        return {k: _xml_to_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_xml_to_data(v) for v in value]
    return value


def _data_to_xml(value):
    if isinstance(value, dict):
        if len(value) == 1 and "__xml__" in value:
            return XmlValue(value["__xml__"])
        return {k: _data_to_xml(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_data_to_xml(v) for v in value]
    return value
