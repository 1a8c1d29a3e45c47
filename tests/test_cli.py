"""The `openors` command line, run as a user would run it."""

import json
import subprocess
import sys

import pytest

from tests.conftest import IRP

CHART = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <state id="s0"><onentry><log label="hello" expr="'world'"/><send event="t" delay="60s"/></onentry>
    <transition event="t" target="{target}"/></state>
  <final id="done"/>
  <state id="stuck"/>
</scxml>"""


def openors(*args):
    return subprocess.run([sys.executable, "-m", "openors.cli.main", *args], capture_output=True, text=True)


def test_run_prints_the_log_and_exits_zero_on_a_final_state(tmp_path):
    doc = tmp_path / "ok.scxml"
    doc.write_text(CHART.format(target="done"))
    proc = openors("run", str(doc))
    assert proc.returncode == 0
    assert "[log] hello: world" in proc.stdout and "final state: done" in proc.stdout


def test_run_exits_non_zero_when_the_session_does_not_end(tmp_path):
    doc = tmp_path / "stuck.scxml"
    doc.write_text(CHART.format(target="stuck"))
    proc = openors("run", str(doc), "--timeout", "1")
    assert proc.returncode == 1
    assert "configuration: stuck" in proc.stdout


def test_run_reports_a_bad_document_with_its_line(tmp_path):
    doc = tmp_path / "bad.scxml"
    doc.write_text(CHART.format(target="nowhere"))
    proc = openors("run", str(doc))
    assert proc.returncode == 2
    assert "bad.scxml:3: transition target 'nowhere' does not exist" in proc.stderr


def test_w3c_prints_a_line_per_test_and_the_closing_count(tmp_path):
    out = tmp_path / "results.json"
    proc = openors("w3c", str(IRP / "mandatory/automatic/test144.scxml"), str(IRP / "manual/test301.scxml"),
                   "--json", str(out))
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "2 passed, 0 failed"
    assert lines[0].startswith("pass  test144")
    assert [r["name"] for r in json.loads(out.read_text())] == ["test144", "test301"]


def test_run_takes_an_ors_document_with_its_dialect(tmp_path):
    doc = tmp_path / "ors.scxml"
    doc.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript">'
                   '<datamodel><data id="n" expr="2"/></datamodel>'
                   '<state id="s"><onentry><send event="\'go\'" delay="\'5s\'"/></onentry>'
                   '<transition event="go" target="done"><log label="n" expr="_data.n * 21"/></transition></state>'
                   '<final id="done"/></scxml>')
    proc = openors("run", str(doc))
    assert proc.returncode == 0, proc.stderr
    assert "[log] n: 42" in proc.stdout and "final state: done" in proc.stdout


_SCXML = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">'
_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
           + ']>\n' + _SCXML + '<state id="s"><onentry><log expr="\'&i;\'"/></onentry></state></scxml>')


def _hostile(tmp_path, kind: str):
    path = tmp_path / f"{kind}.scxml"
    if kind == "directory":
        path.mkdir()
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "bad-utf8":
        path.write_bytes(_SCXML.encode() + b'<state id="\xff\xfe"/></scxml>')
    elif kind == "billion-laughs":
        path.write_text(_LAUGHS)
    elif kind == "deep":
        path.write_text(_SCXML + "".join(f'<state id="s{i}">' for i in range(1500)) + "</state>" * 1500 + "</scxml>")
    elif kind == "deeper-than-libxml2-allows":
        path.write_text(_SCXML + "<state>" * 10_000 + "</state>" * 10_000 + "</scxml>")
    return path


@pytest.mark.parametrize("kind", ["missing", "directory", "garbage", "bad-utf8", "billion-laughs", "deep",
                                  "deeper-than-libxml2-allows"])
def test_lint_and_run_report_a_hostile_document_by_name_without_a_traceback(tmp_path, kind):
    path = _hostile(tmp_path, kind)
    for command in ("lint", "run"):
        proc = openors(command, str(path), "--timeout", "5") if command == "run" else openors(command, str(path))
        assert proc.returncode != 0, (command, proc.stdout, proc.stderr)
        output = proc.stdout + proc.stderr
        assert f"{kind}.scxml" in output and "Traceback" not in output, (command, output)
