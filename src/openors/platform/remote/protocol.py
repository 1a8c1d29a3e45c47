"""`openors-platform/1`: the frames between ORS nodes and the platform (docs/platform-protocol.md).

One WebSocket per node, JSON text frames, each an object with a `type`. This module knows the
frames and checks what arrives; it holds no state. A frame that breaks a rule raises `BadFrame`
naming the field at fault, which the receiver answers with an `error` frame (never a crash).
"""

from __future__ import annotations

from typing import Any

import orjson

PROTOCOL = "openors-platform/1"
PATH = "/ors/platform/protocol"  # on the platform's HTTP port
TOKEN_ENV = "OPENORS_PLATFORM_TOKEN"  # the shared secret of a platform and its nodes (optional)
MAX_FRAME_BYTES = 1 << 20  # a frame larger than this is refused (the WebSocket is closed: 1009)
MAX_CLAIMS = 100_000  # interactions one hello or claim frame may name
MAX_ID_CHARS = 128
REPLAY_LOG = 256  # events kept per interaction for nodes that come back; older: a state snapshot

# Node -> platform
HELLO, REQUEST, QUERY, CLAIM, RELEASE, HEARTBEAT = "hello", "request", "query", "claim", "release", "heartbeat"
# Platform -> node (also HEARTBEAT)
WELCOME, OUTCOME, ANSWER, EVENT, STATE, GONE, TAKEN, ERROR = (
    "welcome", "outcome", "answer", "event", "state", "gone", "taken", "error")

# The Platform methods a node may call with `request` (docs/platform.md, "Requests").
ACTIONS = frozenset({
    "route", "answer", "terminate", "clear", "hold", "retrieve", "make_call", "initiate_consultation",
    "alternate", "reconnect", "complete_transfer", "complete_conference", "single_step_transfer",
    "single_step_conference", "private_service", "start_treatment", "stop_treatment", "update_user_data",
    "delete_user_data", "place_in_queue", "pull_from_queue", "create_message", "send_message",
    "send_chat_message", "get_transcript", "get_content", "update_properties", "agent_login",
    "agent_ready", "agent_not_ready", "agent_after_call_work", "agent_logout",
})
QUERIES = frozenset({"interaction", "agents", "ready_agents", "resolve"})

# What each request argument may be (docs/platform.md): checked before the platform sees it.
_TEXT = (str,)
_DEST = (str, dict)
_ARG_TYPES: dict[str, tuple[type, ...]] = {
    **{name: _TEXT for name in ("interaction_id", "agent_id", "source", "reason", "treatment", "application",
                                "from_", "text", "to", "subject", "body", "srid", "server", "media", "message_type",
                                "route_type", "call_type", "place", "dn", "parent_id")},
    **{name: _DEST for name in ("destination", "origin", "device", "queue")},
    **{name: (dict,) for name in ("udata", "hints", "data", "collect", "changes")},
    "keys": (list,), "duration": (int, float), "service_id": (int, str),
}


class BadFrame(ValueError):
    """A frame that breaks the protocol: `field` names where (`$` is the frame itself)."""

    def __init__(self, field: str, message: str, frame_id: Any = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.frame_id = frame_id

    def frame(self) -> dict[str, Any]:
        out = {"type": ERROR, "code": "badframe", "field": self.field, "message": self.message}
        if self.frame_id is not None:
            out["id"] = self.frame_id
        return out


def encode(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame, default=str).decode()


def decode(text: str | bytes) -> dict[str, Any]:
    """A frame as a dict with a known `type`; raises BadFrame."""
    if len(text) > MAX_FRAME_BYTES:
        raise BadFrame("$", f"frame of {len(text)} bytes is larger than {MAX_FRAME_BYTES}")
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadFrame("$", f"not JSON: {exc}") from None
    if not isinstance(frame, dict):
        raise BadFrame("$", f"a frame is a JSON object, not {type(frame).__name__}")
    if not isinstance(frame.get("type"), str):
        raise BadFrame("type", "missing or not a string", frame.get("id"))
    return frame


def text(frame: dict, name: str, *, required: bool = True, limit: int = MAX_ID_CHARS) -> str | None:
    value = frame.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadFrame(name, f"expected a non-empty string of at most {limit} characters, got {_show(value)}",
                       frame.get("id"))
    return value


def mapping(frame: dict, name: str) -> dict[str, Any]:
    value = frame.get(name, {})
    if not isinstance(value, dict):
        raise BadFrame(name, f"expected an object, got {_show(value)}", frame.get("id"))
    return value


def claims(frame: dict, name: str = "claims") -> list[tuple[str, str | None, int]]:
    """[(interaction id, platform epoch the node saw it in, last sequence number seen)]."""
    value = frame.get(name, [])
    if not isinstance(value, list) or len(value) > MAX_CLAIMS:
        raise BadFrame(name, f"expected a list of at most {MAX_CLAIMS} claims, got {_show(value)}")
    out = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, dict):
            raise BadFrame(where, f"expected an object, got {_show(item)}")
        ixn = item.get("interaction")
        if not isinstance(ixn, str) or not ixn or len(ixn) > MAX_ID_CHARS:
            raise BadFrame(f"{where}.interaction", f"expected an interaction id, got {_show(ixn)}")
        epoch = item.get("epoch")
        if epoch is not None and not isinstance(epoch, str):
            raise BadFrame(f"{where}.epoch", f"expected a string, got {_show(epoch)}")
        seq = item.get("seq", 0)
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise BadFrame(f"{where}.seq", f"expected a sequence number (integer >= 0), got {_show(seq)}")
        out.append((ixn, epoch, seq))
    return out


def names(frame: dict, name: str) -> list[str] | None:
    """A list of routing point / queue names, or None for `"*"` (all of them)."""
    value = frame.get(name, "*")
    if value == "*":
        return None
    if not isinstance(value, list) or len(value) > MAX_CLAIMS or not all(
            isinstance(v, str) and 0 < len(v) <= MAX_ID_CHARS for v in value):
        raise BadFrame(name, f'expected "*" or a list of names, got {_show(value)}')
    return list(value)


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def check_args(args: dict[str, Any], frame_id: Any = None) -> None:
    """Each known argument of a request has the kind of value the platform takes (None: absent)."""
    for name, value in args.items():
        allowed = _ARG_TYPES.get(name)
        if value is None or allowed is None:
            continue  # an unknown name is the method's to refuse
        strings = not isinstance(value, list) or all(isinstance(k, str) for k in value)
        if isinstance(value, bool) or not isinstance(value, allowed) or not strings:
            kinds = " or ".join({"str": "a string", "dict": "an object", "list": "a list of strings",
                                 "int": "a number", "float": "a number"}[t.__name__] for t in allowed)
            raise BadFrame(f"args.{name}", f"expected {kinds}, got {_show(value)}", frame_id)
