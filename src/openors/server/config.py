"""`openors serve` configuration: a YAML file.

    listen: {host: 127.0.0.1, port: 8080}
    store: {type: sqlite, path: openors.db}       # type: sqlite (default) | memory
    applications:                                 # name -> document URL ("URL ALTERNATE-URL" allowed)
      hello: samples/hello.scxml
    logging: {level: INFO}
    platform:                                     # optional: the contact center (real time)
      simulator:
        topology: site.yaml                       # default: the bundled sample site
        scenario: traffic.yaml                    # optional: traffic played in real time
        seed: 7
        config_lists: lists.yaml                  # optional: what _genesys.session reads (lists,
                                                  # options, special days, time zones; see
                                                  # docs/ors-dialog-session.md)
    runtime:                                      # every key optional (RuntimeSettings)
      max_queue_per_session: 1000
      max_inflight_events: 100000
      flush_interval_ms: 50
      flush_batch: 500
      idle_eviction_s: 300                        # null: never evict
      request_timeout_s: 10
      document_max_age_s: 5
      trace_size: 200
      durable_acks: true

Relative paths (store file, application documents, relative `src` of start requests) resolve
against the directory of the configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from openors.ors.session.config import ConfigListsError, load_session_config
from openors.runtime import RuntimeSettings

from .contact_center import SimulatorConfig


class ConfigError(Exception):
    pass


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    store_type: str = "sqlite"
    store_path: Path | None = None
    applications: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    simulator: SimulatorConfig | None = None  # the contact center the sessions serve


_SECTIONS = {"listen", "store", "applications", "logging", "runtime", "platform"}
# YAML key -> (RuntimeSettings field, factor applied to the value)
_RUNTIME_KEYS = {
    "max_queue_per_session": ("max_queue_per_session", None),
    "max_inflight_events": ("max_inflight_events", None),
    "flush_interval_ms": ("flush_interval", 0.001),
    "flush_batch": ("flush_batch", None),
    "idle_eviction_s": ("idle_eviction", 1.0),
    "request_timeout_s": ("request_timeout", 1.0),
    "document_max_age_s": ("document_max_age", 1.0),
    "trace_size": ("trace_size", None),
    "durable_acks": ("durable_acks", None),
}


def _section(data: dict, name: str, allowed: set[str]) -> dict:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"'{name}' must be a mapping")
    unknown = set(value) - allowed
    if unknown:
        raise ConfigError(f"unknown key(s) in '{name}': {', '.join(sorted(unknown))} "
                          f"(allowed: {', '.join(sorted(allowed))})")
    return value


def load_config(path: str | Path) -> ServerConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    unknown = set(data) - _SECTIONS
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    base = path.resolve().parent
    config = ServerConfig()

    listen = _section(data, "listen", {"host", "port"})
    config.host = str(listen.get("host", config.host))
    try:
        config.port = int(listen.get("port", config.port))
    except (TypeError, ValueError):
        raise ConfigError(f"listen.port must be a number, not {listen.get('port')!r}") from None

    store = _section(data, "store", {"type", "path"})
    config.store_type = str(store.get("type", "sqlite"))
    if config.store_type not in ("sqlite", "memory"):
        raise ConfigError(f"store.type must be 'sqlite' or 'memory', not {config.store_type!r}")
    config.store_path = base / str(store.get("path", "openors.db"))

    apps = data.get("applications") or {}
    if not isinstance(apps, dict):
        raise ConfigError("'applications' must map names to document URLs")
    config.applications = {str(k): str(v) for k, v in apps.items()}

    logging_section = _section(data, "logging", {"level"})
    config.log_level = str(logging_section.get("level", "INFO")).upper()

    settings = RuntimeSettings(base_dir=str(base), applications=config.applications)
    for key, value in _section(data, "runtime", set(_RUNTIME_KEYS)).items():
        name, factor = _RUNTIME_KEYS[key]
        if value is not None and factor is not None:
            try:
                value = float(value) * factor
            except (TypeError, ValueError):
                raise ConfigError(f"runtime.{key} must be a number, not {value!r}") from None
        setattr(settings, name, value)
    config.runtime = settings

    platform = _section(data, "platform", {"simulator"})
    if "simulator" in platform:
        sim = platform["simulator"] or {}
        if not isinstance(sim, dict):
            raise ConfigError("'platform.simulator' must be a mapping")
        allowed = {"topology", "scenario", "seed", "request_timeout_s", "config_lists"}
        unknown = set(sim) - allowed
        if unknown:
            raise ConfigError(f"unknown key(s) in 'platform.simulator': {', '.join(sorted(unknown))} "
                              f"(allowed: {', '.join(sorted(allowed))})")
        config.simulator = SimulatorConfig(
            topology=base / str(sim["topology"]) if sim.get("topology") else None,
            scenario=base / str(sim["scenario"]) if sim.get("scenario") else None,
            seed=int(sim.get("seed", 0)), request_timeout=float(sim.get("request_timeout_s", 30.0)),
            config_lists=base / str(sim["config_lists"]) if sim.get("config_lists") else None)
        if config.simulator.config_lists is not None:
            try:  # read now so a bad file stops the server before it listens (exit 2)
                load_session_config(config.simulator.config_lists)
            except ConfigListsError as exc:
                raise ConfigError(f"platform.simulator.config_lists: {exc}") from None
    return config
