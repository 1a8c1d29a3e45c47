"""Optional bearer tokens for the HTTP API (the `auth:` section of the server configuration).

    auth:
      api_token: ...               # the ORS API: /scxml/..., /ors/help
      operator_token: ...          # the operator endpoints: /ors/..., /metrics
      allow_unauthenticated: false # true: listen beyond loopback without tokens anyway

A token left out of the file is read from OPENORS_API_TOKEN / OPENORS_OPERATOR_TOKEN, so secrets
need not live in the file. Who may call what:

* the ORS API is open when no `api_token` is set; otherwise it takes the API or the operator token;
* operator endpoints take the operator token; with no operator token they take the API token, so
  setting only `api_token` never leaves sessions' data readable by anyone;
* `/docs`, `/openapi.json` and `/redoc` stay open: they describe the API, hold no data, and a
  browser cannot send a bearer token when it opens them. So do the console's page (`/`) and its
  assets (`/console/static/...`): the page asks for the operator token and sends it on its calls.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from dataclasses import dataclass

API_TOKEN_ENV = "OPENORS_API_TOKEN"
OPERATOR_TOKEN_ENV = "OPENORS_OPERATOR_TOKEN"
MIN_TOKEN_LENGTH = 16
_PUBLIC = ("/docs", "/openapi.json", "/redoc", "/")


@dataclass
class AuthConfig:
    KEYS = frozenset({"api_token", "operator_token", "allow_unauthenticated"})

    api_token: str | None = None
    operator_token: str | None = None
    allow_unauthenticated: bool = False

    def refusal(self, host: str) -> str | None:
        """Why the server must not listen on `host` with these settings, or None."""
        if self.api_token is not None or self.allow_unauthenticated or is_loopback(host):
            return None
        return (f"listen.host {host} is reachable from other machines but no API token is set: set "
                f"auth.api_token (or {API_TOKEN_ENV}) and auth.operator_token (or {OPERATOR_TOKEN_ENV}), "
                "or set auth.allow_unauthenticated: true to serve without authentication")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def _token(section: dict, key: str, env: str, error) -> str | None:
    value = section.get(key)
    where = f"auth.{key}"
    if value is None:
        value, where = os.environ.get(env) or None, env
    if value is None:
        return None
    if not isinstance(value, str) or len(value) < MIN_TOKEN_LENGTH or not value.isprintable() or " " in value:
        raise error(f"{where} must be a string of at least {MIN_TOKEN_LENGTH} printable characters "
                    "without spaces")
    return value


def load_auth(section: dict, error) -> AuthConfig:
    allow = section.get("allow_unauthenticated", False)
    if not isinstance(allow, bool):
        raise error(f"auth.allow_unauthenticated must be true or false, not {allow!r}")
    return AuthConfig(api_token=_token(section, "api_token", API_TOKEN_ENV, error),
                      operator_token=_token(section, "operator_token", OPERATOR_TOKEN_ENV, error),
                      allow_unauthenticated=allow)


def _scope_of(path: str) -> str:
    """'api', 'operator' or 'public'."""
    if path.startswith("/scxml/") or path == "/ors/help":
        return "api"
    if path.startswith("/ors/") or path == "/ors" or path == "/metrics":
        return "operator"
    if path in _PUBLIC or path.startswith(("/docs/", "/console/static/")):
        return "public"
    return "operator"  # anything else (404s included) answers only to someone holding a token


def _presented(scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            kind, _, token = value.partition(b" ")
            return token.strip() if kind.lower() == b"bearer" else None
    return None


def _matches(presented: bytes | None, tokens: list[str]) -> bool:
    if presented is None:
        return False
    matched = False
    for token in tokens:  # every candidate compared, in constant time
        matched |= hmac.compare_digest(presented, token.encode())
    return matched


class TokenAuth:
    """ASGI middleware: 401 with `WWW-Authenticate: Bearer` unless the request carries a token
    its path accepts."""

    def __init__(self, app, config: AuthConfig):
        self.app = app
        api, operator = config.api_token, config.operator_token
        self.accepted = {
            "api": [t for t in (api, operator) if t] if api else [],
            "operator": [operator] if operator else ([api] if api else []),
            "public": [],
        }

    @property
    def enabled(self) -> bool:
        return bool(self.accepted["api"] or self.accepted["operator"])

    def permits(self, scope) -> bool:
        """Whether this HTTP request carries a token its path accepts (or needs none)."""
        tokens = self.accepted[_scope_of(scope.get("path", ""))]
        return not tokens or _matches(_presented(scope), tokens)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.permits(scope):
            await self.app(scope, receive, send)
            return
        which = _scope_of(scope.get("path", ""))
        await _unauthorized(send, which, b"authorization" in dict(scope.get("headers", ())))


async def _unauthorized(send, which: str, had_header: bool) -> None:
    token = "the API token" if which == "api" else "the operator token"
    reason = "is not valid" if had_header else "is missing"
    body = json.dumps({"error": "Unauthorized",
                       "message": f"this endpoint needs {token} (Authorization: Bearer ...); the token {reason}"
                       }).encode()
    challenge = b'Bearer realm="openors"' + (b', error="invalid_token"' if had_header else b"")
    await send({"type": "http.response.start", "status": 401, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", challenge)]})
    await send({"type": "http.response.body", "body": body})
