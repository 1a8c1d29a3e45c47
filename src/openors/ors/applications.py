"""Applications and their documents: which document a routing point's application runs, and what
every ORS document needs before its sessions start (ORS-SPEC §3.2).

* An application's URL may hold `[ANI]`, `[DNIS]`, `[UDATA.key]`... placeholders, filled from the
  interaction, and an alternate URL ("URL1 URL2") tried when the first cannot be loaded.
* Preparing a document gives its sessions `_genesys.ixn` call states and what the world's modules
  put in every prelude (the configuration lists and the clock).
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openors.platform.model.callmodel import CALLSTATE_GENESYS_NAMES
from openors.scxml import model as m
from openors.scxml.errors import ScxmlLoadError
from openors.scxml.extensions import Extensions
from openors.scxml.parser import load_document
from openors.scxml.resources import resolve_url
from openors.scxml.sources import SourcePolicy

log = logging.getLogger("openors.ors")


class Applications:
    def __init__(self, applications: dict[str, str], base_url: str | None, extensions: Extensions,
                 sources: SourcePolicy, get_interaction: Callable[[str], dict | None],
                 prepare: Callable[[m.Document], None],
                 loader: Callable[[str], m.Document] | None = None):
        self.applications = applications
        self.base_url = base_url
        self.extensions = extensions
        self.sources = sources
        self._get_interaction = get_interaction
        self._prepare = prepare  # what the world's modules add to a document
        self._loader = loader  # url -> Document (a server's cache decides when to recompile)
        self._documents: dict[str, m.Document] = {}
        self._prepared: weakref.WeakSet[m.Document] = weakref.WeakSet()

    def document_for(self, application: str, interaction_id: str | None = None) -> m.Document:
        """The document of an application, its placeholders filled from the interaction, trying
        the alternate URL when the first cannot be fetched or compiled."""
        source = self.applications.get(application, application)
        if interaction_id is not None and "[" in source:
            source = fill_placeholders(source, self._get_interaction(interaction_id) or {})
        urls = source.split()
        for i, candidate in enumerate(urls):
            url = resolve_url(candidate, self.base_url)
            try:
                doc = self._load(url)
            except ScxmlLoadError:
                if i == len(urls) - 1:
                    raise
                log.warning("application %r: %s cannot be loaded, trying the alternate URL", application, url)
                continue
            return self.prepare(doc)
        raise ScxmlLoadError(f"application {application!r} has no document URL")

    def _load(self, url: str) -> m.Document:
        if self._loader is not None:
            return self._loader(url)
        doc = self._documents.get(url)
        if doc is None:
            doc = self._documents[url] = load_document(url, self.extensions, self.sources)
        return doc

    def prepare(self, doc: m.Document) -> m.Document:
        """Give a document what this world's sessions need. Idempotent: every path that compiles
        a document (the world, a server's cache) may call it."""
        if doc in self._prepared:
            return doc
        _install_call_states(doc)
        self._prepare(doc)
        self._prepared.add(doc)
        return doc


def _samples_dir() -> Path:
    return Path(str(resources.files("openors").joinpath("samples/strategies")))


def find_application(name: str, topology_path: Path, applications: dict[str, str]) -> str:
    """The URL of an application a topology names: from `applications` (`--app NAME=URL`), as a
    path or URL relative to the topology file, as `<name>.scxml` beside it, then among the bundled
    sample strategies."""
    if name in applications:
        return applications[name]
    if "://" in name or name.startswith("file:"):
        return name
    base = topology_path.parent
    for candidate in (base / name, base / f"{name}.scxml", _samples_dir() / f"{name}.scxml"):
        if candidate.is_file():
            return candidate.resolve().as_uri()
    return (base / name).resolve().as_uri()  # fails at session start with a clear load error


def _install_call_states(document: m.Document) -> None:
    """Give the document's sessions `_genesys.ixn.callState` from their first line (ixn.js)."""
    scripts = getattr(document.dialect, "extra_scripts", None)
    if scripts is not None and _CALL_STATE_SCRIPT not in scripts:
        scripts.append(_CALL_STATE_SCRIPT)


_CALL_STATE_SCRIPT = f"__ors_setCallState({json.dumps(json.dumps(CALLSTATE_GENESYS_NAMES))});"


_PLACEHOLDER = re.compile(r"\[(ANI|DNIS|DN|CED|EMAILFROM|EMAILTO|EMAILSUBJECT|UDATA(?:\.\*|\.[^\]]+)?)\]")


def fill_placeholders(url: str, snap: dict[str, Any]) -> str:
    """ORS run-time placeholders in an application URL, from the interaction (URL-encoded)."""
    props, udata = snap.get("properties") or {}, snap.get("udata") or {}
    parties = snap.get("parties") or []

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key == "UDATA":
            return "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in udata.items())
        if key == "UDATA.*":
            return ",".join(f"{k}:{v}" for k, v in udata.items())
        if key.startswith("UDATA."):
            return quote(str(udata.get(key[6:], "")))
        found = {"ANI": props.get("ani") or props.get("from"), "DNIS": props.get("dnis"),
                 "DN": snap.get("location") or (parties[-1].get("device") if parties else ""),
                 "CED": props.get("ced"), "EMAILFROM": props.get("from"), "EMAILTO": props.get("to"),
                 "EMAILSUBJECT": props.get("subject")}.get(key)
        return quote(str(found or ""))

    return _PLACEHOLDER.sub(value, url)


def application_url(path: str | Path) -> str:
    return Path(path).resolve().as_uri()
