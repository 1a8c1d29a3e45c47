"""`openors lint` knows every element of every module: it reports, with file and line, an element no
module has and a bare word where a value expression is expected, and leaves right documents alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openors.ors.dialect.elements import module_elements
from openors.ors.extensions import ors_extensions
from openors.ors.modules_registry import default_modules
from openors.scxml.lint import lint_document

HEAD = """<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:ixn="http://www.genesyslab.com/modules/interaction"
       xmlns:dialog="http://www.genesyslab.com/modules/dialog" xmlns:queue="http://www.genesyslab.com/modules/queue"
       xmlns:classification="http://www.genesyslab.com/modules/classification"
       xmlns:resource="http://www.genesyslab.com/modules/resource" version="1.0" initial="s">
  <datamodel><data id="ixnid" expr="''"/><data id="rid"/><data id="kind" expr="'music'"/></datamodel>
  <state id="s">
    <transition event="interaction.present">
"""
TAIL = """
    </transition>
  </state>
</scxml>
"""


def write(tmp_path, body: str):
    path = tmp_path / "strategy.scxml"
    path.write_text(HEAD + body + TAIL, encoding="utf-8")
    return path


def lint(path) -> list[str]:
    return [str(p) for p in lint_document(str(path), ors_extensions(modules=default_modules()))]


def test_an_unknown_element_is_reported_with_file_line_and_the_closest_names(tmp_path):
    path = write(tmp_path, """      <ixn:redirect interactionid="ixnid" to="'7001'"/>
      <ixn:redirekt interactionid="ixnid" to="'7001'"/>""")
    (problem,) = lint(path)
    assert problem.startswith(f"{path.as_uri()}:9: unknown element <ixn:redirekt>")
    assert "did you mean <ixn:redirect>" in problem


def test_a_word_where_an_expression_is_expected_is_reported(tmp_path):
    path = write(tmp_path, """      <dialog:playsound interactionid="ixnid" type="music" duration="10"/>
      <dialog:playsound interactionid="ixnid" type="kind" duration="10"/>
      <queue:submit timeout="30" ordertype="max"><queue:targets>
        <queue:target name="'Sales'" type="'agentgroup'"/></queue:targets></queue:submit>""")
    problems = lint(path)
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{path.as_uri()}:8: <dialog:playsound> attribute 'type' is a value expression")
    assert """write type="'music'\"""" in problems[0]
    assert problems[1].startswith(f"{path.as_uri()}:11: <queue:target> attribute 'type' is a word (NMTOKEN)")


def test_a_value_expression_that_does_not_parse_is_reported(tmp_path):
    path = write(tmp_path, """      <classification:classify interactionid="ixnid" root="'Support' +"/>""")
    (problem,) = lint(path)
    assert ":8: <classification:classify> attribute 'root': SyntaxError" in problem


def test_modules_whose_elements_are_not_documented_accept_any_element(tmp_path):
    path = write(tmp_path, """      <resource:allocate requestid="rid"/>""")
    assert lint(path) == []


def test_the_lint_command_exits_non_zero_on_them(tmp_path):
    path = write(tmp_path, """      <ixn:redirekt interactionid="ixnid"/>""")
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "lint", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "strategy.scxml:8: unknown element <ixn:redirekt>" in proc.stdout


@pytest.mark.parametrize("module", ["interaction", "queue", "dialog", "session", "statistic", "classification"])
def test_every_action_this_server_runs_is_a_known_element(module):
    running = {name for (m, name) in default_modules() if m == module}
    assert running and running <= set(module_elements()[module])
