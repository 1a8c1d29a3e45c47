"""SCXML events as plain data (they are queued, persisted and sent between sessions)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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

    def to_dict(self) -> dict:
        out = asdict(self)
        if isinstance(self.data, XmlValue) or _has_xml(self.data):
            out["data"] = _xml_to_data(self.data)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Event:
        data = dict(data)
        data["data"] = _data_to_xml(data.get("data"))
        return cls(**data)


def _has_xml(value) -> bool:
    if isinstance(value, XmlValue):
        return True
    if isinstance(value, dict):
        return any(_has_xml(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_xml(v) for v in value)
    return False


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
