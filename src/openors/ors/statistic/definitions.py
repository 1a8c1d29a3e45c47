"""Direct Statistic Definitions: a statistic given as an object instead of a name (ORS 8.1.400.45+).

    _genesys.statistic.sData('Sales@SS.GA', {Category: 'CurrentNumber', MainMask: 'WaitForNextCall'})

Stat Server computes whatever such a definition describes; the simulator computes its predefined
statistics (stats.py) and maps a definition onto one by its category and main mask. The first
word of the mask decides (`CallInbound, CallOutbound` reads as `CallInbound`; no mask reads as `*`); a `name` that is a
predefined statistic wins over both. A definition the table does not know has no value.
"""

from __future__ import annotations

from typing import Any

from .stats import PREDEFINED

# (category, first main-mask word), both lower case -> the predefined statistic computed instead
DEFINITIONS: dict[tuple[str, str], str] = {
    ("currentnumber", "waitfornextcall"): "StatAgentsAvailable",
    ("currentnumber", "callinbound"): "StatAgentsBusy",
    ("currentnumber", "calloutbound"): "StatAgentsBusy",
    ("currentnumber", "callinternal"): "StatAgentsBusy",
    ("currentnumber", "callconsult"): "StatAgentsBusy",
    ("currentnumber", "*"): "StatAgentsTotal",
    ("currentnumber", "loggedin"): "StatAgentsTotal",
    ("currentnumber", "callwait"): "StatCallsInQueue",
    ("currenttime", "waitfornextcall"): "StatTimeInReadyState",
    ("currentmaxtime", "waitfornextcall"): "StatTimeInReadyState",
    ("totalnumber", "callanswered"): "StatCallsAnswered",
    ("totalnumber", "callreleased"): "StatCallsCompleted",
    ("totalnumber", "callentered"): "CallsEntered",
    ("estimtimetoanswer", "*"): "StatExpectedWaitingTime",
    ("currentstateratio", "*"): "StatLoadBalance",
}


def _field(definition: dict, name: str) -> Any:
    for key, value in definition.items():
        if str(key).lower() == name:
            return value
    return None


def statistic_name(statistic: Any) -> str | None:
    """The predefined statistic a name or a definition stands for; None when none does."""
    if isinstance(statistic, str):
        return statistic if statistic in PREDEFINED else None
    if not isinstance(statistic, dict):
        return None
    name = _field(statistic, "name")
    if isinstance(name, str) and name in PREDEFINED:
        return name
    category = str(_field(statistic, "category") or "").strip().lower()
    mask = str(_field(statistic, "mainmask") or "*").replace(";", ",").split(",")[0].strip().lower() or "*"
    return DEFINITIONS.get((category, mask))


def js_table() -> dict[str, str]:
    """The table as the JS side reads it: `category|mask` -> statistic, `name|<predefined>` -> itself."""
    table = {f"{c}|{m}": s for (c, m), s in DEFINITIONS.items()}
    table.update({f"name|{name}": name for name in PREDEFINED})
    return table
