"""Everything the ORS layer plugs into the SCXML engine, in one `Extensions` object.

    from openors.ors.extensions import ors_extensions
    doc = load_document("IPD_default_MainWorkflow.scxml", ors_extensions())

Plain W3C documents loaded with these extensions keep their W3C meaning: XInclude is resolved for
every document, the dialect rewrite only for documents that are ORS documents (or for all, with
`force_dialect=True`, the server setting for applications known to be ORS strategies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.scxml.errors import ScxmlLoadError
from openors.scxml.extensions import Extensions

from .dialect.actions import CancelWithResult, RaiseWithParams
from .dialect.detect import is_ors_document
from .dialect.rewrite import ORS_ACTIONS_NS, rewrite_document
from .dialect.runtime import OrsDialect
from .dialect.xinclude import IncludeError, resolve_includes
from .modules import MODULES, namespace_forms

if TYPE_CHECKING:
    from lxml.etree import _Element

    from openors.scxml.sources import SourcePolicy


def _xinclude(root, url, sources):
    try:
        return resolve_includes(root, url, sources=sources)
    except IncludeError as exc:
        raise ScxmlLoadError(str(exc.reason) if hasattr(exc, "reason") else str(exc),
                             getattr(exc, "url", url), getattr(exc, "line", None)) from None


def ors_extensions(*, force_dialect: bool = False, modules: dict | None = None) -> Extensions:
    """`modules`: {(module name, action name): handler} for the module actions this server runs."""
    ext = Extensions()

    def dialect_rewrite(root: _Element, url: str | None, sources: SourcePolicy) -> None:
        if force_dialect or is_ors_document(root):
            rewrite_document(root)
        return root

    def attach_dialect(document, root):
        if root.get("{urn:openors}dialect") == "ors":
            document.dialect = OrsDialect(document, root)

    ext.preprocessors += [_xinclude, dialect_rewrite]
    ext.document_hooks.append(attach_dialect)
    ext.register_action(ORS_ACTIONS_NS, "raise", RaiseWithParams())
    ext.register_action(ORS_ACTIONS_NS, "cancel", CancelWithResult())
    # Every Genesys module namespace is known: an action of a module that is not available is
    # accepted at load and raises error.<module>.<action> when it runs.
    for module in MODULES:
        for uri in namespace_forms(module):
            ext.known_namespaces[uri] = module
    for (module, action), handler in (modules or {}).items():
        for uri in namespace_forms(module):
            ext.register_action(uri, action, handler)
    return ext
