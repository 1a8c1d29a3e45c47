"""The platform interface: what the ORS layer may ask of a contact center, and how it hears back.

Every request method returns a request id at once and completes later with exactly one
`request.done` or `request.failed` event carrying that id. A simulator implements this class;
so could a connector to a real switch and Interaction Server.

Destinations (`destination`, `origin`) accept a DN string, an agent id, or a resource dict as ORS
builds them: {"dn": ..}, {"agent": ..}, {"place": ..}, {"type": "iq", "id": ..}, {"type": "wb", ..}.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from openors.platform.events import PlatformEvent

Subscriber = Callable[[PlatformEvent], None]
Destination = str | dict[str, Any]


class Platform(ABC):
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._event_seq = itertools.count(1)
        self._request_seq = itertools.count(1)

    # -- events ---------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register a callback for every platform event; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: PlatformEvent) -> PlatformEvent:
        event.seq = next(self._event_seq)
        for callback in list(self._subscribers):
            callback(event)
        return event

    def _new_request_id(self) -> str:
        return f"REQ{next(self._request_seq):06d}"

    @abstractmethod
    def now(self) -> float: ...

    # -- queries (synchronous, read-only snapshots) ---------------------------------------
    @abstractmethod
    def get_interaction(self, interaction_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def ready_agents(self, skills: dict[str, int] | None = None, media: str = "voice") -> list[str]:
        """Agent ids that could take an interaction now, longest idle first."""

    @abstractmethod
    def resolve(self, destination: Destination) -> dict[str, Any] | None:
        """What a destination names ({"kind": "dn"|"agent"|"queue"|"workbin"|"external", ...}), or None."""

    # -- call control (voice; route/terminate/user data also for multimedia) ---------------
    @abstractmethod
    def route(self, interaction_id: str, destination: Destination, *, source: str | None = None,
              route_type: str = "default", udata: dict | None = None, hints: dict | None = None) -> str:
        """Route/redirect an interaction away from where it waits (routing point, queue, pulled)."""

    @abstractmethod
    def answer(self, interaction_id: str, device: Destination) -> str: ...

    @abstractmethod
    def terminate(self, interaction_id: str, *, reason: str | None = None,
                  device: str | None = None) -> str:
        """End the whole interaction (voice: clear call; multimedia: stop processing)."""

    @abstractmethod
    def clear(self, interaction_id: str, device: str) -> str:
        """Release one party's connection; the interaction ends when fewer than two remain."""

    @abstractmethod
    def hold(self, interaction_id: str, device: str) -> str: ...

    @abstractmethod
    def retrieve(self, interaction_id: str, device: str) -> str: ...

    @abstractmethod
    def make_call(self, origin: Destination, destination: Destination, *, call_type: str = "regular",
                  udata: dict | None = None, hints: dict | None = None) -> str:
        """Create an outbound/internal call; done carries interaction_id and callstate."""

    @abstractmethod
    def initiate_consultation(self, interaction_id: str, device: str, destination: Destination, *,
                              udata: dict | None = None) -> str:
        """Hold `device` on the call and dial a consultation; done carries consult_interaction_id."""

    @abstractmethod
    def alternate(self, interaction_id: str, device: str) -> str: ...

    @abstractmethod
    def reconnect(self, interaction_id: str, device: str) -> str: ...

    @abstractmethod
    def complete_transfer(self, interaction_id: str, device: str) -> str: ...

    @abstractmethod
    def complete_conference(self, interaction_id: str, device: str) -> str: ...

    @abstractmethod
    def single_step_transfer(self, interaction_id: str, device: str | None,
                             destination: Destination) -> str: ...

    @abstractmethod
    def single_step_conference(self, interaction_id: str, device: str | None,
                               destination: Destination) -> str: ...

    @abstractmethod
    def private_service(self, interaction_id: str, device: str | None, service_id: int,
                        data: dict | None = None) -> str: ...

    @abstractmethod
    def start_treatment(self, interaction_id: str, treatment: str, duration: float, *,
                        collect: dict | None = None, application: str | None = None) -> str:
        """Play a treatment; `collect`: input settings for digits (done data `digits`, `reason`);
        `application`: a VoiceXML application URI (done data `extensions`)."""

    def stop_treatment(self, interaction_id: str) -> str:
        """Stop the treatment playing to a call (its request completes `interrupted: stopped`);
        done data `stopped`: whether one was playing."""
        raise NotImplementedError("this platform cannot stop treatments")

    # -- user data -------------------------------------------------------------------------
    @abstractmethod
    def update_user_data(self, interaction_id: str, data: dict[str, Any]) -> str:
        """Add or replace keys (T-Server attach/update user data)."""

    def attach_user_data(self, interaction_id: str, data: dict[str, Any]) -> str:
        return self.update_user_data(interaction_id, data)

    @abstractmethod
    def delete_user_data(self, interaction_id: str, keys: list[str] | None = None) -> str:
        """Delete the given keys, or every key when `keys` is None."""

    # -- multimedia ------------------------------------------------------------------------
    @abstractmethod
    def place_in_queue(self, interaction_id: str, queue: Destination) -> str: ...

    @abstractmethod
    def pull_from_queue(self, queue: str, interaction_id: str | None = None) -> str: ...

    @abstractmethod
    def create_message(self, *, media: str = "TMediaEMail", message_type: str = "outbound_new",
                       parent_id: str | None = None, to: str | None = None, from_: str | None = None,
                       subject: str | None = None, body: str | None = None, srid: str | None = None,
                       queue: str | None = None, server: str | None = None,
                       udata: dict | None = None) -> str: ...

    @abstractmethod
    def send_message(self, interaction_id: str, *, queue: str | None = None) -> str: ...

    @abstractmethod
    def send_chat_message(self, interaction_id: str, from_: str, text: str, *,
                          message_type: str = "Message") -> str: ...

    @abstractmethod
    def get_transcript(self, interaction_id: str) -> str: ...

    @abstractmethod
    def get_content(self, interaction_id: str) -> str: ...

    # -- agents ----------------------------------------------------------------------------
    @abstractmethod
    def agent_login(self, agent_id: str, *, place: str | None = None, dn: str | None = None) -> str: ...

    @abstractmethod
    def agent_ready(self, agent_id: str) -> str: ...

    @abstractmethod
    def agent_not_ready(self, agent_id: str, *, reason: str | None = None) -> str: ...

    @abstractmethod
    def agent_after_call_work(self, agent_id: str) -> str: ...

    @abstractmethod
    def agent_logout(self, agent_id: str) -> str: ...
