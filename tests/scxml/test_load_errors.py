"""Documents that break the spec are rejected at load, naming the file, the line and the reason."""

import pytest

from openors.scxml import ScxmlLoadError, load_document, load_string

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">\n'


def _reject(body: str) -> ScxmlLoadError:
    with pytest.raises(ScxmlLoadError) as info:
        load_string(HEAD + body + "\n</scxml>", url="file:///charts/bad.scxml")
    return info.value


def test_malformed_xml_is_rejected_with_its_line():
    err = _reject('<state id="a">\n<transition target="b">\n</state>')
    assert err.line == 4 and "malformed XML" in err.reason
    assert str(err).startswith("file:///charts/bad.scxml:4:")


def test_unknown_transition_target_is_named():
    err = _reject('<state id="a">\n  <transition event="go" target="nowhere"/>\n</state>')
    assert err.line == 3 and "'nowhere' does not exist" in err.reason


def test_duplicate_state_ids_are_rejected():
    err = _reject('<state id="a"/>\n<final id="a"/>')
    assert err.line == 3 and "duplicate state id 'a'" in err.reason


def test_duplicate_data_ids_are_rejected():
    err = _reject('<datamodel><data id="x"/>\n<data id="x"/></datamodel><state id="a"/>')
    assert "duplicate <data id='x'>" in err.reason and err.line == 3


def test_illegal_child_is_rejected():
    err = _reject('<state id="a">\n  <donedata/>\n</state>')
    assert err.line == 3 and "<donedata> is not allowed inside <state>" in err.reason


def test_illegal_attribute_is_rejected():
    err = _reject('<state id="a" colour="red"/>')
    assert err.line == 2 and "does not allow attribute 'colour'" in err.reason


def test_foreign_namespace_attributes_are_allowed():
    doc = load_string(HEAD.replace("<scxml ", '<scxml xmlns:ed="urn:editor" ')
                      + '<state id="a" ed:x="10"/></scxml>')
    assert doc.state("a").id == "a"


def test_unknown_executable_content_is_rejected():
    err = _reject('<state id="a"><onentry>\n<play xmlns="urn:unknown"/></onentry></state>')
    assert err.line == 3 and "unknown executable content <play>" in err.reason


def test_script_src_that_cannot_be_fetched_is_rejected(tmp_path):
    doc = tmp_path / "chart.scxml"
    doc.write_text(HEAD + '<script src="missing.js"/>\n<state id="a"/></scxml>')
    with pytest.raises(ScxmlLoadError) as info:
        load_document(doc)
    assert info.value.url.endswith("chart.scxml") and info.value.line == 2
    assert "missing.js" in info.value.reason


def test_script_src_is_loaded_relative_to_the_document(tmp_path):
    (tmp_path / "lib.js").write_text("var fromLib = 41;")
    doc = tmp_path / "chart.scxml"
    doc.write_text(HEAD + '<script src="lib.js"/><state id="a"/></scxml>')
    assert "fromLib" in load_document(doc).scripts[0].source


def test_initial_must_name_a_descendant():
    err = _reject('<state id="a" initial="b"><state id="c"/></state><state id="b"/>')
    assert "not a descendant of 'a'" in err.reason


def test_send_with_both_event_and_eventexpr_is_rejected():
    err = _reject('<state id="a"><onentry><send event="x" eventexpr="\'y\'"/></onentry></state>')
    assert "cannot have both 'event' and 'eventexpr'" in err.reason


def test_a_document_that_is_not_scxml_is_rejected():
    with pytest.raises(ScxmlLoadError) as info:
        load_string("<html/>")
    assert "root element must be <scxml>" in info.value.reason


def test_unsupported_datamodel_is_rejected():
    with pytest.raises(ScxmlLoadError) as info:
        load_string(HEAD.replace("ecmascript", "xpath") + "<state id='a'/></scxml>")
    assert "unsupported datamodel 'xpath'" in info.value.reason


def test_document_without_states_is_rejected_instead_of_failing_at_start():
    err = _reject('<datamodel><data id="x" expr="1"/></datamodel>\n<script>x = 2;</script>')
    assert err.line == 1 and "no <state>, <parallel> or <final>" in err.reason
