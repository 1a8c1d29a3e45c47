"""A complete W3C SCXML 1.0 engine with ECMAScript and null datamodels.

    doc = load_document("chart.scxml")        # validated once, shared by sessions
    session = Session(doc).start()             # runs the first macrostep
    session.send("go", {"x": 1})               # one external event, one macrostep
"""

from .clock import RealClock, VirtualClock
from .errors import ExecutionError, ScxmlLoadError
from .events import Event
from .extensions import Extensions
from .parser import load_document, load_string
from .session import Session, SessionHost

__all__ = [
    "Event", "ExecutionError", "Extensions", "RealClock", "ScxmlLoadError", "Session", "SessionHost",
    "VirtualClock", "load_document", "load_string",
]
