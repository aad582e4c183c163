"""Requests waiting together share one model call, and each gets exactly its own scores."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from nbops.serving._batching import Batcher
from nbops.serving._model_slot import LoadedModel


class _Counting:
    """A real fitted model, slowed down and counting its calls."""

    def __init__(self, model: object, delay: float = 0.05, fail_on: float | None = None):
        self.model, self.delay, self.fail_on = model, delay, fail_on
        self.calls: list[int] = []

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self.calls.append(len(frame))
        time.sleep(self.delay)
        if self.fail_on is not None and (frame["x"] == self.fail_on).any():
            raise ValueError("this model cannot score x == -1")
        return self.model.predict_proba(frame)  # type: ignore[attr-defined]


def _fitted() -> tuple[Pipeline, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400),
                          "c": pd.Series(rng.choice(["a", "b", "c"], 400), dtype=object)})
    y = (frame["x"] + (frame["c"] == "a") > 0.3).astype(int)
    model = Pipeline([
        ("prep", ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), ["c"])],
                                   remainder="passthrough")),
        ("model", HistGradientBoostingClassifier(max_iter=20, random_state=0))])
    return model.fit(frame, y), frame


def _loaded(model: object) -> LoadedModel:
    return LoadedModel(name="m", version=1, model=model, schema={}, preparation={},
                       allowed=frozenset({"x", "c"}))


async def _all(batcher: Batcher, loaded: LoadedModel, parts: list[pd.DataFrame]) -> list:
    return await asyncio.gather(*(batcher.score(loaded, p) for p in parts),
                                return_exceptions=True)


def test_requests_waiting_together_share_a_call_and_get_exactly_their_own_scores():
    fitted, frame = _fitted()
    parts = [frame.iloc[[i]].reset_index(drop=True) for i in range(6)]
    parts.append(frame.iloc[10:40].reset_index(drop=True))  # a bigger request among them
    alone = [fitted.predict_proba(p)[:, 1] for p in parts]
    counting = _Counting(fitted)
    batches: list[tuple[int, int]] = []
    batcher = Batcher(inline_rows=0, on_batch=lambda n, rows: batches.append((n, rows)))
    got = asyncio.run(_all(batcher, _loaded(counting), parts))
    assert counting.calls == [36]  # one call for the seven requests
    assert batches == [(7, 36)]
    for mine, expected in zip(got, alone, strict=True):
        assert mine.tolist() == expected.tolist()  # exactly, not approximately


def test_a_request_that_finds_the_scorer_idle_is_scored_at_once_alone():
    fitted, frame = _fitted()
    counting = _Counting(fitted, delay=0)
    batcher = Batcher(inline_rows=256)

    async def one_by_one() -> None:
        for i in range(3):
            await batcher.score(_loaded(counting), frame.iloc[[i]])

    asyncio.run(one_by_one())
    assert counting.calls == [1, 1, 1]


def test_different_versions_and_the_row_limit_make_separate_calls():
    fitted, frame = _fitted()
    first, second = _Counting(fitted), _Counting(fitted)
    batcher = Batcher(inline_rows=0, max_rows=50)
    v1, v2 = _loaded(first), LoadedModel(name="m", version=2, model=second, schema={},
                                         preparation={}, allowed=frozenset({"x", "c"}))

    async def mixed() -> None:
        await asyncio.gather(batcher.score(v1, frame.iloc[:30]), batcher.score(v2, frame.iloc[:5]),
                             batcher.score(v1, frame.iloc[:30]), batcher.score(v1, frame.iloc[:10]))

    asyncio.run(mixed())
    assert first.calls == [40, 30]  # 30 + 10 fit under 50 rows; the other 30 waits its turn
    assert second.calls == [5]  # version 2 never shares a call with version 1


def test_a_failing_call_fails_only_the_request_that_caused_it():
    fitted, frame = _fitted()
    bad = frame.iloc[[0]].reset_index(drop=True).assign(x=-1.0)
    parts = [frame.iloc[[1]], bad, frame.iloc[[2]]]
    counting = _Counting(fitted, delay=0.01, fail_on=-1.0)
    got = asyncio.run(_all(Batcher(inline_rows=0), _loaded(counting), parts))
    assert isinstance(got[1], ValueError)
    assert got[0].tolist() == fitted.predict_proba(frame.iloc[[1]])[:, 1].tolist()
    assert got[2].tolist() == fitted.predict_proba(frame.iloc[[2]])[:, 1].tolist()
    assert counting.calls == [3, 1, 1, 1]  # together, then each alone


@pytest.mark.parametrize("inline_rows", [0, 256])
def test_a_client_that_went_away_is_not_scored(inline_rows):
    fitted, frame = _fitted()
    counting = _Counting(fitted, delay=0.05)
    batcher = Batcher(inline_rows=inline_rows)

    async def cancel_one() -> None:
        loaded = _loaded(counting)
        first = asyncio.ensure_future(batcher.score(loaded, frame.iloc[[0]]))
        await asyncio.sleep(0)
        gone = asyncio.ensure_future(batcher.score(loaded, frame.iloc[[1]]))
        kept = asyncio.ensure_future(batcher.score(loaded, frame.iloc[[2]]))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(first, kept)

    asyncio.run(cancel_one())
    assert sum(counting.calls) == 2  # the cancelled request's row was never scored


def test_a_request_that_fills_a_call_is_scored_alone_on_the_calling_thread():
    fitted, frame = _fitted()
    counting = _Counting(fitted, delay=0)
    batches: list[tuple[int, int]] = []
    batcher = Batcher(inline_rows=0, max_rows=50,
                      on_batch=lambda n, rows: batches.append((n, rows)))
    assert not batcher.fills_a_call(49) and batcher.fills_a_call(50)
    big = frame.iloc[:120].reset_index(drop=True)
    got = batcher.score_alone(_loaded(counting), big)
    assert got.tolist() == fitted.predict_proba(big)[:, 1].tolist()
    assert counting.calls == [120] and batches == [(1, 120)]  # counted as a call of its own

    failing = _Counting(fitted, delay=0, fail_on=-1.0)
    with pytest.raises(ValueError, match="x == -1"):  # its failure is its own
        batcher.score_alone(_loaded(failing), big.assign(x=-1.0))
