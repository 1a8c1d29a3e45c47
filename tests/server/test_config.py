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
