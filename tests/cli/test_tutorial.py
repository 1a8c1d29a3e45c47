"""docs/tutorial.md works as written: its files are written, its commands run and succeed."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", re.S)
COMMAND_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def test_every_command_of_the_tutorial_runs_and_succeeds(tmp_path):
    text = TUTORIAL.read_text()
    files = FILE_BLOCK.findall(text)
    assert {name for name, _ in files} == {"site.yaml", "billing.scxml", "calls.yaml", "billing.test.yaml"}
    for name, body in files:
        (tmp_path / name).write_text(body)
    commands = [line for block in COMMAND_BLOCK.findall(text) for line in block.splitlines() if line.strip()]
    assert len(commands) == 4
    outputs = []
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "openors"
        proc = subprocess.run([sys.executable, "-m", "openors.cli.main", *words[1:]], capture_output=True,
                              text=True, cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        outputs.append(proc.stdout)
    # What the tutorial says the commands print and write.
    assert "1 passed, 0 failed" in outputs[-1] and "billing.scxml: states 5/5" in outputs[-1]
    assert (tmp_path / "junit.xml").is_file() and (tmp_path / "coverage" / "index.html").is_file()
    assert (tmp_path / "kpis.html").read_text().count("<svg") == 3


def test_the_failure_the_tutorial_suggests_is_shown_with_the_timeline(tmp_path):
    text = TUTORIAL.read_text()
    for name, body in FILE_BLOCK.findall(text):
        (tmp_path / name).write_text(body.replace("within: 32", "within: 20"))
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "test", "billing.test.yaml"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    assert "call +15551230002: routed_to" in proc.stdout and "expected: agent bob within 20 s" in proc.stdout
    assert "timeline: 10.0 arrived 5100" in proc.stdout
