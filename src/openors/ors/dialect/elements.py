"""Every element of every Genesys module a document may write, and what its attributes are.

`openors lint` uses this to report an element no module has (`<ixn:redirekt>`) and an attribute
written the wrong way (a bare word where a value expression is expected: `type="music"`).

Attribute kinds (ORS-SPEC §5.0): EXPR a value expression (`name="'AG_1'"`), LOC a location
expression (`requestid="rid"`), WORD an NMTOKEN taken as written (`type="agentgroup"`).

The actions this server runs describe themselves (their `expressions` and `literals`); this module
adds the ones documented but not run here and the parameter elements actions contain. Modules
whose element names the documentation we have does not give (resource, ws, elasticconnector,
agent) accept any element.
"""

from __future__ import annotations

from functools import lru_cache

EXPR, LOC, WORD = "value expression", "location expression", "NMTOKEN"
OPEN_MODULES = frozenset({"resource", "ws", "elasticconnector", "agent"})

# Documented elements this server does not run, and parameter elements (children of actions).
_EXTRA: dict[str, dict[str, dict[str, str]]] = {
    "queue": {
        "targets": {"type": WORD, "statserver": EXPR},
        "target": {"name": EXPR, "type": WORD, "statserver": EXPR, "skill": EXPR, "threshold": EXPR,
                   "weight": EXPR},
        "targetid": {"expr": EXPR},
        "activity": {"name": EXPR, "statserver": EXPR},
        "workbin": {"name": EXPR},
    },
    "dialog": {
        "prompts": {"type": WORD},
        "prompt": {"intid": EXPR, "number": EXPR, "text": EXPR, "value": EXPR, "duration": EXPR},
        "input": {},
        "remote": {"requestid": LOC, "interactionid": EXPR, "destination": EXPR, "default": EXPR},
    },
}


@lru_cache(maxsize=1)
def module_elements() -> dict[str, dict[str, dict[str, str]]]:
    """module -> element local name -> attribute -> kind (attributes not listed are not checked)."""
    from ..modules_registry import default_modules

    table: dict[str, dict[str, dict[str, str]]] = {}
    for (module, name), action in default_modules().items():
        kinds = {attr: EXPR for attr in action.expressions}
        kinds.update({attr: WORD for attr in action.literals})
        if not getattr(action, "requestid_names_earlier_request", False):
            kinds["requestid"] = LOC
        table.setdefault(module, {})[name] = kinds
    for module, elements in _EXTRA.items():
        for name, kinds in elements.items():
            table.setdefault(module, {}).setdefault(name, dict(kinds))
    return table
