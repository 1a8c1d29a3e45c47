"""Media types and the three interaction categories (voice, message-based, chat)."""

from __future__ import annotations

from enum import StrEnum

# Genesys media type names and their integer codes (ORS-SPEC §4.3.1): 0-17 documented, 18-20 in
# the order of Composer's IrdEnumMapper, TMediaAny (the wildcard) last. TMediaWebForm and
# TMediaCoBrowsing are the object model pages' spellings of TMediaWebform and TMediaCobrowsing.
# ors/js/genesys.js has the same table for `_genesys.ixn.getMediaIntValue`.
MEDIA_TYPE_CODES: dict[str, int] = {
    "TMediaVoice": 0, "TMediaVoIP": 1, "TMediaEMail": 2, "TMediaVMail": 3, "TMediaSMail": 4,
    "TMediaChat": 5, "TMediaVideo": 6, "TMediaCobrowsing": 7, "TMediaWhiteboard": 8,
    "TMediaAppSharing": 9, "TMediaWebform": 10, "TMediaWorkItem": 11, "TMediaCallback": 12,
    "TMediaFax": 13, "TMediaIMChat": 14, "TMediaBusinessEvent": 15, "TMediaAlert": 16,
    "TMediaSMS": 17, "TMediaOutboundPreview": 18, "TMediaOpenMedia": 19, "TMediaNativeSMS": 20,
    "TMediaAny": 21, "TMediaWebForm": 10, "TMediaCoBrowsing": 7,
}


class Category(StrEnum):
    """Which sub-object (`voice`, `msgbased`, `chat`) an interaction carries in ORS."""

    VOICE = "voice"
    MSGBASED = "msgbased"
    CHAT = "chat"


_VOICE_MEDIA = {"TMediaVoice", "TMediaVoIP", "TMediaVideo", "TMediaVMail", "TMediaCallback",
                "TMediaOutboundPreview"}
_CHAT_MEDIA = {"TMediaChat", "TMediaIMChat", "TMediaCobrowsing", "TMediaCoBrowsing"}

# Short names used in topology and scenario files.
MEDIA_ALIASES: dict[str, str] = {
    "voice": "TMediaVoice", "email": "TMediaEMail", "sms": "TMediaSMS", "chat": "TMediaChat",
    "fax": "TMediaFax", "webform": "TMediaWebform", "workitem": "TMediaWorkItem",
    "openmedia": "TMediaOpenMedia", "nativesms": "TMediaNativeSMS",
}


def normalise_media(name: str) -> str:
    """Accept either a short alias (`email`) or a Genesys name (`TMediaEMail`)."""
    if name in MEDIA_TYPE_CODES:
        return name
    alias = MEDIA_ALIASES.get(name.lower()) if isinstance(name, str) else None
    if alias is None:
        raise ValueError(f"unknown media type {name!r}")
    return alias


def category_of(media: str) -> Category:
    if media in _VOICE_MEDIA:
        return Category.VOICE
    if media in _CHAT_MEDIA:
        return Category.CHAT
    return Category.MSGBASED


def media_code(name: str) -> int:
    """Integer code of a media type name; -1 for unknown names, as ORS does."""
    return MEDIA_TYPE_CODES.get(name, -1)
