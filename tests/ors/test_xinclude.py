"""XInclude as Composer writes it: text and xml includes, resolveid prefixing, sources, load errors."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from lxml import etree

from openors.ors.dialect.xinclude import (
    IncludeCycleError,
    IncludeError,
    element_source,
    resolve_includes,
    text_source,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "composer-corpus"
SCXML_NS = "http://www.w3.org/2005/07/scxml"
XI_NS = "http://www.w3.org/2001/XInclude"
STATE_TAGS = ("state", "parallel", "final", "history")

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="composer corpus not available")


def corpus_documents() -> list[Path]:
    return sorted(CORPUS.glob("*/**/*.scxml")) if CORPUS.is_dir() else []


def load(path: Path):
    root = etree.parse(str(path)).getroot()
    return resolve_includes(root, path)


def state_ids(root) -> list[str]:
    return [el.get("id") for el in root.iter(*(f"{{{SCXML_NS}}}{t}" for t in STATE_TAGS)) if el.get("id")]


def by_id(root, state_id: str):
    matches = [el for el in root.iter() if isinstance(el.tag, str) and el.get("id") == state_id]
    assert len(matches) == 1, f"{state_id}: {len(matches)} elements"
    return matches[0]


def line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def scxml(body: str, extra_ns: str = "") -> str:
    return (
        f'<scxml xmlns="{SCXML_NS}" xmlns:xi="{XI_NS}" {extra_ns} version="1.0" profile="ecmascript">\n'
        f"{body}\n</scxml>\n"
    )


# --- the real Composer corpus ---------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", corpus_documents(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_document_resolves_its_includes_into_a_consistent_state_tree(path):
    root = load(path)
    assert not list(root.iter(f"{{{XI_NS}}}*")), "an include was left in the tree"
    assert "$$_MY_PREFIX_$$" not in etree.tostring(root, encoding="unicode")
    ids = state_ids(root)
    assert len(ids) == len(set(ids)), "duplicate state ids after prefixing"
    references = set()
    for el in root.iter():
        if isinstance(el.tag, str):
            for attr in ("target", "initial"):
                references.update((el.get(attr) or "").split())
    assert references <= set(ids), f"unresolved state references: {references - set(ids)}"


@needs_corpus
def test_corpus_covers_the_ipd_entry_documents():
    entries = [p for p in corpus_documents() if p.name.startswith("IPD_")]
    assert len(entries) == 6


@needs_corpus
def test_text_include_inlines_the_javascript_file():
    ipd = CORPUS / "genesyssandbox__routing/src-gen/IPD_default_defaultWorkflow.scxml"
    root = load(ipd)
    script = root.find(f"{{{SCXML_NS}}}script")
    common_js = CORPUS / "genesyssandbox__routing/include/common.js"
    expected = common_js.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    assert script.text == expected
    assert "function getBaseURL()" in script.text
    assert text_source(script) == (common_js.as_uri(), 1)
    assert element_source(script) == (ipd.as_uri(), line_of(ipd, "../include/common.js"))


@needs_corpus
def test_xml_include_prefixes_included_state_ids_with_the_resolveid():
    root = load(CORPUS / "genesyssandbox__routing/src-gen/IPD_default_defaultWorkflow.scxml")
    entry = by_id(root, "defaultWorkflow._composer_entry")
    assert entry.getparent().get("id") == "defaultWorkflow"
    assert entry.get("initial") == "defaultWorkflow.Entry1"
    entry1 = by_id(root, "defaultWorkflow.Entry1")
    assert entry1.find(f"{{{SCXML_NS}}}transition").get("target") == "defaultWorkflow.Exit1"
    # the IPD's own ids are untouched, and only the xpointer'd element was included
    by_id(root, "_composer_global_exit")
    assert "_composer_noboot" not in state_ids(root)


@needs_corpus
def test_prefix_token_in_event_names_becomes_the_resolveid():
    root = load(CORPUS / "scmcdev__CRD_GVP_WF/src-gen/IPD_default_Main3Workflow.scxml")
    events = {el.get("event") for el in root.iter(f"{{{SCXML_NS}}}transition")}
    assert "done.state.Main3Workflow._reserved_BeginParallel1_parallel" in events
    by_id(root, "Main3Workflow._reserved_BeginParallel1_parallel")


@needs_corpus
def test_my_prefix_in_included_expressions_is_the_resolveid():
    root = load(CORPUS / "scmcdev__CRD_GVP_WF/src-gen/IPD_default_Main3Workflow.scxml")
    params = [p for p in root.iter(f"{{{SCXML_NS}}}param") if p.get("name") == "resolveid"]
    assert params and all(p.get("expr") == '"Main3Workflow"' for p in params)
    conds = [t.get("cond") for t in root.iter(f"{{{SCXML_NS}}}transition") if "resolveid" in (t.get("cond") or "")]
    assert conds and all("_my_prefix" not in c and '"Main3Workflow"' in c for c in conds)


@needs_corpus
def test_include_href_differing_only_in_case_finds_the_file():
    # The project includes "Main3.scxml"; the file is "main3.scxml" (authored on Windows).
    root = load(CORPUS / "scmcdev__CRD_GVP_WF/src-gen/IPD_default_Main3Workflow.scxml")
    url, _ = element_source(by_id(root, "Main3Workflow._composer_entry"))
    assert url.endswith("/src-gen/main3.scxml")


@needs_corpus
def test_workflow_loaded_alone_has_the_empty_prefix():
    root = load(CORPUS / "genesyssandbox__routing/src-gen/default.scxml")
    assert by_id(root, "_composer_entry").get("initial") == "Entry1"
    assert by_id(root, "Entry1").find(f"{{{SCXML_NS}}}transition").get("target") == "Exit1"


@needs_corpus
def test_element_source_names_the_included_file_and_its_line():
    ipd = CORPUS / "genesyssandbox__routing/src-gen/IPD_default_defaultWorkflow.scxml"
    workflow = CORPUS / "genesyssandbox__routing/src-gen/default.scxml"
    root = load(ipd)
    assert element_source(by_id(root, "defaultWorkflow.Entry1")) == (
        workflow.as_uri(),
        line_of(workflow, '<state id="Entry1">'),
    )
    assert element_source(by_id(root, "_composer_global_exit")) == (
        ipd.as_uri(),
        line_of(ipd, '<final id="_composer_global_exit">'),
    )


@needs_corpus
def test_included_module_actions_keep_their_namespace():
    root = load(CORPUS / "genesyssandbox__routing/src-gen/IPD_default_defaultWorkflow.scxml")
    terminates = list(root.iter("{http://www.genesyslab.com/modules/interaction}terminate"))
    sources = {element_source(el)[0].rsplit("/", 1)[-1] for el in terminates}
    assert sources == {"IPD_default_defaultWorkflow.scxml", "default.scxml"}


# --- synthetic documents --------------------------------------------------------------------------


def test_data_ids_are_variables_and_are_not_prefixed(tmp_path):
    write(tmp_path, "wf.scxml", scxml(
        '<state id="entry" initial="$$_MY_PREFIX_$$.a">'
        '<datamodel><data id="counter" expr="0"/></datamodel>'
        '<state id="a"><transition event="go" target="$$_MY_PREFIX_$$.b"/></state><final id="b"/></state>'
    ))
    main = write(tmp_path, "main.scxml", scxml(
        '<state id="wrap"><xi:include href="wf.scxml" parse="xml" xpointer="entry" resolveid="W"/></state>'
    ))
    root = load(main)
    assert set(state_ids(root)) == {"wrap", "W.entry", "W.a", "W.b"}
    assert root.find(f".//{{{SCXML_NS}}}data").get("id") == "counter"


def test_my_prefix_in_script_text_is_bound_and_properties_are_left_alone(tmp_path):
    write(tmp_path, "wf.scxml", scxml(
        '<state id="entry"><onentry><script>var p = _my_prefix; var q = o._my_prefix; var r = _my_prefix2;'
        "</script></onentry></state>"
    ))
    main = write(tmp_path, "main.scxml", scxml(
        '<state id="wrap"><xi:include href="wf.scxml" xpointer="entry" resolveid="W"/></state>'
    ))
    script = load(main).find(f".//{{{SCXML_NS}}}script")
    assert script.text == 'var p = "W"; var q = o._my_prefix; var r = _my_prefix2;'


def test_nested_includes_compose_prefixes_and_keep_their_files(tmp_path):
    inner = write(tmp_path, "inner.scxml", scxml(
        '<state id="top" initial="$$_MY_PREFIX_$$.leaf"><final id="leaf"/></state>'
    ))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "middle.scxml", scxml(
        '<state id="mid"><xi:include href="../inner.scxml" xpointer="top" resolveid="$$_MY_PREFIX_$$.In"/></state>'
    ))
    main = write(tmp_path, "main.scxml", scxml(
        '<state id="wrap"><xi:include href="sub/middle.scxml" xpointer="mid" resolveid="Mid"/></state>'
    ))
    root = load(main)
    assert set(state_ids(root)) == {"wrap", "Mid.mid", "Mid.In.top", "Mid.In.leaf"}
    leaf = by_id(root, "Mid.In.leaf")
    assert by_id(root, "Mid.In.top").get("initial") == "Mid.In.leaf"
    assert element_source(leaf) == (inner.as_uri(), 2)
    assert element_source(by_id(root, "Mid.mid"))[0] == (tmp_path / "sub" / "middle.scxml").as_uri()


def test_text_include_after_inline_text_records_the_line_it_starts_at(tmp_path):
    write(tmp_path, "lib.js", "var a = 1;\r\nvar b = 2;\r\n")
    main = write(tmp_path, "main.scxml", scxml(
        '<script>var before = 0;\n<xi:include href="lib.js" parse="text"/>var after = 3;</script>'
    ))
    script = load(main).find(f"{{{SCXML_NS}}}script")
    assert script.text == "var before = 0;\nvar a = 1;\nvar b = 2;\nvar after = 3;"
    assert text_source(script) == ((tmp_path / "lib.js").as_uri(), 2)


def test_missing_include_error_names_the_document_the_href_and_the_line(tmp_path):
    main = write(tmp_path, "main.scxml", scxml(
        '<state id="s">\n<xi:include href="nowhere.scxml" parse="xml" xpointer="x" resolveid="R"/>\n</state>'
    ))
    with pytest.raises(IncludeError) as info:
        load(main)
    err = info.value
    assert (err.url, err.line, err.href) == (main.as_uri(), 3, "nowhere.scxml")
    assert "main.scxml:3" in str(err) and "nowhere.scxml" in str(err)


def test_missing_text_include_is_a_load_error(tmp_path):
    main = write(tmp_path, "main.scxml", scxml('<script><xi:include href="gone.js" parse="text"/></script>'))
    with pytest.raises(IncludeError, match=r"main\.scxml:2: cannot include 'gone\.js'"):
        load(main)


def test_error_in_an_included_document_names_that_document(tmp_path):
    write(tmp_path, "wf.scxml", scxml('<state id="e">\n<xi:include href="lost.js" parse="text"/></state>'))
    main = write(tmp_path, "main.scxml", scxml('<state id="w"><xi:include href="wf.scxml" xpointer="e"/></state>'))
    with pytest.raises(IncludeError) as info:
        load(main)
    assert (info.value.url, info.value.line) == ((tmp_path / "wf.scxml").as_uri(), 3)


def test_unparsable_include_is_a_load_error(tmp_path):
    write(tmp_path, "broken.scxml", "<scxml><state id='a'></scxml>")
    main = write(tmp_path, "main.scxml", scxml('<state id="w"><xi:include href="broken.scxml"/></state>'))
    with pytest.raises(IncludeError, match="not well-formed"):
        load(main)


def test_xpointer_naming_no_element_is_a_load_error(tmp_path):
    write(tmp_path, "wf.scxml", scxml('<state id="a"/>'))
    main = write(tmp_path, "main.scxml", scxml('<state id="w"><xi:include href="wf.scxml" xpointer="zzz"/></state>'))
    with pytest.raises(IncludeError, match="no element with id 'zzz'"):
        load(main)


def test_include_cycle_is_detected_with_the_chain(tmp_path):
    write(tmp_path, "a.scxml", scxml('<state id="a"><xi:include href="b.scxml" xpointer="b"/></state>'))
    write(tmp_path, "b.scxml", scxml('<state id="b"><xi:include href="a.scxml" xpointer="a"/></state>'))
    main = write(tmp_path, "main.scxml", scxml('<state id="m"><xi:include href="a.scxml" xpointer="a"/></state>'))
    with pytest.raises(IncludeCycleError, match=r"include cycle: .*a\.scxml -> .*b\.scxml -> .*a\.scxml"):
        load(main)


def test_document_including_itself_is_a_cycle(tmp_path):
    main = write(tmp_path, "main.scxml", scxml('<state id="m"><xi:include href="main.scxml" xpointer="m"/></state>'))
    with pytest.raises(IncludeCycleError):
        load(main)


def test_fallback_replaces_an_include_that_cannot_be_read(tmp_path):
    main = write(tmp_path, "main.scxml", scxml(
        '<state id="m"><xi:include href="gone.scxml"><xi:fallback><final id="fb"/></xi:fallback></xi:include></state>'
    ))
    root = load(main)
    assert state_ids(root) == ["m", "fb"]


def test_base_may_be_a_file_url(tmp_path):
    write(tmp_path, "lib.js", "var x = 1;")
    main = write(tmp_path, "main.scxml", scxml('<script><xi:include href="lib.js" parse="text"/></script>'))
    root = resolve_includes(etree.parse(str(main)), main.as_uri())
    assert root.find(f"{{{SCXML_NS}}}script").text == "var x = 1;"


# --- http ------------------------------------------------------------------------------------------


@pytest.fixture
def http_root(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path; yields (directory, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keeps the test output clean
        pass


def test_http_includes_resolve_relative_to_the_including_document(http_root):
    directory, base = http_root
    (directory / "include").mkdir()
    (directory / "src-gen").mkdir()
    write(directory / "include", "lib.js", "function f() { return 1; }")
    write(directory / "src-gen", "wf.scxml", scxml('<state id="e" initial="$$_MY_PREFIX_$$.x"><final id="x"/></state>'))
    main_text = scxml(
        '<script><xi:include href="../include/lib.js" parse="text"/></script>\n'
        '<state id="w"><xi:include href="wf.scxml" parse="xml" xpointer="e" resolveid="W"/></state>'
    )
    main_url = base + "src-gen/main.scxml"
    root = resolve_includes(etree.fromstring(main_text.encode(), base_url=main_url), main_url)
    assert root.find(f"{{{SCXML_NS}}}script").text == "function f() { return 1; }"
    assert by_id(root, "W.e").get("initial") == "W.x"
    assert element_source(by_id(root, "W.x")) == (base + "src-gen/wf.scxml", 2)


def test_http_include_not_found_is_a_load_error(http_root):
    _, base = http_root
    main_url = base + "main.scxml"
    root = etree.fromstring(scxml('<script><xi:include href="missing.js" parse="text"/></script>').encode())
    with pytest.raises(IncludeError, match="HTTP status 404") as info:
        resolve_includes(root, main_url)
    assert (info.value.url, info.value.href) == (main_url, "missing.js")


def test_document_without_url_resolves_against_the_current_directory(tmp_path, monkeypatch):
    write(tmp_path, "lib.js", "var y = 2;")
    monkeypatch.chdir(tmp_path)
    root = etree.fromstring(scxml('<script><xi:include href="lib.js" parse="text"/></script>').encode())
    assert resolve_includes(root, None).find(f"{{{SCXML_NS}}}script").text == "var y = 2;"
