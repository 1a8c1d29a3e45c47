"""OpenORS side of bench/run.py: ``openors.scxml`` (document compiled once, one Session each)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import cli  # noqa: E402


def probe():
    import openors.scxml.session  # noqa: F401


def load(path: str):
    import openors
    from openors.scxml import load_document
    from openors.scxml.session import Session

    doc = load_document(path)

    def make():
        s = Session(doc)
        s.start()  # runs the initial macrostep synchronously
        return s

    def send(s, event: str):
        s.send(event)  # queues the external event and runs its macrostep

    def config(s):
        return list(s.configuration)

    return openors.__version__, make, send, config


if __name__ == "__main__":
    cli("OpenORS", load, probe)
