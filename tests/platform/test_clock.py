"""The virtual clock runs callbacks in (time, scheduling order) and only moves when asked."""

from __future__ import annotations

import asyncio

from openors.platform.clock import AsyncioClock, Clock, VirtualClock, call_later


def test_callbacks_run_in_time_order_and_fifo_at_equal_times():
    clock, seen = VirtualClock(), []
    clock.call_at(5, seen.append, "b")
    clock.call_at(1, seen.append, "a")
    clock.call_at(5, seen.append, "c")
    clock.run_until_idle()
    assert seen == ["a", "b", "c"] and clock.now() == 5


def test_advance_runs_only_what_is_due_and_moves_time():
    clock, seen = VirtualClock(), []
    clock.call_later(2, seen.append, 2)
    clock.call_later(10, seen.append, 10)
    clock.advance(5)
    assert seen == [2] and clock.now() == 5 and clock.pending() == 1


def test_cancelled_callbacks_never_run():
    clock, seen = VirtualClock(), []
    handle = clock.call_at(1, seen.append, "x")
    clock.cancel(handle)
    clock.run_until_idle()
    assert seen == []


def test_callbacks_scheduled_in_the_past_run_now_without_moving_time_back():
    clock, seen = VirtualClock(start=10), []
    clock.call_at(3, lambda: seen.append(clock.now()))
    clock.step()
    assert seen == [10]


def test_asyncio_clock_runs_callbacks_in_real_time():
    async def main():
        clock = AsyncioClock(asyncio.get_running_loop())
        assert isinstance(clock, Clock)
        done = asyncio.Event()
        call_later(clock, 0.01, done.set)
        await asyncio.wait_for(done.wait(), 1)
        return clock.now()

    assert asyncio.run(main()) >= 0.01


def test_same_seed_gives_the_same_simulation():
    from openors.platform.sim import build_simulation
    from openors.platform.topology import default_topology_path

    scenario = default_topology_path().parent / "scenarios" / "inbound-calls.yaml"
    first = [e.to_dict() for e in build_simulation(None, scenario).run()]
    second = [e.to_dict() for e in build_simulation(None, scenario).run()]
    assert first == second and len(first) > 20
