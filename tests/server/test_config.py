"""`openors serve` configuration: the YAML format and its errors."""

from __future__ import annotations

import pytest

from openors.cli.main import main
from openors.server.config import ConfigError, load_config


def test_a_full_configuration(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("listen: {host: 0.0.0.0, port: 9090}\nstore: {type: sqlite, path: data/s.db}\n"
                    "applications: {hello: apps/hello.scxml, both: 'http://a/x.scxml http://b/x.scxml'}\n"
                    "logging: {level: debug}\n"
                    "runtime: {flush_interval_ms: 10, idle_eviction_s: null, request_timeout_s: 3}\n")
    config = load_config(path)
    assert (config.host, config.port, config.store_type) == ("0.0.0.0", 9090, "sqlite")
    assert config.store_path == tmp_path / "data" / "s.db"
    assert config.applications["both"] == "http://a/x.scxml http://b/x.scxml"
    assert config.log_level == "DEBUG"
    settings = config.runtime
    assert settings.flush_interval == pytest.approx(0.01) and settings.idle_eviction is None
    assert settings.request_timeout == 3 and settings.base_dir == str(tmp_path)


def test_defaults_from_an_empty_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("")
    config = load_config(path)
    assert config.port == 8080 and config.store_path == tmp_path / "openors.db"


@pytest.mark.parametrize("text, words", [
    ("listen: {port: http}", ["listen.port"]),
    ("store: {type: cassandra}", ["store.type"]),
    ("runtime: {flush_interval: 5}", ["flush_interval", "flush_interval_ms"]),
    ("persistence: {}", ["unknown section", "persistence"]),
    ("listen: [1, 2]", ["'listen' must be a mapping"]),
    ("applications: [a]", ["applications"]),
    ("listen: {port: [", ["invalid YAML"]),
])
def test_errors_name_the_problem(tmp_path, text, words):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for word in words:
        assert word in str(info.value)


def test_serve_with_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["serve", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_sources_section_sets_the_policy_and_paths_resolve_against_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("sources:\n  documents: [apps/*, 'https://strategies.example.com/*']\n"
                    "  fetch: []\n  max_document_bytes: 1000\n  max_document_elements: 50\n"
                    "  max_fetch_bytes: 2000\n  timeout_s: 2.5\n")
    policy = load_config(path).runtime.sources
    assert policy.documents == (f"file://{tmp_path}/apps/*", "https://strategies.example.com/*")
    assert policy.fetch == () and policy.timeout_s == 2.5
    assert (policy.max_document_bytes, policy.max_document_elements, policy.max_fetch_bytes) == (1000, 50, 2000)
    policy.check_document((tmp_path / "apps" / "main.scxml").as_uri())


def test_without_a_sources_section_the_defaults_apply(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("")
    policy = load_config(path).runtime.sources
    assert policy.documents == ("file:*", "http://*", "https://*") and policy.fetch == ("http://*", "https://*")


@pytest.mark.parametrize("text, words", [
    ("sources: {documents: 'https://*'}", ["sources.documents", "list"]),
    ("sources: {fetch: ['ftp://x/*']}", ["sources.fetch[0]", "ftp://x/*"]),
    ("sources: {fetch: [1]}", ["sources.fetch[0]"]),
    ("sources: {max_fetch_bytes: -1}", ["sources.max_fetch_bytes"]),
    ("sources: {max_document_bytes: 1.5}", ["sources.max_document_bytes"]),
    ("sources: {max_document_elements: true}", ["sources.max_document_elements"]),
    ("sources: {timeout_s: .inf}", ["sources.timeout_s"]),
    ("sources: {allow: []}", ["unknown key", "allow", "'sources'"]),
])
def test_bad_sources_values_name_the_field(tmp_path, text, words):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for word in words:
        assert word in str(info.value)


def test_serve_with_a_bad_sources_value_exits_2(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("sources: {max_fetch_bytes: lots}")
    assert main(["serve", "--config", str(path)]) == 2
    assert "sources.max_fetch_bytes" in capsys.readouterr().err
