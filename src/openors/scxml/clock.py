"""The engine's clocks are OpenORS's clocks (shared with the simulator): see `openors.clock`."""

from openors.clock import Clock, RealClock, TimerHandle, VirtualClock

__all__ = ["Clock", "RealClock", "TimerHandle", "VirtualClock"]
