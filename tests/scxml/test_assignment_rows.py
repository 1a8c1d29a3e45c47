"""Assignments in a row run in one call into JS: what they do, and which one an error names, must
be what running them one by one gives."""

from openors.scxml import SessionHost, VirtualClock, load_string

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'


def _run(body: str, datamodel: str = '<datamodel><data id="a" expr="0"/><data id="b" expr="0"/>'
         '<data id="c" expr="0"/><data id="err" expr="null"/></datamodel>'):
    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(f"{HEAD} initial='s'>{datamodel}{body}</scxml>"))
    host.run_until_idle()
    return session, session.interpreter.datamodel


ROW = """
  <state id="s">
    <onentry>
      <assign location="a" expr="1"/>
      <assign location="b" expr="a + 1"/>
      <assign location="c" expr="b + 1"/>
    </onentry>
    <transition event="go">
      <assign location="a" expr="10"/>
      <assign location="b" expr="undefined.boom"/>
      <assign location="c" expr="99"/>
    </transition>
    <transition event="error.execution">
      <assign location="err" expr="[_event.data.element, _event.data.line]"/>
    </transition>
  </state>"""


def test_each_assignment_of_a_row_sees_the_ones_before_it():
    _, dm = _run(ROW)
    assert dm.evaluate("[a, b, c]") == [1, 2, 3]


def test_a_failing_assignment_stops_its_row_after_the_ones_before_it_and_its_error_names_it():
    session, dm = _run(ROW)
    session.send("go")
    assert dm.evaluate("[a, b, c]") == [10, 2, 3]  # a took effect, b failed, c never ran
    element, line = dm.evaluate("err")
    assert element == "assign" and line == 1 + ROW.splitlines().index('      <assign location="b" expr="undefined.boom"/>')


ODD_ROWS = """
  <state id="s">
    <transition event="go">
      <assign location="a" expr="5"/>
      <assign location="b" expr="1; 2"/>
      <assign location="c" expr="c + 1 // a comment"/>
      <assign location="err" expr="typeof __v + typeof __s"/>
    </transition>
    <transition event="again">
      <assign location="a" expr="a + 1"/>
      <assign location="b" expr="(function () { throw new TypeError('no'); })()"/>
    </transition>
    <transition event="error.execution">
      <assign location="c" expr="[_event.data.element, _event.data.line, _event.data.message]"/>
    </transition>
  </state>"""


def test_odd_rows_give_what_running_them_one_by_one_gives(monkeypatch):
    # a statement where an expression is expected, a comment at the end, names the fused call
    # uses, a thrown error: the fused path (or its fallback) must give exactly the one-by-one result
    from openors.scxml.datamodel.ecmascript import EcmaScriptDatamodel

    def outcome():
        session, dm = _run(ODD_ROWS)
        session.send("go")
        first = dm.evaluate("[a, b, c, err]")
        session.send("again")
        return first, dm.evaluate("[a, b, c]")

    fused = outcome()
    monkeypatch.setattr(EcmaScriptDatamodel, "fuses_assigns", False)
    assert outcome() == fused
    assert fused[1][0] == 6 and fused[1][2][0] == "assign"


def test_an_assignment_to_an_undeclared_location_in_a_row_fails_there_as_on_its_own():
    session, dm = _run("""
      <state id="s">
        <transition event="go">
          <assign location="a" expr="3"/>
          <assign location="nowhere" expr="4"/>
          <assign location="b" expr="5"/>
        </transition>
        <transition event="error.execution"><assign location="err" expr="_event.name"/></transition>
      </state>""")
    session.send("go")
    assert dm.evaluate("[a, b, typeof nowhere, err]") == [3, 0, "undefined", "error.execution"]


NESTED = """
  <state id="s">
    <transition event="go">
      <if cond="true">
        <assign location="a" expr="a + 1"/>
        <assign location="b" expr="a * 10"/>
      </if>
      <foreach array="[1, 2, 3]" item="i">
        <assign location="c" expr="c + i"/>
        <assign location="a" expr="a + c"/>
      </foreach>
    </transition>
    <transition event="fail">
      <if cond="true">
        <assign location="a" expr="0"/>
        <assign location="b" expr="null.x"/>
      </if>
    </transition>
    <transition event="error.execution"><assign location="err" expr="_event.data.element"/></transition>
  </state>"""


def test_rows_inside_if_and_foreach_run_in_order_and_an_error_inside_names_the_if(monkeypatch):
    from openors.scxml.datamodel.ecmascript import EcmaScriptDatamodel

    def outcome():
        session, dm = _run(NESTED, '<datamodel><data id="a" expr="0"/><data id="b" expr="0"/>'
                                   '<data id="c" expr="0"/><data id="i"/><data id="err" expr="null"/></datamodel>')
        session.send("go")
        first = dm.evaluate("[a, b, c]")
        session.send("fail")
        return first, dm.evaluate("[a, b, err]")

    fused = outcome()
    assert fused == ([1 + 1 + 3 + 6, 10, 6], [0, 10, "if"])  # as when an <assign> in an <if> fails alone
    monkeypatch.setattr(EcmaScriptDatamodel, "fuses_assigns", False)
    assert outcome() == fused


def test_foreach_sets_an_item_or_index_named_i_or_a():
    # `i` is the usual name of a loop variable: the item and index must be the document's
    # variables, whatever their names
    _, dm = _run("""
      <state id="s">
        <onentry>
          <foreach array="['x', 'y', 'z']" item="i" index="a">
            <assign location="c" expr="c + i + a"/>
          </foreach>
        </onentry>
      </state>""", '<datamodel><data id="c" expr="\'\'"/></datamodel>')
    assert dm.evaluate("[c, i, a]") == ["x0y1z2", "z", 2]
