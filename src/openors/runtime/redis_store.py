"""The scale-out store: several `openors serve` nodes share one Redis, each owning its sessions.

Keys (`prefix` is `openors` by default):

    {prefix}:session:{id}   hash    document, updated_at, snapshot, owner (a node id)
    {prefix}:owned:{node}   set     ids of the sessions `node` owns
    {prefix}:alive:{node}   string  the node's heartbeat: a per-process token, with a TTL
    {prefix}:nodes          hash    node -> its HTTP URL, for every node that owns sessions
    {prefix}:share:{node}   string  sessions each live node takes per pass of a dead node's
    {prefix}:took:{dead}:{node}  string  `node` took a share of `dead`'s: it waits for the others

Ownership (docs/server.md, "Scale-out on Redis"):

* A node takes its id at start (`claim_node_id`): the heartbeat key is set only if absent, so two
  live processes never share a node id; a node restarted after a crash waits for its old heartbeat
  to expire (at most `ttl`). `NodeKeeper` refreshes the heartbeat every `heartbeat_s` seconds.
* Writes are fenced: a save or delete applies only if the session has no owner yet or is owned by
  this node, so a node that stalled past its TTL (and lost its sessions) cannot overwrite them.
* Takeover: a node whose heartbeat expired is dead. A Lua script moves sessions of its owned set
  into the taker's set and rewrites each owner field; Redis runs scripts one at a time, and the
  script checks the heartbeat again, so two nodes never take the same session and a node that came
  back in time keeps its own. Each pass takes a fair share, not everything: at most
  ceil(n / live nodes) of the dead node's n sessions, so the live nodes that notice split the load
  (whatever is left is taken by the next passes, of any node). `load_all()` (startup recovery) returns this node's sessions after taking
  over the dead nodes'; `NodeKeeper` looks for dead nodes every `heartbeat_s` seconds while running
  and hands their sessions to `Runtime.adopt`.

One Redis server (or a primary with replicas), not Redis Cluster: the scripts touch session keys
they compute, which a cluster would need in one hash slot.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

import redis

from .store import Store, StoredSession

log = logging.getLogger("openors.runtime.redis")


def _text(value: bytes | str) -> str:
    """A Redis reply as text (the client answers bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else value

NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TTL_FACTOR = 3  # a heartbeat missed three times in a row means the node is dead
_CHUNK = 500  # sessions read per round trip
SHARE_KEPT_MS = 60_000  # how long a dead node's share stands (then the next taker sets it anew)

# KEYS: session, my owned set. ARGV: node, id, document, updated_at, snapshot.
_SAVE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'document', ARGV[3], 'updated_at', ARGV[4], 'snapshot', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
"""
# KEYS: session, my owned set. ARGV: node, id.
_DELETE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""
# KEYS: my heartbeat, nodes. ARGV: token, ttl ms, node, url.
# 1: refreshed; 0: it had expired (or is new) and is set again; -1: another process holds the id.
_BEAT = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
if current then return 1 end
return 0
"""
# KEYS: the dead node's heartbeat, its owned set, my owned set, nodes, the dead node's share, my
# mark of having taken a share of it.
# ARGV: me, the dead node, the session key prefix, the share if none is set yet, its lifetime (ms),
# how long (ms) a taker waits before it may take another share.
# The first taker fixes the share (sessions per taker) for everyone; a node that took a share
# leaves the rest to the other live nodes for a while (each looks every heartbeat), and takes what
# is left after that; returns the ids taken over; the dead node is forgotten once nothing of it is
# left.
_TAKE_OVER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
if redis.call('EXISTS', KEYS[6]) == 1 then return {} end
local share = redis.call('GET', KEYS[5])
if not share then
  share = ARGV[4]
  redis.call('SET', KEYS[5], share, 'PX', ARGV[5])
end
local ids = redis.call('SPOP', KEYS[2], tonumber(share))
if #ids > 0 then redis.call('SET', KEYS[6], '1', 'PX', ARGV[6]) end
for _, id in ipairs(ids) do
  redis.call('HSET', ARGV[3] .. id, 'owner', ARGV[1])
  redis.call('SADD', KEYS[3], id)
end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[5])
  redis.call('HDEL', KEYS[4], ARGV[2])
end
return ids
"""
# KEYS: session, nodes. ARGV: heartbeat key prefix, the node the id names ("" if none).
# Returns {node, url, has url, alive}, or an empty list; one script, so a takeover running at the
# same time is seen either wholly or not at all.
_OWNER = """
local node = redis.call('HGET', KEYS[1], 'owner')
if not node then node = ARGV[2] end
if node == '' then return {} end
local url = redis.call('HGET', KEYS[2], node)
local alive = redis.call('EXISTS', ARGV[1] .. node)
if url then return {node, url, 1, alive} end
return {node, '', 0, alive}
"""


class NodeIdInUse(Exception):
    """Another live process serves with this node id."""


@dataclass(frozen=True, slots=True)
class Owner:
    node: str
    alive: bool
    url: str | None


def node_of(session_id: str) -> str | None:
    """The node that created a session (ids are `<node>-<hex>` on Redis), or None."""
    node, sep, rest = session_id.rpartition("-")
    return node if sep and node and re.fullmatch(r"[0-9a-f]{32}", rest) else None


class RedisStore(Store):
    def __init__(self, url: str, node: str, *, heartbeat_s: float = 2.0, prefix: str = "openors"):
        if not NODE_ID.match(node):
            raise ValueError(f"node id {node!r}: letters, digits, '_', '.', '-' (at most 64)")
        self.node = node
        self.heartbeat_s = heartbeat_s
        self.ttl_ms = max(1, int(heartbeat_s * TTL_FACTOR * 1000))
        # After taking a share of a dead node's sessions, the other live nodes' turn: each looks for
        # dead nodes every heartbeat, so two heartbeats (2 s at least, for a node busy a moment)
        # give every one of them a look first.
        self.share_wait_ms = max(2000, int(heartbeat_s * 2 * 1000))
        self.prefix = prefix
        self.url: str = ""  # this node's HTTP URL, published for redirects once it listens
        self._token = uuid.uuid4().hex
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.redis.ping()
        self._save = self.redis.register_script(_SAVE)
        self._delete = self.redis.register_script(_DELETE)
        self._beat = self.redis.register_script(_BEAT)
        self._take_over = self.redis.register_script(_TAKE_OVER)
        self._owner = self.redis.register_script(_OWNER)
        self.refused: int = 0  # writes refused because another node owns the session now

    # --- keys -------------------------------------------------------------------------------------
    def _session(self, sid: str) -> str:
        return f"{self.prefix}:session:{sid}"

    def _owned(self, node: str) -> str:
        return f"{self.prefix}:owned:{node}"

    def _alive(self, node: str) -> str:
        return f"{self.prefix}:alive:{node}"

    @property
    def _nodes(self) -> str:
        return f"{self.prefix}:nodes"

    # --- Store ------------------------------------------------------------------------------------
    def write_batch(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> list[str] | None:
        """One MULTI/EXEC pipeline: one round trip, and no other client sees half a batch."""
        saves, deletes = list(saves), list(deletes)
        if not saves and not deletes:
            return None
        pipe = self.redis.pipeline(transaction=True)
        mine = self._owned(self.node)
        for row in saves:
            self._save(keys=[self._session(row.id), mine],
                       args=[self.node, row.id, row.document or "", repr(row.updated_at), row.snapshot],
                       client=pipe)
        for sid in deletes:
            self._delete(keys=[self._session(sid), mine], args=[self.node, sid], client=pipe)
        results = pipe.execute()
        refused = [sid for sid, ok in zip([r.id for r in saves] + deletes, results) if not ok]
        if refused:
            self.refused += len(refused)
            log.warning("sessions now owned by another node were not written",
                        extra={"count": len(refused), "sessions": refused[:10]})
        return refused

    def load(self, session_id: str) -> StoredSession | None:
        return self._rows([session_id])[0]

    def load_all(self) -> Iterator[StoredSession]:
        """This node's sessions, after taking over those of dead nodes (startup recovery)."""
        self.take_over_dead()
        ids = sorted(_text(s) for s in self.redis.smembers(self._owned(self.node)))
        rows = [row for row in self._rows(ids) if row is not None]
        return iter(sorted(rows, key=lambda r: r.updated_at))

    def list(self) -> builtins.list[tuple[str, str | None, float]]:
        """Every stored session of every node."""
        ids = []
        for key in self.redis.scan_iter(match=self._owned("*"), count=1000):
            ids += [_text(s) for s in self.redis.smembers(key)]
        return [(r.id, r.document, r.updated_at) for r in self._rows(sorted(ids)) if r is not None]

    def close(self) -> None:
        self.redis.close()

    def _rows(self, ids: builtins.list[str]) -> builtins.list[StoredSession | None]:
        out: builtins.list[StoredSession | None] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            pipe = self.redis.pipeline(transaction=False)
            for sid in chunk:
                pipe.hmget(self._session(sid), "document", "updated_at", "snapshot")
            for sid, (document, updated_at, snapshot) in zip(chunk, pipe.execute()):
                out.append(None if snapshot is None else StoredSession(
                    sid, document.decode() or None, float(updated_at), snapshot.decode()))
        return out

    # --- ownership --------------------------------------------------------------------------------
    def new_session_prefix(self) -> str:
        return f"{self.node}-"

    def heartbeat(self) -> int:
        """Refresh this node's heartbeat: 1 refreshed, 0 it had expired (set again), -1 taken."""
        return int(self._beat(keys=[self._alive(self.node), self._nodes],
                              args=[self._token, self.ttl_ms, self.node, self.url]))

    def claim_node_id(self, wait_s: float | None = None) -> None:
        """Start heartbeating as `node`; a previous process's heartbeat may need up to a TTL to
        expire (a restart after kill -9). Raises NodeIdInUse if it is still held after `wait_s`."""
        deadline = time.monotonic() + (self.ttl_ms / 1000 + self.heartbeat_s if wait_s is None else wait_s)
        while self.heartbeat() < 0:
            if time.monotonic() > deadline:
                raise NodeIdInUse(f"node id {self.node!r} is held by another live process "
                                  f"(heartbeat key {self._alive(self.node)})")
            time.sleep(min(0.1, self.heartbeat_s))

    def dead_nodes(self) -> builtins.list[str]:
        nodes = [_text(n) for n in self.redis.hkeys(self._nodes) if _text(n) != self.node]
        pipe = self.redis.pipeline(transaction=False)
        for node in nodes:
            pipe.exists(self._alive(node))
        return [node for node, alive in zip(nodes, pipe.execute()) if not alive]

    def take_over(self, dead: str) -> builtins.list[str]:
        """Take this node's share of the sessions of `dead` if its heartbeat is still expired;
        returns their ids. The share is fixed by the first taker: ceil(sessions / live nodes)."""
        ids = self._take_over(keys=[self._alive(dead), self._owned(dead), self._owned(self.node), self._nodes,
                                    f"{self.prefix}:share:{dead}", f"{self.prefix}:took:{dead}:{self.node}"],
                              args=[self.node, dead, f"{self.prefix}:session:", self.fair_share(dead),
                                    SHARE_KEPT_MS, self.share_wait_ms])
        return [_text(i) for i in ids]

    def live_nodes(self) -> int:
        """Nodes with a heartbeat, this one included."""
        nodes = [_text(n) for n in self.redis.hkeys(self._nodes)]
        pipe = self.redis.pipeline(transaction=False)
        for node in nodes:
            pipe.exists(self._alive(node))
        return max(1, sum(1 for node, alive in zip(nodes, pipe.execute()) if alive or node == self.node))

    def fair_share(self, dead: str) -> int:
        """ceil(sessions of `dead` / live nodes), at least 1 while it has any."""
        count = int(self.redis.scard(self._owned(dead)))
        return -(-count // self.live_nodes()) if count else 1

    def take_over_dead(self) -> builtins.list[StoredSession]:
        """Take over the sessions of every dead node; returns their rows."""
        rows: builtins.list[StoredSession] = []
        for dead in self.dead_nodes():
            ids = self.take_over(dead)
            if ids:
                log.warning("took over the sessions of a dead node", extra={"dead_node": dead, "count": len(ids)})
                rows += [row for row in self._rows(ids) if row is not None]
        return rows

    def owner(self, session_id: str) -> Owner | None:
        """Who owns a session: its stored owner, else the node its id names (sessions that are
        not persisted); None if neither is known."""
        found = self._owner(keys=[self._session(session_id), self._nodes],
                            args=[self._alive(""), node_of(session_id) or ""])
        if not found:
            return None
        node, url, has_url, alive = found[0].decode(), found[1].decode(), bool(found[2]), bool(found[3])
        if not has_url and not alive:
            return None  # a node nobody knows (any more)
        return Owner(node, alive, url or None)


class NodeKeeper:
    """The background tasks of a Redis node: one refreshes the heartbeat, the other takes over the
    sessions of dead nodes and hands them to `adopt` (Runtime.adopt). Separate, so adopting many
    sessions never delays a beat. Redis calls run on worker threads."""

    def __init__(self, store: RedisStore, adopt: Callable[[list[StoredSession]], Awaitable[int]]):
        self.store = store
        self.adopt = adopt
        self._tasks: list[asyncio.Task] = []
        self._lock = asyncio.Lock()  # the periodic takeover pass and an on-demand one never overlap

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._every_period(self.beat), name="openors-heartbeat"),
                       loop.create_task(self._every_period(self.take_over), name="openors-takeover")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _every_period(self, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(self.store.heartbeat_s)
            try:
                await work()
            except redis.RedisError as exc:  # Redis away: try again next period
                log.error("cannot reach Redis: %s", exc)
            except Exception:
                log.exception("node keeper pass failed")

    async def beat(self) -> None:
        beat = await asyncio.to_thread(self.store.heartbeat)
        if beat == 0:
            log.error("this node's heartbeat had expired: other nodes may have taken its sessions "
                      "(writes to those are refused)", extra={"node": self.store.node})
        elif beat < 0:
            log.error("another process serves with this node id", extra={"node": self.store.node})

    async def settled(self) -> None:
        """Return once no takeover pass of this node is running (its sessions are adopted)."""
        async with self._lock:
            pass

    async def take_over(self) -> int:
        """Take over the sessions of dead nodes and adopt them; returns how many were adopted.
        Also run on demand when a request names a session of a dead node."""
        async with self._lock:
            rows = await asyncio.to_thread(self.store.take_over_dead)
            if not rows:
                return 0
            count = await self.adopt(rows)
        log.info("adopted the sessions of dead nodes", extra={"count": count})
        return count
