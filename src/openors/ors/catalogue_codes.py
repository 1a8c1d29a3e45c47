"""Error codes and error-event data as the catalogue allows them.

The platform speaks one vocabulary of error codes; each ORS error event accepts its own list
(catalogue.yaml). A code the event does not list is translated to the closest one it does, and the
platform's own word is kept in the description, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from .catalogue import STATUS_PLACEHOLDER, error_codes, load_catalogue

# Platform code -> what to try, in order, when the event does not list the code itself.
_FALLBACKS = {
    "timeout": ["timeout", "Timeout"],
    "nointeraction": ["nointeraction", "invalidinteraction", "invalidsource", "Request Invalid"],
    "invalidinteraction": ["invalidinteraction", "invalidstate", "Request Invalid"],
    "invalidsource": ["invalidsource", "invaliddestination", "Request Invalid"],
    "invaliddestination": ["invaliddestination", "invalidsource", "Request Invalid"],
    "Request Invalid": ["Request Invalid", "invalidsource"],
    "invalidserver": ["invalidserver", "remote", "Timeout"],
    "remote": ["remote", "invalidserver"],
    "tserver": ["tserver"],
    # A bad attribute is a bad request: msgbased/chat events call that "Request Invalid".
    "unknown": ["unknown", "Request Invalid"],
}


def event_code(event_name: str, code: str) -> str:
    allowed = error_codes(event_name)
    if code in allowed:
        return code
    if code.startswith("invalidstate.") and "invalidstate" in allowed:
        return "invalidstate"
    if code.startswith("reject.") and any(c.startswith("reject.") for c in load_catalogue()[event_name].get(
            "error_codes", [])):
        return code
    if _is_status(code) and STATUS_PLACEHOLDER in load_catalogue()[event_name].get("error_codes", []):
        return code
    for candidate in _FALLBACKS.get(code, []):
        if candidate in allowed:
            return candidate
    return "unknown" if "unknown" in allowed else (allowed[0] if allowed else code)


def _is_status(code: str) -> bool:
    protocol, _, status = code.partition(".")
    return protocol == "http" and status.isdigit()


def error_data(event_name: str, requestid: str, code: str, description: str,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    mapped = event_code(event_name, code)
    if mapped != code:
        description = f"{description} [{code}]"
    data: dict[str, Any] = {"requestid": requestid, "error": mapped, "description": description}
    attributes = load_catalogue()[event_name]["attributes"]
    for key, value in (extra or {}).items():
        if key in attributes and value is not None:
            data[key] = value
    return data
