"""T-Server style call-model codes that ORS exposes through event `hints` and `callstate`.

Numbers are fixed by the Genesys Interaction Interface page; names follow it without the
`CallControlEvent_` / `CCEventCause_` / `CallState` prefixes.
"""

from __future__ import annotations

from enum import IntEnum


class CCEvent(IntEnum):
    """hints.ccevent: which call-control event a party event stems from."""

    BRIDGED = 0
    CONNECTION_CLEARED = 1
    DELIVERED = 2
    ESTABLISHED = 3
    FAILED = 4
    HELD = 5
    OFFERED = 6
    ORIGINATED = 7
    QUEUED = 8
    RETRIEVED = 9
    SERVICE_INITIATED = 10
    TRANSFERED = 11  # the Genesys spelling
    CONFERENCED = 12
    DIVERTED = 13


class CCEventCause(IntEnum):
    """hints.cause: why the call-control event happened."""

    UNKNOWN = 0
    BUSY = 1
    CONFERENCE = 2
    DISTRIBUTED = 3
    DISTRIBUTION_DELAY = 4
    ENTERING_DISTRIBUTION = 5
    NORMAL = 6
    REDIRECTED = 7
    SINGLE_STEP_CONFERENCE = 8
    SINGLE_STEP_TRANSFER = 9
    TRANSFER = 10


class CallState(IntEnum):
    """callstate / hints.callstate; also `_genesys.ixn.callState` (Genesys names in GENESYS_NAMES)."""

    OK = 0
    TRANSFERRED = 1
    CONFERENCED = 2
    GENERAL_ERROR = 3
    SYSTEM_ERROR = 4
    REMOTE_RELEASE = 5
    BUSY = 6
    NO_ANSWER = 7
    SIT_DETECTED = 8
    ANSWERING_MACHINE_DETECTED = 9
    ALL_TRUNKS_BUSY = 10
    SIT_INVALIDNUM = 11
    SIT_VACANT = 12
    SIT_INTERCEPT = 13
    SIT_UNKNOWN = 14
    SIT_NOCIRCUIT = 15
    SIT_REORDER = 16
    FAX_DETECTED = 17
    QUEUE_FULL = 18
    CLEARED = 19
    OVERFLOWED = 20
    ABANDONED = 21
    REDIRECTED = 22
    FORWARDED = 23
    CONSULT = 24
    PICKEDUP = 25
    DROPPED = 26
    DROPPEDNOANSWER = 27
    UNKNOWN = 28
    COVERED = 29
    CONVERSE_ON = 30
    BRIDGED = 31
    SILENCE_DETECTED = 32
    DEAFENED = 49
    HELD = 50


def _genesys_callstate_name(state: CallState) -> str:
    return "CallState" + "".join(part.capitalize() for part in state.name.split("_"))


# The names an SCXML application sees in `_genesys.ixn.callState` (e.g. CallStateAbandoned: 21).
CALLSTATE_GENESYS_NAMES: dict[str, int] = {_genesys_callstate_name(s): int(s) for s in CallState}
