"""The server's contact center when it runs as its own service (`openors platform`): a
`RemotePlatform` joined to the runtime's sessions by an `OrsWorld`, as the embedded simulator is.

Configured by the `platform` section of the server configuration:

    platform:
      url: http://127.0.0.1:8090     # where `openors platform` listens
      node: A                        # this node's id on the platform (default: store.node, else the host name)
      routing_points: ["5000"]       # default: all of them; queues likewise (interaction queues)
      request_timeout_s: 10          # a request without an outcome fails with `timeout` after this
      connect_timeout_s: 10          # how long start-up waits for the platform (then it keeps trying)
      reconnect_max_s: 5             # longest pause between two connection attempts
      heartbeat_s: 2
      config_lists: lists.yaml       # default: the platform's --config-lists, if it has one
      token: ...                     # the platform's OPENORS_PLATFORM_TOKEN (default: that variable)
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openors.ors.applications import find_application
from openors.ors.ownership_part import OWNERSHIP_PART, OwnershipPart
from openors.ors.world import OrsWorld
from openors.platform.remote import protocol
from openors.platform.remote.client import RemotePlatform

from .contact_center import count_platform_session, share_documents

KEYS = {"url", "node", "routing_points", "queues", "request_timeout_s", "connect_timeout_s", "reconnect_max_s",
        "heartbeat_s", "config_lists", "token"}
TOKEN_ENV = protocol.TOKEN_ENV


@dataclass
class RemoteConfig:
    url: str
    node: str | None = None
    routing_points: list[str] | None = None
    queues: list[str] | None = None
    request_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    reconnect_max_s: float = 5.0
    heartbeat_s: float = 2.0
    config_lists: Path | None = None
    token: str | None = None


def load_remote(section: dict[str, Any], base: Path, store_node: str | None, error: type[Exception]) -> RemoteConfig:
    """The `platform:` section with a `url`; `error` is raised naming the field at fault."""
    unknown = set(section) - KEYS
    if unknown:
        raise error(f"unknown key(s) in 'platform': {', '.join(sorted(unknown))} (allowed with url: "
                    f"{', '.join(sorted(KEYS))})")
    url = str(section["url"]).rstrip("/")
    if not re.fullmatch(r"https?://[^/\s]+", url):
        raise error(f"platform.url must be http://HOST:PORT (where `openors platform` listens), not {url!r}")
    node = section.get("node", store_node) or re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:64] or "ors"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", str(node)):
        raise error(f"platform.node must be letters, digits, '_', '.' or '-' (at most 64), not {node!r}")
    config = RemoteConfig(url=url, node=str(node))
    for key in ("routing_points", "queues"):
        value = section.get(key)
        if value is not None:
            if not isinstance(value, list) or not value:
                raise error(f"platform.{key} must be a non-empty list of names, not {value!r}")
            setattr(config, key, [str(v) for v in value])
    for key, low, high in (("request_timeout_s", 0.1, 3600), ("connect_timeout_s", 0, 600),
                           ("reconnect_max_s", 0.05, 600), ("heartbeat_s", 0.05, 60)):
        if key in section:
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise error(f"platform.{key} must be a number of seconds between {low:g} and {high:g}, not {value!r}")
            setattr(config, key, float(value))
    if section.get("config_lists"):
        config.config_lists = base / str(section["config_lists"])
    token = section.get("token", os.environ.get(TOKEN_ENV) or None)
    if token is not None and (not isinstance(token, str) or not token):
        raise error(f"platform.token must be a string (the platform's {TOKEN_ENV})")
    config.token = token
    return config


async def attach_remote_platform(runtime: Any, config: RemoteConfig, applications: dict[str, str],
                                 base_dir: str | None) -> tuple[OrsWorld, RemotePlatform]:
    """Connect to the platform (waiting at most `connect_timeout_s` for it), then build the world
    on it. Sessions restored later claim their interactions back through the ownership part."""
    host = runtime.host
    remote = RemotePlatform(config.url, host.clock, node=config.node or "ors", routing_points=config.routing_points,
                            queues=config.queues, request_timeout=config.request_timeout_s,
                            reconnect_max_s=config.reconnect_max_s, heartbeat_s=config.heartbeat_s,
                            token=config.token)
    base = Path(base_dir or ".")
    resolved: dict[str, str] = {}

    def learn_applications(platform: RemotePlatform) -> None:
        """The topology's application names, as this node resolves them (its `applications`,
        then files beside its configuration, then the bundled strategies)."""
        topology = platform.topology
        if topology is None:
            return
        for holder in list(topology.devices.values()) + list(topology.queues.values()):
            name = getattr(holder, "application", None)
            if name and name not in resolved:
                url = applications.get(name)
                if url is not None and "://" not in url and not url.startswith("file:"):
                    url = (base / url).resolve().as_uri()
                resolved[name] = url or find_application(name, base / "topology", {})

    remote.on_welcome = learn_applications
    await remote.start(config.connect_timeout_s)
    world = OrsWorld(remote, host, applications=resolved, extensions=runtime.extensions,
                     request_timeout=config.request_timeout_s + 1, base_url=base.resolve().as_uri() + "/",
                     config_lists=config.config_lists or remote.config_lists,
                     document_loader=runtime.documents.current_sync, measure=runtime.measure)
    share_documents(runtime, world)
    world.observe_starts(lambda session, seconds: count_platform_session(runtime, seconds))
    remote.owned = lambda: list(world.owner)
    remote.on_resync = world.refresh_quietly
    host.snapshot_parts[OWNERSHIP_PART] = OwnershipPart(world.ownership, remote.position, remote.claim)
    return world, remote
