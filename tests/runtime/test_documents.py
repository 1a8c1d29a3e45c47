"""The document cache: compiled once, revalidated (file mtime, HTTP ETag), alternate URLs, errors."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from openors.runtime import DocumentLoadFailed
from openors.runtime.documents import DocumentCache
from openors.runtime.metrics import Metrics
from openors.scxml.extensions import Extensions

DOC = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" name="{name}"><final id="f"/></scxml>"""


def cache(**kwargs) -> DocumentCache:
    return DocumentCache(Extensions(), Metrics(), **kwargs)


def test_a_file_is_compiled_once_and_recompiled_when_it_changes(tmp_path):
    path = tmp_path / "a.scxml"
    path.write_text(DOC.format(name="one"))

    async def main():
        docs = cache()
        first = await docs.get(str(path))
        assert await docs.get(path.as_uri()) is first
        path.write_text(DOC.format(name="two"))
        os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
        second = await docs.get(str(path))
        assert second is not first and second.name == "two"

    asyncio.run(main())


def test_the_alternate_url_is_used_when_the_first_fails_and_errors_name_both(tmp_path):
    good = tmp_path / "good.scxml"
    good.write_text(DOC.format(name="good"))
    bad = tmp_path / "bad.scxml"
    bad.write_text("<scxml xmlns='http://www.w3.org/2005/07/scxml' version='1.0'>\n<state id='a'>\n</scxml>")

    async def main():
        docs = cache()
        assert (await docs.get(f"{bad} {good}")).name == "good"
        with pytest.raises(DocumentLoadFailed) as info:
            await docs.get(f"{bad} {tmp_path / 'missing.scxml'}")
        message = info.value.message
        assert f"{bad.as_uri()}:3" in message and "missing.scxml" in message and "alternate" in message
        assert info.value.details["line"] == 3

    asyncio.run(main())


def test_http_documents_are_revalidated_with_etag():
    hits = []

    async def doc(request):
        hits.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return Response(status_code=304)
        return Response(DOC.format(name="web"), media_type="application/xml", headers={"ETag": '"v1"'})

    async def main():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/app.scxml", doc)]), log_level="warning",
                                               lifespan="off"))
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            docs = cache(max_age=0.0)
            url = f"http://127.0.0.1:{port}/app.scxml"
            first = await docs.get(url)
            assert await docs.get(url) is first  # 304: same compiled document
            assert hits == [None, '"v1"']
            with pytest.raises(DocumentLoadFailed, match="HTTP 404"):
                await docs.get(f"http://127.0.0.1:{port}/none.scxml")
            await docs.close()
        finally:
            server.should_exit = True
            await task

    asyncio.run(main())
