"""python-statemachine 3.x side of bench/run.py: its SCXML loader (``statemachine.io.load``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import cli  # noqa: E402


def probe():
    import statemachine.io  # noqa: F401


def load(path: str):
    from importlib.metadata import version

    from statemachine.io import load as load_chart

    # trusted=False (the default) evaluates expressions with a restricted Python evaluator;
    # the toggle-ecma expressions (n >= 0, n + 1) happen to be valid Python too.
    cls = load_chart(Path(path))

    def make():
        return cls()  # instantiating runs the initial macrostep

    def send(sm, event: str):
        sm.send(event)

    def config(sm):
        return [str(v) for v in sm.configuration_values]

    return version("python-statemachine"), make, send, config


if __name__ == "__main__":
    cli("python-statemachine", load, probe)
