"""The ORS functional modules and their action namespaces.

ORS picks the module of an action by namespace URI, not by prefix. Genesys documents write the URIs
without a scheme (`www.genesyslab.com/modules/queue`), Composer with `http://`; both are accepted.
"""

from __future__ import annotations

MODULE_BASE = "www.genesyslab.com/modules/"

# module name -> the prefix of its result events
MODULES: dict[str, str] = {
    "session": "session",
    "ws": "ws",
    "queue": "queue",
    "interaction": "interaction",
    "dialog": "dialog",
    "statistic": "statistic",
    "classification": "classification",
    "resource": "resource",
    "elasticconnector": "elasticconnector",
    "agent": "agent",
}


def normalise_namespace(uri: str | None) -> str:
    uri = (uri or "").strip()
    for scheme in ("http://", "https://"):
        if uri.startswith(scheme):
            uri = uri[len(scheme):]
    return uri.rstrip("/")


def module_of(uri: str | None) -> str | None:
    """The module an action namespace belongs to, or None when it is no Genesys module."""
    norm = normalise_namespace(uri)
    if norm.startswith(MODULE_BASE):
        name = norm[len(MODULE_BASE):]
        return name if name in MODULES else None
    return None


def namespace_forms(module: str) -> list[str]:
    """Every spelling of a module's namespace a document may use."""
    bare = MODULE_BASE + module
    return [bare, "http://" + bare, "https://" + bare, bare + "/", "http://" + bare + "/"]


def is_genesys_namespace(uri: str | None) -> bool:
    return "genesyslab.com" in (uri or "")
