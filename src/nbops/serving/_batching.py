"""Requests that are waiting at the same time share one call of the model.

Scoring one record costs a model such as the reference pipeline almost what
scoring a dozen costs: the fixed cost of a call (the column transformer on a
one-row frame) dominates. So when several requests are waiting, the scorer
takes all of them that the same model version answers (up to ``max_rows``
rows), scores them in one call and hands each its own scores back.

Nothing ever waits for company: a request that finds the scorer idle is
scored right away, alone; only requests that arrived while a call was running
share the next one. Scores are exactly what each request would get alone:
prepared rows are scored independently of each other (tested), and a call that
fails is retried request by request, so only the request that caused the
failure fails.

A request that alone fills a call (``max_rows`` rows or more) gains nothing
from the queue: it would be scored alone anyway.  :meth:`Batcher.fills_a_call`
says so, and the service scores it with :meth:`Batcher.score_alone` on the
worker thread that already parsed and prepared it, saving a hand-off to the
scorer task and a second one to a worker thread (about a tenth of a
10,000-row request's overhead).  It is still scored by the model its request
took at its start, and a failure is still its own.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool

from nbops.serving._model_slot import LoadedModel


@dataclass
class _Waiting:
    model: LoadedModel
    features: pd.DataFrame
    future: asyncio.Future[np.ndarray]


class Batcher:
    """Scores prepared features, several waiting requests in one model call.

    Args:
        inline_rows: calls of at most this many rows run on the event loop;
            larger ones on a worker thread, so small requests keep being answered.
        max_rows: the most rows one shared call takes (a single larger request
            is still scored, alone).
        on_batch: called with ``(requests, rows)`` after each model call.
    """

    def __init__(self, inline_rows: int, max_rows: int = 1024,
                 on_batch: Callable[[int, int], None] | None = None) -> None:
        self.inline_rows = inline_rows
        self.max_rows = max_rows
        self.on_batch = on_batch
        self._queue: deque[_Waiting] = deque()
        self._worker: asyncio.Task[None] | None = None

    def fills_a_call(self, rows: int) -> bool:
        """True when a request of ``rows`` rows is scored alone whatever else is waiting."""
        return rows >= self.max_rows

    def score_alone(self, model: LoadedModel, features: pd.DataFrame) -> np.ndarray:
        """Score ``features`` now, in one call of its own, on the calling thread.

        For a request that :meth:`fills_a_call`; counted like a queued call.
        """
        scores = model.scores(features)
        if self.on_batch is not None:
            self.on_batch(1, len(features))
        return scores

    async def score(self, model: LoadedModel, features: pd.DataFrame) -> np.ndarray:
        """Positive-class scores of ``features`` by ``model`` (raises what the model raises)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._queue.append(_Waiting(model, features, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        # one turn of the loop first: requests already read from their sockets
        # are prepared and queued before the first call, and join it
        await asyncio.sleep(0)
        while self._queue:
            await self._call(self._take())

    def _take(self) -> list[_Waiting]:
        """The oldest waiting request and those after it that its model answers, in order."""
        first = self._queue[0].model
        taken: list[_Waiting] = []
        kept: deque[_Waiting] = deque()
        rows = 0
        for waiting in self._queue:
            n = len(waiting.features)
            if waiting.model is first and (not taken or rows + n <= self.max_rows):
                taken.append(waiting)
                rows += n
            else:
                kept.append(waiting)
        self._queue = kept
        return taken

    async def _call(self, batch: list[_Waiting]) -> None:
        batch = [w for w in batch if not w.future.done()]  # a client that went away
        if not batch:
            return
        model = batch[0].model
        frames = [w.features for w in batch]
        features = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        try:
            if len(features) <= self.inline_rows:
                scores = model.scores(features)
            else:
                scores = await run_in_threadpool(model.scores, features)
        except Exception as exc:  # noqa: BLE001 - handed to the request(s) it belongs to
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
            else:  # find the culprit: alone, only its own request fails
                for waiting in batch:
                    await self._call([waiting])
            return
        if self.on_batch is not None:
            self.on_batch(len(batch), len(features))
        start = 0
        for waiting in batch:
            n = len(waiting.features)
            if not waiting.future.done():
                waiting.future.set_result(scores[start:start + n])
            start += n
