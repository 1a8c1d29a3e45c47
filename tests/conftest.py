"""Shared test fixtures: where the read-only reference material lives."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
IRP = SHARED / "w3c-scxml-irp"


@pytest.fixture
def shared() -> Path:
    return SHARED
