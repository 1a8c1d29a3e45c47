"""The platform runs on OpenORS's clocks (shared with the SCXML engine): see `openors.clock`.

`AsyncioClock` is the real clock on an asyncio loop.
"""

from openors.clock import Clock, RealClock, TimerHandle, VirtualClock, call_later

AsyncioClock = RealClock

__all__ = ["AsyncioClock", "Clock", "RealClock", "TimerHandle", "VirtualClock", "call_later"]
