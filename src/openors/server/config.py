"""`openors serve` configuration: a YAML file.

    listen: {host: 127.0.0.1, port: 8080}
    store: {type: sqlite, path: openors.db}       # type: sqlite (default) | memory | redis
    # store: {type: redis, url: redis://127.0.0.1:6379/0, node: A, heartbeat_s: 2, prefix: openors,
    #         advertise_url: http://10.0.0.5:8080}  # see docs/server.md, "Scale-out on Redis"
    applications:                                 # name -> document URL ("URL ALTERNATE-URL" allowed)
      hello: samples/hello.scxml
    logging: {level: INFO}
    platform:                                     # optional: the contact center (real time), either
      # url: http://127.0.0.1:8090                #   `openors platform` elsewhere (remote_center.py)
      simulator:                                  #   or embedded:
        topology: site.yaml                       # default: the bundled sample site
        scenario: traffic.yaml                    # optional: traffic played in real time
        seed: 7
        config_lists: lists.yaml                  # optional: what _genesys.session reads (lists,
                                                  # options, special days, time zones; see
                                                  # docs/ors-dialog-session.md)
    runtime:                                      # every key optional (RuntimeSettings)
      max_queue_per_session: 100
      max_inflight_events: 100000
      flush_interval_ms: 50
      flush_batch: 500
      idle_eviction_s: 300                        # null: never evict
      request_timeout_s: 10
      document_max_age_s: 5
      trace_size: 200
      durable_acks: true
    budgets:                                      # what one session may spend (docs/server.md,
      microsteps: 1000                            #   "Limits and security"); every key optional
      eval_cpu_ms: 20
      macrostep_cpu_ms: 40
      memory_mb: 64
      events_per_second: 10000
      strikes: 2
      strike_window_s: 10
      heavy_macrostep_ms: 5
      trusted_after: 3
      heavy_every_ms: 100
      heavy_share: 0.15
      dispatch_slice_ms: 5
    sources:                                      # every key optional: see sources_config.py
      documents: [file:*, "http://*", "https://*"]  # where documents (and what they refer to) come from
      fetch: ["http://*", "https://*"]            # what <session:fetch> and Basic HTTP <send> reach
    limits:                                       # the HTTP front (docs/server.md, "Limits and security")
      max_body_bytes: 524288                      # larger request bodies: 413 BodyTooLarge
      max_sessions: 20000                         # sessions held (live + evicted + scheduled); null: no limit
    auth:                                         # optional bearer tokens (or OPENORS_API_TOKEN /
      api_token: ...                              #   OPENORS_OPERATOR_TOKEN in the environment)
      operator_token: ...
      allow_unauthenticated: false                # true: listen beyond loopback without tokens
    flow_logs: {retention: 7d, max_sessions: 10000}  # every key optional: see console_config.py
    debugger: {enabled: true, max_pause: 5m}

Relative paths (store file, application documents, relative `src` of start requests) resolve
against the directory of the configuration file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from openors.ors.session.config import ConfigListsError, load_session_config
from openors.runtime import RuntimeSettings
from openors.runtime.redis_store import NODE_ID
from openors.scxml.budgets import MIB, Budgets

from .auth import AuthConfig, load_auth
from .console_config import FLOW_LOG_KEYS, DebuggerConfig, load_debugger, load_flow_logs
from .contact_center import SimulatorConfig
from .limits import LimitsConfig, load_limits
from .remote_center import KEYS as REMOTE_KEYS
from .remote_center import RemoteConfig, load_remote
from .sources_config import KEYS, SourcesConfigError, load_sources


class ConfigError(Exception):
    pass


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    store_type: str = "sqlite"
    store_path: Path | None = None
    store_url: str = "redis://127.0.0.1:6379/0"  # type redis: the shared Redis
    store_node: str | None = None  # type redis: this server's node id (unique in the cluster)
    store_heartbeat: float = 2.0  # type redis: heartbeat period (s); dead after 3 missed
    store_prefix: str = "openors"  # type redis: key prefix (several clusters on one Redis)
    store_advertise_url: str | None = None  # type redis: URL peers redirect to (default: where we listen)
    applications: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    simulator: SimulatorConfig | None = None  # the contact center the sessions serve
    remote: RemoteConfig | None = None  # ... or the one `openors platform` runs elsewhere
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    debugger: DebuggerConfig = field(default_factory=DebuggerConfig)


_SECTIONS = {"listen", "store", "applications", "logging", "runtime", "platform", "budgets", "sources",
             "limits", "auth", "flow_logs", "debugger"}
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


# YAML key of `budgets:` -> (Budgets field, factor, smallest, largest); None as field: RuntimeSettings
_BUDGET_KEYS = {
    "microsteps": ("microsteps", None, 10, 10**9),
    "eval_cpu_ms": ("eval_cpu", 0.001, 1, 600_000),
    "macrostep_cpu_ms": ("macrostep_cpu", 0.001, 1, 600_000),
    "memory_mb": ("memory", MIB, 4, 64 * 1024),
    "events_per_second": ("events_per_second", None, 10, 10**9),
    "strikes": ("strikes", None, 1, 10**9),
    "strike_window_s": ("strike_window", 1.0, 0.001, 86_400),
    "heavy_macrostep_ms": ("heavy_macrostep", 0.001, 0.01, 600_000),
    "heavy_every_ms": ("heavy_every", 0.001, 1, 600_000),
    "trusted_after": ("trusted_after", None, 0, 10**6),
    "heavy_share": ("heavy_share", 1.0, 0.01, 1.0),
    "dispatch_slice_ms": (None, 0.001, 0.1, 1000),
}


def _budgets(section: dict, settings: RuntimeSettings) -> None:
    changes = {}
    for key, value in section.items():
        name, factor, low, high = _BUDGET_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ConfigError(f"budgets.{key} must be a number between {low:g} and {high:g}, not {value!r}")
        scaled = value * factor if factor is not None else int(value)
        if name is None:
            settings.dispatch_slice = scaled
        else:
            changes[name] = int(scaled) if name in ("memory", "microsteps", "events_per_second", "strikes",
                                                    "trusted_after") \
                else float(scaled)
    settings.budgets = Budgets().with_overrides(**changes)


def _section(data: dict, name: str, allowed: set[str]) -> dict:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"'{name}' must be a mapping")
    unknown = set(value) - allowed
    if unknown:
        raise ConfigError(f"unknown key(s) in '{name}': {', '.join(sorted(unknown))} "
                          f"(allowed: {', '.join(sorted(allowed))})")
    return value


_REDIS_KEYS = {"url", "node", "heartbeat_s", "prefix", "advertise_url"}


def _redis_store(store: dict, config: ServerConfig) -> None:
    config.store_url = str(store.get("url", config.store_url))
    if not config.store_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"store.url must be a redis://, rediss:// or unix:// URL, not {config.store_url!r}")
    node = store.get("node")
    if node is None:
        raise ConfigError("store.node is required with store.type redis (this server's node id)")
    if not NODE_ID.match(str(node)):
        raise ConfigError(f"store.node must be letters, digits, '_', '.' or '-' (at most 64), not {node!r}")
    config.store_node = str(node)
    try:
        config.store_heartbeat = float(store.get("heartbeat_s", config.store_heartbeat))
    except (TypeError, ValueError):
        raise ConfigError(f"store.heartbeat_s must be a number, not {store.get('heartbeat_s')!r}") from None
    if not 0.05 <= config.store_heartbeat <= 60:
        raise ConfigError(f"store.heartbeat_s must be between 0.05 and 60 seconds, not {config.store_heartbeat:g}")
    config.store_prefix = str(store.get("prefix", config.store_prefix))
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", config.store_prefix):  # no glob characters: list() scans
        raise ConfigError(f"store.prefix must be letters, digits, '_', '.', ':' or '-', not {config.store_prefix!r}")
    advertise = store.get("advertise_url")
    if advertise is not None and not str(advertise).startswith(("http://", "https://")):
        raise ConfigError(f"store.advertise_url must be an http(s) URL, not {advertise!r}")
    config.store_advertise_url = str(advertise).rstrip("/") if advertise is not None else None


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

    store = _section(data, "store", {"type", "path"} | _REDIS_KEYS)
    config.store_type = str(store.get("type", "sqlite"))
    if config.store_type not in ("sqlite", "memory", "redis"):
        raise ConfigError(f"store.type must be 'sqlite', 'memory' or 'redis', not {config.store_type!r}")
    config.store_path = base / str(store.get("path", "openors.db"))
    if config.store_type == "redis":
        _redis_store(store, config)
    elif set(store) & _REDIS_KEYS:
        raise ConfigError(f"store.{sorted(set(store) & _REDIS_KEYS)[0]} applies to store.type redis only")

    apps = data.get("applications") or {}
    if not isinstance(apps, dict):
        raise ConfigError("'applications' must map names to document URLs")
    config.applications = {str(k): str(v) for k, v in apps.items()}

    logging_section = _section(data, "logging", {"level"})
    config.log_level = str(logging_section.get("level", "INFO")).upper()

    settings = RuntimeSettings(base_dir=str(base), applications=config.applications)
    if config.store_type == "redis":  # ORS's sessionid-with-nodeid, required with Redis there too
        settings.session_id_prefix = f"{config.store_node}-"
    for key, value in _section(data, "runtime", set(_RUNTIME_KEYS)).items():
        name, factor = _RUNTIME_KEYS[key]
        if value is not None and factor is not None:
            try:
                value = float(value) * factor
            except (TypeError, ValueError):
                raise ConfigError(f"runtime.{key} must be a number, not {value!r}") from None
        setattr(settings, name, value)
    _budgets(_section(data, "budgets", set(_BUDGET_KEYS)), settings)
    try:
        settings.sources = load_sources(_section(data, "sources", KEYS), base)
    except SourcesConfigError as exc:
        raise ConfigError(str(exc)) from None
    settings.flow_logs = load_flow_logs(_section(data, "flow_logs", set(FLOW_LOG_KEYS)), ConfigError)
    config.debugger = load_debugger(_section(data, "debugger", set(DebuggerConfig.KEYS)), ConfigError)
    config.runtime = settings

    config.limits = load_limits(_section(data, "limits", LimitsConfig.KEYS), ConfigError)
    config.auth = load_auth(_section(data, "auth", AuthConfig.KEYS), ConfigError)

    platform = _section(data, "platform", {"simulator"} | REMOTE_KEYS)
    if "url" in platform:
        if "simulator" in platform:
            raise ConfigError("platform: give either 'url' (a remote platform) or 'simulator' (embedded), not both")
        config.remote = load_remote(platform, base, config.store_node, ConfigError)
    elif set(platform) - {"simulator"}:
        raise ConfigError(f"platform.{sorted(set(platform) - {'simulator'})[0]} applies to a remote platform "
                          "(platform.url) only")
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
    problem = config.auth.refusal(config.host)
    if problem:
        raise ConfigError(problem)
    return config
