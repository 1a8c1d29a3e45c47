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
                    "runtime: {flush_interval_ms: 10, idle_eviction_s: null, request_timeout_s: 3}\n"
                    "limits: {max_body_bytes: 65536, max_sessions: 100}\n"
                    "auth: {api_token: api-0123456789abcdef, operator_token: op-0123456789abcdef}\n")
    config = load_config(path)
    assert (config.limits.max_body_bytes, config.limits.max_sessions) == (65536, 100)
    assert (config.auth.api_token, config.auth.operator_token) == ("api-0123456789abcdef", "op-0123456789abcdef")
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
    ("limits: {max_body: 5}", ["unknown key", "max_body", "max_body_bytes"]),
    ("limits: {max_body_bytes: 100}", ["limits.max_body_bytes", "1024"]),
    ("limits: {max_body_bytes: 1e12}", ["limits.max_body_bytes"]),
    ("limits: {max_sessions: -1}", ["limits.max_sessions"]),
    ("limits: {max_sessions: .inf}", ["limits.max_sessions"]),
    ("auth: {token: x}", ["unknown key", "token", "api_token"]),
    ("auth: {api_token: short}", ["auth.api_token", "16"]),
    ("auth: {allow_unauthenticated: maybe}", ["auth.allow_unauthenticated"]),
    ("listen: {host: 0.0.0.0}", ["listen.host 0.0.0.0", "auth.api_token", "allow_unauthenticated"]),
    ("sources: {documents: 'https://*'}", ["sources.documents", "list"]),
    ("sources: {fetch: ['ftp://x/*']}", ["sources.fetch[0]", "ftp://x/*"]),
    ("sources: {fetch: [1]}", ["sources.fetch[0]"]),
    ("sources: {max_fetch_bytes: -1}", ["sources.max_fetch_bytes"]),
    ("sources: {max_document_bytes: 1.5}", ["sources.max_document_bytes"]),
    ("sources: {max_document_elements: true}", ["sources.max_document_elements"]),
    ("sources: {timeout_s: .inf}", ["sources.timeout_s"]),
    ("sources: {allow: []}", ["unknown key", "allow", "'sources'"]),
    ("budgets: {eval_cpu_ms: 0}", ["budgets.eval_cpu_ms must be a number between"]),
    ("budgets: {microsteps: lots}", ["budgets.microsteps"]),
    ("budgets: {memory_mb: .nan}", ["budgets.memory_mb"]),
    ("budgets: {cpu: 5}", ["unknown key(s) in 'budgets': cpu"]),
])
def test_errors_name_the_problem(tmp_path, monkeypatch, text, words):
    monkeypatch.delenv("OPENORS_API_TOKEN", raising=False)
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


def test_serve_with_a_bad_sources_value_exits_2(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("sources: {max_fetch_bytes: lots}")
    assert main(["serve", "--config", str(path)]) == 2
    assert "sources.max_fetch_bytes" in capsys.readouterr().err


def test_listening_beyond_loopback_without_a_token_exits_2_with_the_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENORS_API_TOKEN", raising=False)
    path = tmp_path / "c.yaml"
    path.write_text("listen: {host: 0.0.0.0, port: 0}\nstore: {type: memory}\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "no API token is set" in capsys.readouterr().err


def test_tokens_come_from_the_environment_when_the_file_leaves_them_out(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENORS_API_TOKEN", "env-api-0123456789")
    monkeypatch.setenv("OPENORS_OPERATOR_TOKEN", "env-op-0123456789")
    path = tmp_path / "c.yaml"
    path.write_text("listen: {host: 0.0.0.0}\nauth: {operator_token: file-op-0123456789}\n")
    config = load_config(path)
    assert (config.auth.api_token, config.auth.operator_token) == ("env-api-0123456789", "file-op-0123456789")


def test_an_explicit_key_allows_serving_beyond_loopback_without_tokens(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENORS_API_TOKEN", raising=False)
    path = tmp_path / "c.yaml"
    path.write_text("listen: {host: 0.0.0.0}\nauth: {allow_unauthenticated: true}\n")
    assert load_config(path).auth.allow_unauthenticated
