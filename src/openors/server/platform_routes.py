"""Operator endpoints of the contact center: what the platform holds, and ways to make traffic
(place a call, open a chat, send an e-mail, change an agent's state) without a real switch."""

from __future__ import annotations

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from openors.platform.errors import PlatformError

from . import numbers
from .bodies import MalformedBody, read_parameters

_AGENT_ACTIONS = {"login": "agent_login", "ready": "agent_ready", "notready": "agent_not_ready",
                  "acw": "agent_after_call_work", "logout": "agent_logout"}


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "BadRequest", "message": message}, status_code=status)


def add_platform_routes(app: FastAPI, center) -> None:
    platform = center.platform

    async def params(request: Request) -> dict:
        return await read_parameters(request)  # a malformed body is answered 400 by the app

    @app.exception_handler(PlatformError)
    async def platform_error(request: Request, exc: PlatformError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.description}, status_code=400)

    @app.get("/ors/platform/interactions", tags=["contact center"], summary="Interactions in the contact center")
    async def interactions() -> JSONResponse:
        return JSONResponse({"interactions": center.interactions()})

    @app.get("/ors/platform/agents", tags=["contact center"], summary="Agents and their states")
    async def agents() -> JSONResponse:
        return JSONResponse({"agents": center.agents()})

    @app.get("/ors/platform/events", tags=["contact center"], summary="Recent platform and session events")
    async def events(limit: int = Query(100, ge=1, le=numbers.MAX_EVENTS_LIMIT)) -> JSONResponse:
        return JSONResponse({"events": center.recent[-limit:]})

    @app.post("/ors/platform/calls", tags=["contact center"], summary="A customer calls (from, to[, patience])")
    async def call(request: Request) -> JSONResponse:
        p = await params(request)
        if not p.get("from") or not p.get("to"):
            return _bad("'from' (the caller's number) and 'to' (a DN) are required")
        try:
            patience = numbers.number(p.get("patience", 120), "patience", low=0, high=numbers.MAX_PATIENCE_S,
                                      unit=" of seconds")
        except MalformedBody as exc:
            return _bad(exc.message)
        ixn = platform.inbound_call(str(p["from"]), str(p["to"]), patience=patience)
        return JSONResponse({"interactionid": ixn}, status_code=201)

    @app.post("/ors/platform/chats", tags=["contact center"], summary="A customer opens a chat (nickname, text)")
    async def chat(request: Request) -> JSONResponse:
        p = await params(request)
        if not p.get("nickname"):
            return _bad("'nickname' is required")
        messages = [{"after": 1, "text": str(p["text"])}] if p.get("text") else []
        ixn = platform.inbound_chat(str(p["nickname"]), messages=messages)
        return JSONResponse({"interactionid": ixn}, status_code=201)

    @app.post("/ors/platform/emails", tags=["contact center"], summary="An e-mail arrives (from, subject, body)")
    async def email(request: Request) -> JSONResponse:
        p = await params(request)
        if not p.get("from"):
            return _bad("'from' (the sender's address) is required")
        ixn = platform.inbound_email(str(p["from"]), subject=str(p.get("subject", "")), body=str(p.get("body", "")))
        return JSONResponse({"interactionid": ixn}, status_code=201)

    @app.post("/ors/platform/agents/{agent_id}/{action}", tags=["contact center"],
              summary="Change an agent's state: login, ready, notready, acw, logout")
    async def agent_action(agent_id: str, action: str) -> JSONResponse:
        method = _AGENT_ACTIONS.get(action)
        if method is None:
            return _bad(f"unknown agent action {action!r} (one of {', '.join(_AGENT_ACTIONS)})", 404)
        if agent_id not in platform.agents:
            return _bad(f"no agent {agent_id!r}", 404)
        request_id = getattr(platform, method)(agent_id)
        return JSONResponse({"agent": agent_id, "action": action, "requestid": request_id}, status_code=202)
