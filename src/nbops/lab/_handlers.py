"""The server extension's JSON endpoints under ``/nbops/api/``: thin handlers.

Each handler parses the request, calls one library function in a worker thread
(rendering the DAG or reading the ledger must not stall the server), and writes
its JSON. Every handler goes through jupyter_server's authentication
(``tornado.web.authenticated``) and authorization (``authorized``, resource
``nbops``); every write is a POST, which jupyter_server refuses without its XSRF
token unless the request carries the server's token itself. An expected error
(``NbopsError``) is answered with its one sentence and fix, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from nbops.contracts import JSONObject
from nbops.core import NbopsError
from nbops.lab._context import LabContext

AUTH_RESOURCE = "nbops"
TASK = r"(?P<task>[A-Za-z0-9_.\-]+)"
RUN = r"(?P<run>[A-Za-z0-9\-~]+)"


class NbopsHandler(APIHandler):
    """The common part: the lab context, running library calls, answering errors."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, context: LabContext) -> None:
        self.context = context

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in a worker thread; an NbopsError becomes a 4xx answer."""
        try:
            return await IOLoop.current().run_in_executor(None, function, *args)
        except NbopsError as exc:  # bad input, or a state that refuses it: one sentence
            raise _Refused(400, exc) from None

    def body(self) -> JSONObject:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise _Refused(400, NbopsError("the request body is not a JSON object",
                                           "send a JSON object"))
        return data

    def answer(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, _Refused):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": exc.error.problem, "fix": exc.error.fix,
                                    "message": exc.error.message}))
            return
        super().write_error(status_code, **kwargs)


class _Refused(web.HTTPError):
    def __init__(self, status: int, error: NbopsError) -> None:
        super().__init__(status, error.message)
        self.error = error


class PipelineHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.answer(await self.call(self.context.pipeline))


class TaskRunsHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self, task: str) -> None:
        text = self.get_argument("limit", "50")
        limit = min(int(text), 500) if text.isdigit() else 50
        self.answer(await self.call(self.context.task_runs, task, limit))


class RunNotebookHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self, run: str, task: str) -> None:
        self.answer(await self.call(self.context.executed_notebook, run, task))


class RunParametersHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self, run: str, task: str) -> None:
        self.answer(await self.call(self.context.parameters_cell, run, task))


class DiffHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self, task: str) -> None:
        a, b = self.get_argument("a", ""), self.get_argument("b", "")
        if not a or not b:
            raise _Refused(400, NbopsError("a diff needs two runs", "pass ?a=RUN&b=RUN"))
        self.answer({"html": await self.call(self.context.diff, task, a, b)})


class ModelHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.answer(await self.call(self.context.model))


class PromoteHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body()
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise _Refused(400, NbopsError("promote needs a version number",
                                           'send {"version": N, "reason": "..."}'))
        self.answer(await self.call(
            self.context.promote, str(data.get("model") or ""), version,
            str(data.get("alias") or "champion"), str(data.get("reason") or "")))


class RollbackHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body()
        self.answer(await self.call(
            self.context.rollback, str(data.get("model") or ""),
            str(data.get("alias") or "champion"), str(data.get("reason") or "")))


class BuildsHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body()
        task = data.get("task") or None
        overrides = data.get("env") or {}
        if not isinstance(overrides, dict) or (task is not None and not isinstance(task, str)):
            raise _Refused(400, NbopsError("the build request is malformed",
                                           'send {"task": NAME or null, "env": {KEY: VALUE}}'))
        self.answer(await self.call(self.context.start_build, task, overrides,
                                    bool(data.get("force"))), status=202)


class BuildHandler(NbopsHandler):
    @web.authenticated
    @authorized
    async def get(self, build: str) -> None:
        self.answer(await self.call(self.context.build_progress, build))


def handlers(base_url: str, context: LabContext
             ) -> list[tuple[str, type, dict[str, LabContext]]]:
    """The URL patterns of ``/nbops/api/``, under the server's base URL."""
    from jupyter_server.utils import url_path_join

    api = url_path_join(base_url, "nbops", "api")
    routes: list[tuple[str, type]] = [
        ("pipeline", PipelineHandler),
        (f"tasks/{TASK}/runs", TaskRunsHandler),
        (f"tasks/{TASK}/diff", DiffHandler),
        (f"runs/{RUN}/tasks/{TASK}/notebook", RunNotebookHandler),
        (f"runs/{RUN}/tasks/{TASK}/parameters", RunParametersHandler),
        ("model", ModelHandler),
        ("model/promote", PromoteHandler),
        ("model/rollback", RollbackHandler),
        ("builds", BuildsHandler),
        (r"builds/(?P<build>[A-Za-z0-9\-]+)", BuildHandler),
    ]
    return [(url_path_join(api, path) + "/?$", handler, {"context": context})
            for path, handler in routes]
