"""The contact-center object model: interactions, parties, devices, agents, queues, call-model codes."""

from openors.platform.model.agents import Agent, AgentState, Place
from openors.platform.model.callmodel import CALLSTATE_GENESYS_NAMES, CallState, CCEvent, CCEventCause
from openors.platform.model.devices import Device, DnType
from openors.platform.model.interaction import (
    DeviceKind,
    Interaction,
    InteractionState,
    Party,
    PartyState,
    derive_state,
)
from openors.platform.model.media import (
    MEDIA_TYPE_CODES,
    Category,
    category_of,
    media_code,
    normalise_media,
)
from openors.platform.model.queues import InteractionQueue, Workbin

__all__ = [
    "Agent", "AgentState", "Place", "CALLSTATE_GENESYS_NAMES", "CallState", "CCEvent", "CCEventCause",
    "Device", "DnType", "DeviceKind", "Interaction", "InteractionState", "Party", "PartyState",
    "derive_state", "MEDIA_TYPE_CODES", "Category", "category_of", "media_code", "normalise_media",
    "InteractionQueue", "Workbin",
]
