"""Which documents get the ORS dialect.

A plain W3C document must keep its W3C meaning, so the dialect applies only to documents that say
they are ORS documents: a Genesys namespace declared, `profile="ecmascript"` (the 2009 draft's
attribute Composer writes), or a Genesys `_type`/`_persist` attribute on <scxml>.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..modules import is_genesys_namespace

if TYPE_CHECKING:
    from lxml.etree import _Element


def is_ors_document(root: _Element) -> bool:
    if any(is_genesys_namespace(uri) for uri in root.nsmap.values()):
        return True
    if root.get("profile") is not None:
        return True
    return root.get("_type") is not None or root.get("_persist") is not None
