"""Fixtures of the platform-service tests that run real processes (test_protocol.py runs
the platform in a thread and has its own `platform`)."""

from __future__ import annotations

import pytest

from .services import PlatformProcess


@pytest.fixture
def platform(tmp_path):
    """`openors platform` in its own process, its log in the test's directory."""
    process = PlatformProcess(tmp_path / "platform.log").start()
    yield process
    process.stop()
