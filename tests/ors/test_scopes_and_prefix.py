"""ORS's per-state variable scopes, and `_my_prefix` inside strings an included workflow passes to
`eval`."""

from __future__ import annotations

from tests.ors.module_site import ModuleSite

# A strategy the way ORS documents scopes: a retry counter local to the state that retries, a
# `menu` variable of the document hidden by the menu state's own.
SCOPED = """
    <transition event="interaction.present" target="menu"/>
  </state>
  <state id="menu">
    <datamodel><data id="menu" expr="'main menu'"/><data id="tries" expr="0"/></datamodel>
    <onentry><log label="in menu" expr="menu + ' try ' + tries"/><assign location="tries" expr="tries + 1"/>
      <assign location="visits" expr="visits + 1"/><send event="'again'" delay="'1s'"/></onentry>
    <transition event="again" cond="visits &lt; 2" target="menu"/>
    <transition event="again" target="submenu"/>
  </state>
  <state id="submenu" initial="leaf">
    <datamodel><data id="depth" expr="1"/></datamodel>
    <state id="leaf">
      <datamodel><data id="depth" expr="2"/></datamodel>
      <onentry><log label="leaf depth" expr="depth"/><send event="'up'"/></onentry>
      <transition event="up" target="after.leaf"/>
    </state>
    <state id="after.leaf"><onentry><log label="parent depth" expr="depth"/><send event="'out'"/></onentry></state>
    <transition event="out" target="outside"/>
  </state>
  <state id="outside">
    <onentry><log label="outside" expr="menu + '/' + typeof tries + '/' + typeof depth"/></onentry>
"""


def test_a_states_data_live_while_it_is_active_and_hide_the_documents(tmp_path):
    site = ModuleSite(tmp_path, SCOPED, datamodel="<data id=\"menu\" expr=\"'document menu'\"/>"
                                                  "<data id=\"visits\" expr=\"0\"/>")
    site.call()
    site.run(10)
    # re-entering the menu state starts a fresh scope: its own counter is 0 again, the document's is not
    assert site.logs("in menu") == ["main menu try 0", "main menu try 0"]
    assert site.logs("leaf depth") == [2] and site.logs("parent depth") == [1]
    assert site.logs("outside") == ["document menu/undefined/undefined"]


PREFIXED_WORKFLOW = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="entry">
  <state id="entry">
    <onentry>
      <script>var built = eval("_my_prefix + '.Done'"); var again = eval('_my_prefix');</script>
      <log label="eval" expr="built + ' ' + again"/>
      <log label="eval in attribute" expr="eval(&quot;_my_prefix&quot;)"/>
    </onentry>
  </state>
</scxml>"""


def test_my_prefix_in_a_string_passed_to_eval_is_the_workflows_resolveid(tmp_path):
    site = ModuleSite(tmp_path, """
    <state id="idle"/>
    <state id="wrap"><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="wf.scxml" parse="xml"
        xpointer="entry" resolveid="MainWorkflow"/></state>
    <transition event="interaction.present" target="wrap"/>""", extra_documents={"wf.scxml": PREFIXED_WORKFLOW})
    site.call()
    site.run(2)
    assert site.logs("eval") == ["MainWorkflow.Done MainWorkflow"]
    assert site.logs("eval in attribute") == ["MainWorkflow"]


def test_a_value_hidden_by_a_state_scope_comes_back_on_exit_after_the_session_was_evicted(tmp_path):
    from tests.ors.test_evicted_sessions import evict_and_restore

    site = ModuleSite(tmp_path, """
    <transition event="interaction.present" target="inner"/>
  </state>
  <state id="inner">
    <datamodel><data id="menu" expr="'inner menu'"/></datamodel>
    <onentry><log label="inner" expr="menu"/><send event="'out'" delay="'5s'"/></onentry>
    <transition event="out" target="outside"/>
  </state>
  <state id="outside">
    <onentry><log label="outside" expr="menu"/></onentry>
""", datamodel="<data id=\"menu\" expr=\"'document menu'\"/>")
    ixn = site.call()
    site.run(2)
    assert site.logs("inner") == ["inner menu"]
    # what the runtime's eviction does while the call waits in the inner state
    evict_and_restore(site, site.world.owner[ixn])
    site.run(10)
    assert site.logs("outside") == ["document menu"]
