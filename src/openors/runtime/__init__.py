"""Many SCXML sessions in one process: event routing, backpressure, persistence, recovery, eviction."""

from .errors import (
    DocumentLoadFailed,
    Overloaded,
    PersistenceFailed,
    RequestTimedOut,
    RuntimeFault,
    SessionQueueFull,
    ShuttingDown,
    StoreUnavailable,
    UnknownSession,
)
from .replies import REPLY_TYPE
from .runtime import Runtime, RuntimeSettings, is_persistent
from .store import MemoryStore, SqliteStore, Store, StoredSession

__all__ = [
    "REPLY_TYPE", "DocumentLoadFailed", "MemoryStore", "Overloaded", "PersistenceFailed", "RequestTimedOut",
    "Runtime", "RuntimeFault", "RuntimeSettings", "SessionQueueFull", "ShuttingDown", "SqliteStore", "Store",
    "StoreUnavailable", "StoredSession", "UnknownSession", "is_persistent",
]
