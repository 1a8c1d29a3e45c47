"""Request parameters as ORS takes them: query string, then a form or JSON body (ORS-SPEC §6.1).

Whatever reaches a session becomes `_event.data` or `<data>` in its ECMAScript context, so a body
must be plain JSON: no NaN or Infinity (JSON has neither), no number too large for a double, and
no nesting deeper than `MAX_JSON_DEPTH` (which also keeps every later walk of the data, such as
snapshots, far from Python's recursion limit)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from openors.runtime import RuntimeFault


class MalformedBody(RuntimeFault):
    status = 400


class UnsupportedBody(RuntimeFault):
    status = 415


MAX_JSON_DEPTH = 64
MAX_FORM_FIELDS = 1000  # as many as Starlette's form parser takes
_FORM_TYPE = "application/x-www-form-urlencoded"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def _check_depth(data) -> None:
    """Iterative, so the check itself cannot overflow the stack."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_JSON_DEPTH:
                    raise MalformedBody(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
                stack.append((child, depth + 1))


def parse_json(body: bytes):
    try:  # orjson is strict JSON already (no NaN, no infinite number); what it refuses, the
        data = orjson.loads(body)  # standard parser looks at again, for the same messages as ever
    except orjson.JSONDecodeError:
        data = _parse_json_slowly(body)
    _check_depth(data)
    return data


def _parse_json_slowly(body: bytes):
    try:
        return json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise MalformedBody(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"the body is not valid JSON: {str(exc)[:200]}") from None


def _collect(pairs) -> dict:
    """Name/value pairs to a dict; a name given several times keeps every value, as a list."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            out[key] = out[key] + [value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def query_parameters(query_string: bytes) -> dict:
    return _collect(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def _form(body: bytes) -> list[tuple[str, str]]:
    """An url-encoded form, decoded as Starlette decodes it (percent-escapes as UTF-8)."""
    text = body.decode("latin-1")
    if "%" not in text and "+" not in text and text.count("&") < MAX_FORM_FIELDS:
        # nothing to unquote (`k=v&seq=1`, what most requests send): parse_qsl's pairs without
        # its per-field work. As there, an empty field is skipped and a field without "=" is a
        # name with an empty value.
        return [(name, value) for name, _, value in (field.partition("=") for field in text.split("&") if field)]
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise MalformedBody(f"the form body cannot be read: {exc}") from None


def body_parameters(params: dict, content_type: str, body: bytes) -> dict:
    """`params` (from the query string) with those of a JSON or url-encoded body added."""
    if not body.strip():
        return params
    if content_type == _FORM_TYPE:  # what nearly every ORS client sends, as it is
        params.update(_collect(_form(body)))
        return params
    kind = media_type(content_type)
    if kind == "application/json" or kind.endswith("+json"):
        data = parse_json(body)
        if not isinstance(data, dict):
            raise MalformedBody(f"a JSON body must be an object of parameters, not {type(data).__name__}")
        params.update(data)
    elif kind == "application/x-www-form-urlencoded":
        params.update(_collect(_form(body)))
    else:
        raise UnsupportedBody(f"unsupported body type '{kind or 'none'}': send "
                              "application/x-www-form-urlencoded or application/json")
    return params


async def read_parameters(request: Request) -> dict:
    params = query_parameters(request.scope.get("query_string", b""))
    content_type = request.headers.get("content-type", "")
    if media_type(content_type) != "multipart/form-data":
        return body_parameters(params, content_type, await request.body())
    if not (await request.body()).strip():
        return params
    try:
        form = await request.form()
    except RuntimeFault:
        raise  # BodyTooLarge
    except Exception as exc:  # python-multipart errors have no common base class
        raise MalformedBody(f"the form body cannot be read: {exc}") from None
    params.update(_collect((k, v) for k, v in form.multi_items() if isinstance(v, str)))
    return params
