"""`<session:fetch method="esp">` and `method="urs"`: requests to Genesys servers, not to a web server.

* ESP (External Service Protocol) calls a method of a service on a Genesys server by application
  name, the way URS reaches UCS or a Content Analyzer: `srcexpr` is the server, the `Service` and
  `Method` params (or a `<content>` object {Service, Method, Parameters}) name the entry point and
  the other params are its Parameters. Those servers are outside the simulated contact center, so
  their answers are configuration: list `ESP` of the config_lists file, item `Server/Service/Method`,
  key `content` (the answer's output parameters) or `FaultCode`/`FaultString` (a fault).
* URS: `srcexpr` is a path of URS's web API; `urs/stat/<object>/<statistic>` answers
  `{"value": n}` from the statistics the simulator computes (statistic/stats.py). Other paths: 404.

Both answer `session.fetch.done` with `content` as JSON text (always JSON, as ESP answers are), or
`error.session.fetch`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..actions import ActionContext, ActionError

if TYPE_CHECKING:
    from ..world import OrsWorld

ESP_LIST = "ESP"
_URS_STAT = re.compile(r"^(?:[a-z]+://[^/]+)?/?urs/stat/(?P<object>[^/]+)/(?P<statistic>[^/?]+)$")


def platform_fetch(action: Any, ctx: ActionContext, world: OrsWorld, method: str) -> None:
    answer = _esp(ctx, world) if method == "esp" else _urs(ctx, world)
    data = {"requestid": ctx.requestid, "content": json.dumps(answer), "hints": {}}
    world.trace("fetch", session=ctx.session_id, requestid=ctx.requestid, method=method.upper(),
                url=str(ctx.args.get("srcexpr", ctx.args.get("src"))))
    world.later(lambda: ctx.emit(action.done_name(), data))


def _esp(ctx: ActionContext, world) -> Any:
    server = ctx.args.get("srcexpr", ctx.args.get("src"))
    if server in (None, ""):
        raise ActionError("unknown", "<session:fetch method='esp'> needs 'srcexpr': the server's application name")
    params, body = _request_parts(ctx)
    request = dict(params)
    if isinstance(body, dict):
        request.update(body)
    service, method = request.get("Service"), request.get("Method")
    if service in (None, "") or method in (None, ""):
        raise ActionError("unknown", "<session:fetch method='esp'> needs the params 'Service' and 'Method'")
    entry = f"{server}/{service}/{method}"
    item = (world.session_module.config.lists.get(ESP_LIST) or {}).get(entry)
    if not isinstance(item, dict):
        raise ActionError("unknown", f"ESP: no answer configured for {entry} (config_lists: lists.{ESP_LIST})")
    if item.get("FaultCode") not in (None, ""):
        raise ActionError("unknown", f"ESP {entry} answered fault {item['FaultCode']}: {item.get('FaultString', '')}")
    return item.get("content", {})


def _urs(ctx: ActionContext, world) -> Any:
    path = str(ctx.args.get("srcexpr", ctx.args.get("src")) or "")
    found = _URS_STAT.match(path.strip())
    if found is None:
        raise ActionError("http.404", f"URS: {path!r} is no method this server simulates (urs/stat/<object>/<statistic>)")
    value = world.statistics.value(found["object"], found["statistic"])
    if value is None:
        raise ActionError("http.404", f"URS: no statistic {found['statistic']!r} for {found['object']!r}")
    return {"value": float(value)}


def _request_parts(ctx: ActionContext) -> tuple[dict, Any]:
    from .fetch import _NONE, Fetch

    params, body = Fetch().params_and_body(ctx)
    return params, (None if body is _NONE else body)
