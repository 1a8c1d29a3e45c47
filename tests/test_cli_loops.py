"""`openors run` always returns, whatever loop the document holds."""

import subprocess
import sys

import pytest

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
LOOPS = {
    "eventless": '<state id="a"><transition target="b"/><transition event="error" target="a"/></state>'
                 '<state id="b"><transition target="a"/></state>',
    "raise": '<state id="a"><onentry><raise event="r"/></onentry><transition event="r" target="a"/>'
             '<transition event="error" target="a"/></state>',
    "send-to-self": '<state id="a"><onentry><send event="r"/></onentry><transition event="r" target="a"/></state>',
    "spinning-script": '<state id="a"><onentry><script>while (true) {}</script></onentry>'
                       '<transition event="error" target="a"/></state>',
}


def openors(*args):
    return subprocess.run([sys.executable, "-m", "openors.cli.main", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("clock", ["virtual", "real"])
@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_run_ends_a_looping_document_and_names_the_budget(tmp_path, loop, clock):
    doc = tmp_path / f"{loop}.scxml"
    doc.write_text(f"{HEAD}{LOOPS[loop]}</scxml>")
    proc = openors("run", str(doc), "--timeout", "20", *(["--real-time"] if clock == "real" else []))
    assert proc.returncode == 1
    assert "ended by the" in proc.stderr and "budget" in proc.stderr


def test_run_timeout_bounds_a_paced_loop_in_virtual_time(tmp_path):
    doc = tmp_path / "paced.scxml"
    doc.write_text(f'{HEAD}<state id="a"><onentry><send event="t" delay="1ms"/></onentry>'
                   '<transition event="t" target="a"/></state></scxml>')
    proc = openors("run", str(doc), "--timeout", "1")
    assert proc.returncode == 1
    assert "timed out after 1.0s" in proc.stderr
