"""What an SCXML session sees of an interaction: the `_genesys.ixn.interactions[id]` object
(ORS-SPEC §4.3.2), built from a platform snapshot."""

from __future__ import annotations

from typing import Any

# Composer reads party.devicetype; ORS names for the platform's device kinds.
_DEVICE_TYPES = {"routing_point": "routepoint", "routepoint": "routepoint", "acd_queue": "queue",
                 "queue": "queue", "extension": "extension", "acd_position": "acdposition",
                 "acdposition": "acdposition", "agent": "agent", "external": "unknown"}


def party_view(party: dict[str, Any]) -> dict[str, Any]:
    return {
        "partyid": party.get("partyid"), "device": party.get("device"),
        "devicetype": _DEVICE_TYPES.get(party.get("devicetype") or "", party.get("devicetype") or "unknown"),
        "state": party.get("state"), "role": party.get("role"), "agentid": party.get("agentid"),
        "place": party.get("place"),
    }


def interaction_view(snap: dict[str, Any], *, tenantid: int = 1) -> dict[str, Any]:
    props = snap.get("properties") or {}
    category = snap.get("category")
    view: dict[str, Any] = {
        "g_uid": snap["interactionid"],
        "category": category,
        "state": snap.get("state"),
        "tenantid": tenantid,
        "parentid": snap.get("parentid") or "",
        "contactedaddr": props.get("dnis") or props.get("to") or "",
        "parties": [party_view(p) for p in snap.get("parties", [])],
        "udata": dict(snap.get("udata") or {}),
        "xdata": {"ixn_queue_view": props.get("view", "")},
        "location": {"media_server": props.get("server", "")},
        "mediaType": snap.get("media"),
        # what <classification:classify>/<screen> attached to it (openors.ors.classification)
        "categories": [dict(c) for c in props.get("categories") or [] if isinstance(c, dict)],
    }
    if category == "voice":
        view["voice"] = {"ani": props.get("ani", ""), "dnis": props.get("dnis", ""),
                         "callid": props.get("callid", snap["interactionid"]),
                         "connid": props.get("connid", snap["interactionid"]),
                         "type": snap.get("type") or "unknown", "media": snap.get("media")}
        view["ani"], view["dnis"] = view["voice"]["ani"], view["voice"]["dnis"]
    elif category == "chat":
        view["chat"] = {"type": props.get("chat_type", "chat"), "media": snap.get("media"),
                        "externalID": props.get("external_id", ""),
                        "transcript": [dict(m) for m in snap.get("transcript") or []]}
    else:
        view["msgbased"] = {"queue": snap.get("location") or props.get("queue", ""),
                            "type": snap.get("type") or "InboundNew", "media": snap.get("media"),
                            "externalID": props.get("external_id", ""), "view": props.get("view", ""),
                            "from": props.get("from", ""), "to": props.get("to", ""),
                            "subject": props.get("subject", "")}
    return view
