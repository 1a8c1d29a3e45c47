"""Request parameters as ORS takes them: query string, then a form or JSON body (ORS-SPEC §6.1)."""

from __future__ import annotations

import json

from starlette.requests import Request

from openors.runtime import RuntimeFault


class MalformedBody(RuntimeFault):
    status = 400


class UnsupportedBody(RuntimeFault):
    status = 415


def _collect(pairs) -> dict:
    """Name/value pairs to a dict; a name given several times keeps every value, as a list."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            out[key] = out[key] + [value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


async def read_parameters(request: Request) -> dict:
    params = _collect(request.query_params.multi_items())
    body = await request.body()
    if not body.strip():
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedBody(f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise MalformedBody(f"a JSON body must be an object of parameters, not {type(data).__name__}")
        params.update(data)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except Exception as exc:  # python-multipart errors have no common base class
            raise MalformedBody(f"the form body cannot be read: {exc}") from None
        params.update(_collect((k, v) for k, v in form.multi_items() if isinstance(v, str)))
    else:
        raise UnsupportedBody(f"unsupported body type '{content_type or 'none'}': send "
                              "application/x-www-form-urlencoded or application/json")
    return params
