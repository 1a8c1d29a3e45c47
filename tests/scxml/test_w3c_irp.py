"""The W3C SCXML IRP suite (ECMAScript datamodel), judged as the suite's INDEX.md says."""

import pytest

from openors.scxml import w3c
from tests.conftest import IRP


def _ids(folder):
    return [p for p in w3c.find_tests([IRP / folder])]


MANDATORY = _ids("mandatory/automatic")
OPTIONAL = _ids("optional/automatic")
MANUAL = _ids("manual")
EXTRA = _ids("extra/dropped-from-final-irp") + _ids("extra/null-datamodel") + _ids(
    "extra/manual-as-auto-alexzhornyak") + [IRP / "extra/uscxml-custom/test145.scxml"]


def test_the_suite_has_the_documented_size():
    assert (len(MANDATORY), len(OPTIONAL), len(MANUAL)) == (159, 33, 8)


@pytest.mark.parametrize("path", MANDATORY, ids=lambda p: p.stem)
def test_mandatory_irp_test_reaches_pass(path):
    result = w3c.run_test(path)
    assert result.passed, result.detail


@pytest.mark.parametrize("path", OPTIONAL, ids=lambda p: p.stem)
def test_optional_irp_test_reaches_pass(path):
    result = w3c.run_test(path)
    assert result.passed, result.detail


@pytest.mark.parametrize("path", MANDATORY + OPTIONAL, ids=lambda p: p.stem)
def test_irp_test_reaches_pass_when_restored_from_its_snapshot_after_every_macrostep(path):
    # The server's persistence round trip (snapshot as JSON, fresh interpreter and JS context)
    # between every two macrosteps must not change any outcome.
    result = w3c.run_test(path, snapshots=True)
    assert result.passed, result.detail


def test_the_snapshot_mode_really_restores_sessions():
    # Sessions waiting on delayed events, invoked children and HTTP all go through restores.
    restored = [p.stem for p in MANDATORY + OPTIONAL
                if p.stem in ("test207", "test226", "test252", "test509")
                and w3c.execute(p, snapshots=True).restores > 0]
    assert restored == ["test207", "test226", "test252", "test509"]


def test_a_snapshot_that_forgets_the_data_fails_the_restored_run(monkeypatch):
    from openors.scxml.datamodel.ecmascript import EcmaScriptDatamodel

    doc = IRP / "mandatory/automatic/test176.scxml"
    assert w3c.run_test(doc, snapshots=True).passed
    # the text both the stored snapshot (embedded as it is) and snapshot() (parsed) are made of
    monkeypatch.setattr(EcmaScriptDatamodel, "snapshot_json", lambda self: '{"variables":{}}')
    assert not w3c.run_test(doc, snapshots=True).passed


@pytest.mark.parametrize("path", MANUAL, ids=lambda p: p.stem)
def test_manual_irp_test_meets_its_written_rule(path):
    result = w3c.run_test(path)
    assert result.passed, f"{w3c.MANUAL_RULES[path.stem][0]}: {result.detail}"


@pytest.mark.parametrize("path", EXTRA, ids=lambda p: p.stem)
def test_extra_irp_document_reaches_pass(path):
    result = w3c.run_test(path)
    assert result.passed, result.detail


def test_a_failing_chart_is_reported_as_failed(tmp_path):
    doc = tmp_path / "test9999.scxml"
    doc.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
        '<state id="s0"><transition target="fail"/></state><final id="pass"/><final id="fail"/></scxml>')
    result = w3c.run_test(doc)
    assert not result.passed and "fail" in result.detail
