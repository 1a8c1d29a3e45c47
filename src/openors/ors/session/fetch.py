"""`<session:fetch>` (ORS-SPEC §5.7): an HTTP request made for the session, over httpx.

The request runs as the host's async I/O (`host.spawn`), so `run_until` waits for it and the
answer never arrives inside the macrostep that asked. Results:

* `session.fetch.done` {requestid, content, hints}: `content` is the body as text (Composer
  parses JSON itself with `eval('(' + content + ')')`); `hints` the response headers (lower-case
  names). With `type` JSON the body must parse as JSON.
* `error.session.fetch` {requestid, error, description}: `http.<status>` for a status >= 400,
  `http.0` when no HTTP answer came (refused, unknown host), `timeout` after `timeout` seconds,
  `parse` for a body that is not of the expected `type`, `unknown` for a bad request, and also
  `unknown` (the catalogue's codes only) with a description ending in `[notallowed]` for a URL
  `sources.fetch` does not allow, `[toolarge]` for an answer past `sources.max_fetch_bytes` (the
  body is read no further).

Only http(s) URLs are fetched, unless `sources.fetch` allows `file:` ones (then the file is read,
a regular file only, within the same cap).

`<param name expr>` children are the query (GET, DELETE, HEAD) or the body, encoded per `enctype`
(form by default, JSON with `application/json`); `<content expr>` (Composer writes `_expr`) is the
raw body instead. `gdelivery="true"` retries `gd_retries` times, `gd_retry_interval` seconds apart,
when no answer or a 5xx came. `maxage`/`maxstale` are accepted and ignored (no cache).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

import httpx

from openors.scxml.errors import ExecutionError
from openors.scxml.reading import read_body, read_file
from openors.scxml.resources import resolve_url
from openors.scxml.sources import SourceError, SourceTooLarge

from ..actions import ActionContext, ActionError, ModuleAction

if TYPE_CHECKING:
    from ..world import OrsWorld

DEFAULT_TIMEOUT_S = 30.0
FORM = "application/x-www-form-urlencoded"
QUERY_METHODS = ("GET", "DELETE", "HEAD")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


class Fetch(ModuleAction):
    module = "session"
    prefix = "session"
    name = "fetch"
    expressions: tuple[str, ...] = ("srcexpr", "method", "enctype", "type", "timeout", "headers", "maxage", "maxstale",
                   "gdelivery", "gd_retries", "gd_retry_interval", "hints")
    literals: tuple[str, ...] = ("src",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        method = str(ctx.args.get("method") or "").strip().lower()
        if method in ("esp", "urs"):  # a Genesys server, not a web server (platform_fetch.py)
            from .platform_fetch import platform_fetch

            platform_fetch(self, ctx, world, method)
            return
        request = self.build(ctx)
        sources = world.host.sources
        try:
            sources.check_fetch(request["url"])
        except SourceError as exc:
            raise ActionError("notallowed", f"<session:fetch> {exc}") from None
        request["limit"] = sources.max_fetch_bytes
        request["transport"] = world.host.services.get(httpx.AsyncBaseTransport)
        exchange = self._fetch(ctx, world, request)
        try:
            world.host.spawn(exchange)
        except RuntimeError:
            exchange.close()
            raise ActionError("unknown", "<session:fetch> needs a running asyncio loop (drive the host with "
                                         "run_until)") from None

    # --- the request --------------------------------------------------------------------------
    def build(self, ctx: ActionContext) -> dict[str, Any]:
        args = ctx.args
        url = args.get("srcexpr", args.get("src"))
        if url in (None, ""):
            raise ActionError("unknown", "<session:fetch> needs 'srcexpr' (or 'src'): the URL to fetch")
        url = resolve_url(str(url), ctx.interp.doc.url)
        if not url.startswith(("http://", "https://", "file:")):
            raise ActionError("unknown", f"<session:fetch> can only fetch http(s) URLs, not {url!r}")
        method = str(args.get("method") or "get").upper()
        if method not in METHODS:
            raise ActionError("unknown", f"<session:fetch> method '{method.lower()}' is not supported")
        enctype = str(args.get("enctype") or FORM).lower()
        headers = args.get("headers") or {}
        if not isinstance(headers, dict):
            raise ActionError("unknown", "<session:fetch> 'headers' must be an object")
        headers = {str(k): str(v) for k, v in headers.items() if v is not None}
        params, body = self.params_and_body(ctx)
        request: dict[str, Any] = {"method": method, "url": url, "headers": headers}
        if body is not _NONE:
            request["content"] = _encode(body, enctype)
            _content_type(headers, "application/json" if "json" in enctype else enctype)
        elif params:
            if method in QUERY_METHODS:
                request["params"] = {k: _text(v) for k, v in params.items()}
            else:
                request["content"] = _encode(params, enctype)
                _content_type(headers, "application/json" if "json" in enctype else FORM)
        request["timeout"] = _number(args.get("timeout"), DEFAULT_TIMEOUT_S, "timeout")
        gdelivery = str(args.get("gdelivery", "false")).lower() == "true"
        request["attempts"] = 1 + (int(_number(args.get("gd_retries"), 0, "gd_retries")) if gdelivery else 0)
        request["retry_interval"] = _number(args.get("gd_retry_interval"), 0, "gd_retry_interval")
        request["expect_json"] = "json" in str(args.get("type") or "").lower()
        return request

    def params_and_body(self, ctx: ActionContext) -> tuple[dict, Any]:
        params: dict[str, Any] = {}
        body: Any = _NONE
        for child in ctx.node.element:
            if not isinstance(child.tag, str):
                continue
            local = child.tag.rsplit("}", 1)[-1]
            if local == "param" and child.get("name"):
                params[child.get("name")] = _evaluate(ctx.interp, child.get("expr"), child.get("name"))
            elif local == "content":
                expr = child.get("expr", child.get("_expr"))
                body = _evaluate(ctx.interp, expr, "content") if expr is not None else (child.text or "")
        return params, body

    # --- the exchange -------------------------------------------------------------------------
    async def _fetch(self, ctx: ActionContext, world: OrsWorld, request: dict) -> None:
        world.trace("fetch", session=ctx.session_id, requestid=ctx.requestid, method=request["method"],
                    url=request["url"])
        started = time.monotonic()
        try:
            if request["url"].startswith("file:"):
                answer = await self._read_file(request)
            else:
                answer = await self._exchange(request)
            world.measure("session.fetch", time.monotonic() - started)
            data = self.result(ctx, answer, request["expect_json"])
        except ActionError as exc:
            world.trace("fetch.failed", session=ctx.session_id, requestid=ctx.requestid, error=exc.code)
            self.fail(ctx.interp, ctx.requestid, exc)
            return
        world.trace("fetch.done", session=ctx.session_id, requestid=ctx.requestid, status=answer.status)
        ctx.emit(self.done_name(), data)

    async def _exchange(self, request: dict) -> Answer:
        send = {k: request[k] for k in ("method", "url", "headers", "params", "content") if k in request}
        error: ActionError | None = None
        for attempt in range(request["attempts"]):
            if attempt:
                await asyncio.sleep(request["retry_interval"])
            try:
                async with asyncio.timeout(request["timeout"] or None):  # the whole exchange, body included
                    answer = await self._one_exchange(send, request)
            except (httpx.TimeoutException, TimeoutError):
                error = ActionError("timeout", f"no answer from {request['url']} within {request['timeout']:g}s")
                continue
            except httpx.HTTPError as exc:
                error = ActionError("http.0", f"{request['method']} {request['url']}: {exc or type(exc).__name__}")
                continue
            if answer.status >= 500 and attempt + 1 < request["attempts"]:
                continue
            return answer
        assert error is not None
        raise error

    @staticmethod
    async def _one_exchange(send: dict, request: dict) -> Answer:
        # A host may route sessions' HTTP through a transport of its own (openors.testing's mocks).
        async with httpx.AsyncClient(timeout=request["timeout"], transport=request.get("transport")) as client:
            async with client.stream(**send) as response:
                try:
                    body = await read_body(response, request["limit"], request["url"],
                                           time.monotonic() + request["timeout"], request["timeout"])
                except SourceTooLarge as exc:
                    raise ActionError("toolarge", f"<session:fetch> {exc} (sources.max_fetch_bytes)") from None
                except SourceError as exc:
                    raise ActionError("timeout", f"<session:fetch> {exc}") from None
                text = body.decode(response.charset_encoding or "utf-8", errors="replace")
                return Answer(response.status_code, response.reason_phrase, dict(response.headers), text)

    @staticmethod
    async def _read_file(request: dict) -> Answer:
        url = request["url"]
        try:
            body = await asyncio.to_thread(read_file, Path(unquote(urlsplit(url).path)), request["limit"], url)
        except SourceTooLarge as exc:
            raise ActionError("toolarge", f"<session:fetch> {exc} (sources.max_fetch_bytes)") from None
        except SourceError as exc:
            raise ActionError("http.0", f"<session:fetch> {exc}") from None
        return Answer(200, "OK", {}, body.decode("utf-8", errors="replace"))

    def result(self, ctx: ActionContext, answer: Answer, expect_json: bool) -> dict:
        if answer.status >= 400:
            raise ActionError(f"http.{answer.status}", f"HTTP {answer.status} {answer.reason}: {answer.text[:200]}")
        text = answer.text
        if expect_json and text.strip():
            try:
                json.loads(text)
            except ValueError:
                raise ActionError("parse", f"the answer is not JSON: {text[:80]!r}") from None
        return {"requestid": ctx.requestid, "content": text, "hints": answer.headers}


@dataclass
class Answer:
    status: int
    reason: str
    headers: dict  # lower-case names
    text: str


_NONE = object()


def _evaluate(interp, expr: str | None, what: str) -> Any:
    if expr is None:
        return None
    try:
        return interp.datamodel.evaluate(expr)
    except ExecutionError as first:
        # SpiderMonkey ran these as programs: Composer writes `expr="caller_id: x"` (a label).
        try:
            return interp.datamodel.evaluate(f"eval({json.dumps(expr)})")
        except ExecutionError:
            raise ActionError("unknown", f"<session:fetch> <{what}>: {first}") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _encode(value: Any, enctype: str) -> bytes:
    if isinstance(value, str | bytes):
        return value.encode() if isinstance(value, str) else value
    if "json" in enctype:
        return json.dumps(value).encode()
    if isinstance(value, dict):
        return urlencode({k: _text(v) for k, v in value.items()}).encode()
    return _text(value).encode()


def _content_type(headers: dict, value: str) -> None:
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = value


def _number(value: Any, default: float, what: str) -> float:
    if value in (None, ""):
        return float(default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionError("unknown", f"<session:fetch> '{what}' {value!r} is not a number") from None
    if number < 0:
        raise ActionError("unknown", f"<session:fetch> '{what}' {value!r} is negative")
    return number
