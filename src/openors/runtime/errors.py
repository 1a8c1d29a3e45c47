"""What the runtime tells its callers when it cannot do what they asked (the HTTP layer maps each
class to a status code)."""

from __future__ import annotations


class RuntimeFault(Exception):
    """Base class: `message` is safe to show to a client; `details` is extra JSON-ready context."""

    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class DocumentLoadFailed(RuntimeFault):
    """The SCXML document could not be fetched or compiled (names the URL(s), the line, the reason)."""

    status = 400


class UnknownSession(RuntimeFault):
    status = 404

    def __init__(self, session_id: str):
        super().__init__(f"no session '{session_id}' (it never existed or it has ended)", sessionid=session_id)


class SessionQueueFull(RuntimeFault):
    """Backpressure: this session already has as many queued events as it may hold."""

    status = 429


class Overloaded(RuntimeFault):
    """Backpressure: the server holds as many unprocessed events as it may in total."""

    status = 503


class RequestTimedOut(RuntimeFault):
    """A /request/ call the session did not answer in time."""

    status = 504


class ShuttingDown(RuntimeFault):
    status = 503


class SessionQuarantined(RuntimeFault):
    """The session was stopped (a budget it broke, a restore that failed) and is kept for the operator."""

    status = 409

    def __init__(self, entry):
        super().__init__(f"session '{entry.sessionid}' is quarantined ({entry.reason}): {entry.description}",
                         sessionid=entry.sessionid, reason=entry.reason)


class PersistenceFailed(RuntimeFault):
    """Durable acks: the request's effect could not be saved, so it is not acknowledged. `reason`
    is "snapshot" (the session's state could not be serialised) or "store" (the store refused the
    write: full disk, I/O error, Redis away); `cause` is what the serialiser or the store said."""

    status = 503


class StoreUnavailable(RuntimeFault):
    """The store could not be read (a session must be restored from it); `cause` is its reason."""

    status = 503
