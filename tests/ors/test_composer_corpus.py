"""Real Composer applications load and start unmodified."""

import subprocess
import sys
from pathlib import Path

import pytest

from openors.ors.extensions import ors_extensions
from openors.scxml import SessionHost, VirtualClock, load_document, w3c
from openors.scxml.lint import lint_document
from tests.conftest import IRP, SHARED

CORPUS = SHARED / "composer-corpus"
DOCUMENTS = sorted(CORPUS.rglob("*.scxml"))
IPDS = [p for p in DOCUMENTS if p.name.startswith("IPD_")]
# Where a Composer IPD waits after start-up: the application leg for application.start, the
# event-handler leg for interaction.added.
IPD_WAITING = ["_composer_globalstate", "_composer_parallel", "_composer_application", "_composer_init",
               "_composer_event_handler"]


def test_the_corpus_is_there():
    assert len(DOCUMENTS) == 32 and len(IPDS) == 6


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_composer_document_lints_clean(path):
    assert [str(p) for p in lint_document(str(path), ors_extensions())] == []


def test_lint_command_accepts_the_whole_corpus():
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "lint", "--quiet", *map(str, DOCUMENTS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lint_command_reports_every_problem_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.scxml"
    bad.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">\n<state id="a" foo="1">\n'
                   '<transition target="nope" cond="x ==="/>\n</state>\n<state id="a"/>\n</scxml>\n')
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "lint", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in lines] == ["2", "3", "3", "5"]
    assert "transition target 'nope' does not exist" in proc.stdout and "SyntaxError" in proc.stdout


@pytest.mark.parametrize("path", IPDS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_ipd_starts_and_waits_for_interaction_added_without_errors(path):
    host = SessionHost(VirtualClock())
    events = []
    host.listeners.on("event_taken", lambda s, e: events.append(e.name))
    session = host.start_session(load_document(path, ors_extensions()))
    host.run_until_idle()
    assert session.configuration == IPD_WAITING
    assert not [e for e in events if e.startswith("error")]
    assert session.log[0][1].startswith("RelativePathURL = ")


def test_missing_include_is_a_load_error_naming_document_href_and_line(tmp_path):
    from openors.scxml import ScxmlLoadError

    doc = tmp_path / "IPD.scxml"
    doc.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:xi="http://www.w3.org/2001/XInclude"'
                   ' version="1.0" profile="ecmascript">\n<script>\n<xi:include href="../include/gone.js" parse="text"/>'
                   '\n</script><state id="s"/></scxml>')
    with pytest.raises(ScxmlLoadError) as info:
        load_document(doc, ors_extensions())
    assert info.value.url.endswith("IPD.scxml") and info.value.line == 3 and "gone.js" in str(info.value)


@pytest.mark.parametrize("path", w3c.find_tests([IRP / "mandatory/automatic"]), ids=lambda p: p.stem)
def test_w3c_documents_keep_their_meaning_with_the_ors_layer_loaded(path):
    host = SessionHost(VirtualClock())
    session = host.start_session(load_document(path, ors_extensions()))
    host.run_until_idle()
    assert session.final_state == "pass"


def test_corpus_paths_are_relative_to_the_repository():
    assert Path(__file__).resolve().parents[2].parent / "shared" == SHARED


def test_lint_checks_module_actions_for_their_required_attributes(tmp_path):
    doc = tmp_path / "strategy.scxml"
    doc.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:ixn="www.genesyslab.com/modules/interaction"'
                   ' version="1.0" profile="ecmascript"><datamodel><data id="x"/></datamodel>\n<state id="a"><onentry>\n'
                   '<ixn:redirect interactionid="x"/>\n</onentry></state></scxml>\n')
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "lint", str(doc)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.strip().endswith("strategy.scxml:3: <redirect> requires 'to'")
