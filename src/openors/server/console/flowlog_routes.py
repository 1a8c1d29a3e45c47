"""`/ors/flowlogs`: the flow logs of running and finished sessions, searched and read."""

from __future__ import annotations

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from openors.runtime import Runtime, UnknownSession

MAX_RESULTS = 500


def add_flowlog_routes(app: FastAPI, runtime: Runtime) -> None:
    flowlogs = runtime.flowlogs

    @app.get("/ors/flowlogs", tags=["operator"],
             summary="Search flow logs by session, interaction, ani or dnis (newest first)")
    async def search(session: str | None = Query(None, max_length=200),
                     interaction: str | None = Query(None, max_length=200),
                     ani: str | None = Query(None, max_length=200), dnis: str | None = Query(None, max_length=200),
                     limit: int = Query(50, ge=1, le=MAX_RESULTS)) -> JSONResponse:
        given = {k: v for k, v in {"session": session, "interaction": interaction, "ani": ani,
                                    "dnis": dnis}.items() if v}
        if len(given) > 1:
            return JSONResponse({"error": "MalformedBody", "field": sorted(given)[1],
                                 "message": f"search by one of session, interaction, ani, dnis at a time, "
                                            f"not {', '.join(sorted(given))}"}, status_code=400)
        field, value = next(iter(given.items()), (None, None))
        return JSONResponse({"flowlogs": flowlogs.search(field, value, limit)})

    @app.get("/ors/flowlogs/{session_id}", tags=["operator"],
             summary="A session's whole flow log (running or finished): summary and entries")
    async def read(session_id: str) -> JSONResponse:
        found = flowlogs.entries(session_id)
        if found is None:
            raise UnknownSession(session_id)
        summary, entries = found
        status = "running" if session_id in flowlogs.recorder.live else (
            "ended" if summary.ended is not None else "evicted")
        return JSONResponse({"summary": {**summary.as_dict(), "status": status}, "entries": entries})
