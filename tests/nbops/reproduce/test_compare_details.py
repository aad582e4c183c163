"""The reproduction verdict's details: every check's message and JSON form, notebooks
compared as notebooks, and the reasons attached to a divergence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbops.reproduce._compare import DIVERGED, IDENTICAL, Check, Sides, TaskResult, compare_task


def _task(**overrides: Any) -> dict[str, Any]:
    task = {"status": "executed", "upstream": [], "source": {"hash": "h"}, "products": {},
            "notebook": None, "produced_by": None, "metrics": {}, "error": None}
    task.update(overrides)
    return task


def _sides(tmp_path: Path) -> Sides:
    return Sides(tmp_path, tmp_path, {}, lambda side, digest: None)


def test_check_and_task_result_json_forms(tmp_path: Path) -> None:
    check = Check("metric:auc", False, 0.5, 0.75, "metric auc differs", tolerance=0.5,
                  acceptable=True)
    assert check.to_dict() == {"what": "metric:auc", "equal": False, "acceptable": True,
                               "recorded": 0.5, "reproduced": 0.75,
                               "detail": "metric auc differs", "tolerance": 0.5}
    result = compare_task("t", _task(), _task(), {}, {}, _sides(tmp_path), None, [])
    assert result.outcome == IDENTICAL
    assert result.to_dict() == {
        "task": "t", "outcome": IDENTICAL,
        "reason": "bit-identical products, equal outputs and metrics",
        "nondeterministic": False, "tolerance": None,
        "checks": [c.to_dict() for c in result.checks]}
    assert [c["what"] for c in result.to_dict()["checks"]] == ["status", "source", "params"]
    missing = compare_task("t", _task(), None, {}, {}, _sides(tmp_path), None, [])
    assert missing.outcome == DIVERGED and missing.reason == "the reproduction has no such task"
    assert isinstance(missing, TaskResult) and len(missing.checks) == 1
    assert missing.checks[0].to_dict() == {
        "what": "status", "equal": False, "acceptable": False, "recorded": "executed",
        "reproduced": None, "detail": "the reproduction has no such task", "tolerance": None}


def _nb(path: Path, output: str) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    cell = new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text=output)])
    nbformat.write(new_notebook(cells=[cell]), path)
    return path


def _compare(tmp_path: Path, recorded: dict, reproduced: dict | None, *, params=({}, {}),
             tolerance=None, upstream=(), locate=None):
    sides = Sides(tmp_path, tmp_path, {"/scratch": "/proj"},
                  locate or (lambda side, digest: None))
    return compare_task("t", recorded, reproduced, params[0], params[1], sides, tolerance,
                        list(upstream))


def test_status_messages(tmp_path: Path) -> None:
    boom = {"ename": "ValueError", "evalue": "bad"}
    failed = _compare(tmp_path, _task(), _task(status="failed", error=boom))
    assert failed.reason == "was executed, reproduction failed (ValueError: bad)"
    assert failed.checks[0].to_dict()["recorded"] == "executed"
    plain = _compare(tmp_path, _task(), _task(status="not_run"))
    assert plain.reason == "was executed, reproduction not_run"
    same_failure = _compare(tmp_path, _task(status="failed", error=boom),
                            _task(status="failed", error=dict(boom)))
    assert same_failure.outcome == IDENTICAL and same_failure.checks[0].equal
    reused = _compare(tmp_path, _task(status="skipped"), _task(status="executed"))
    assert reused.outcome == IDENTICAL
    other = _compare(tmp_path, _task(status="failed", error=boom),
                     _task(status="failed", error={"ename": "KeyError", "evalue": "'x'"}))
    assert other.reason == "failed with ValueError: bad, now with KeyError: 'x'"
    both_not_run = _compare(tmp_path, _task(status="not_run"), _task(status="not_run"))
    assert both_not_run.outcome == IDENTICAL
    assert both_not_run.checks[0] == Check("status", True, "not_run", "not_run")
    assert same_failure.checks[0] == Check("status", True, "failed", "failed", "")
    assert reused.checks[0] == Check("status", True, "skipped", "executed")


def test_source_and_parameter_messages(tmp_path: Path) -> None:
    source = _compare(tmp_path, _task(), _task(source={"hash": "other"}))
    assert source.reason == ("its source differs from the recorded one (a change the run did "
                             "not capture, e.g. an untracked file)")
    params = _compare(tmp_path, _task(), _task(), params=({"lr": 0.1, "p": "/proj/x"},
                                                          {"lr": 0.2, "p": "/scratch/x"}))
    assert params.reason == "parameters differ (lr: recorded 0.1, reproduction 0.2)"
    rewritten = _compare(tmp_path, _task(), _task(), params=({"p": "/proj/x"},
                                                             {"p": "/scratch/x"}))
    assert rewritten.outcome == IDENTICAL


def test_metric_messages_with_and_without_a_tolerance(tmp_path: Path) -> None:
    from nbops.reproduce._compare import WITHIN
    from nbops.reproduce._declaration import Tolerance

    missing = _compare(tmp_path, _task(metrics={"auc": 0.5}), _task(metrics={"f1": 0.5}))
    assert missing.reason == "metric auc: the reproduction did not log it"
    assert [c.detail for c in missing.checks[-2:]] == [
        "metric auc: the reproduction did not log it", "metric f1: the run did not log it"]
    exact = _compare(tmp_path, _task(metrics={"auc": 0.5}), _task(metrics={"auc": 0.75}))
    assert exact.reason == "metric auc was 0.5, reproduction 0.75"
    nan = _compare(tmp_path, _task(metrics={"auc": float("nan")}),
                   _task(metrics={"auc": float("nan")}))
    assert nan.outcome == IDENTICAL
    declared = Tolerance(default=0.25)
    at_edge = _compare(tmp_path, _task(metrics={"auc": 0.5}), _task(metrics={"auc": 0.75}),
                       tolerance=declared)
    assert at_edge.outcome == WITHIN  # |Δ| == tolerance is within
    assert at_edge.reason == ("metric auc was 0.5, reproduction 0.75: |Δ|=0.25 within ±0.25 "
                              "(declared non-deterministic, ±0.25)")
    check = at_edge.checks[-1]
    assert (check.tolerance, check.acceptable, check.equal) == (0.25, True, False)
    outside = _compare(tmp_path, _task(metrics={"auc": 0.5}), _task(metrics={"auc": 0.875}),
                       tolerance=declared)
    assert outside.outcome == DIVERGED
    assert outside.reason == "metric auc was 0.5, reproduction 0.875: |Δ|=0.375 outside ±0.25"


def test_product_messages(tmp_path: Path) -> None:
    from nbops.reproduce._compare import WITHIN
    from nbops.reproduce._declaration import Tolerance

    def products(**hashes: str) -> dict:
        return {k: {"path": f"{k}.bin", "hash": h, "size": len(h)} for k, h in hashes.items()}

    gone = _compare(tmp_path, _task(products=products(model="a")), _task(products={}))
    assert gone.reason == "product model: the reproduction did not produce it"
    assert gone.checks[-1].recorded == "a" and gone.checks[-1].reproduced is None
    extra = _compare(tmp_path, _task(products={}), _task(products=products(model="a")))
    assert extra.reason == "product model: the run did not record it"
    changed = _compare(tmp_path, _task(products=products(model="a")),
                       _task(products=products(model="bb")))
    assert changed.reason == "product model (model.bin) is not bit-identical (size 1 vs 2)"
    declared = _compare(tmp_path, _task(products=products(model="a")),
                        _task(products=products(model="bb")), tolerance=Tolerance())
    assert declared.outcome == WITHIN
    assert declared.reason == ("product model (model.bin) is not bit-identical (size 1 vs 2) "
                               "(declared non-deterministic, exact metrics)")


def test_notebook_products_are_compared_as_notebooks(tmp_path: Path) -> None:
    same_a = _nb(tmp_path / "a.ipynb", "1\n")
    same_b = _nb(tmp_path / "b.ipynb", "1\n")
    other = _nb(tmp_path / "c.ipynb", "2\n")
    files = {"ha": same_a, "hb": same_b, "hc": other}

    def nb_products(digest: str) -> dict:
        return {"nb": {"path": "out/t.ipynb", "hash": digest, "size": 1}}

    def run(before: str, after: str, locate=lambda side, digest: files.get(digest)):
        return _compare(tmp_path, _task(products=nb_products(before)),
                        _task(products=nb_products(after)), locate=locate)

    equal = run("ha", "hb")
    assert equal.outcome == IDENTICAL
    assert (equal.checks[-1].recorded, equal.checks[-1].reproduced) == ("equal outputs",
                                                                       "equal outputs")
    differ = run("ha", "hc")
    assert differ.outcome == DIVERGED and differ.reason.startswith("notebook ")
    assert differ.checks[-1].what == "product:nb"
    lost = run("ha", "hz")
    assert lost.reason == "the reproduced notebook is missing"
    lost_recorded = run("hz", "hb")
    assert lost_recorded.reason == "the recorded notebook is missing"


def test_a_task_notebook_is_compared_when_it_is_not_a_product(tmp_path: Path) -> None:
    _nb(tmp_path / "same.ipynb", "1\n")
    _nb(tmp_path / "other.ipynb", "2\n")
    recorded = _task(notebook={"path": "same.ipynb"})
    assert _compare(tmp_path, recorded, _task(notebook={"path": "same.ipynb"})).outcome == (
        IDENTICAL)
    differs = _compare(tmp_path, recorded, _task(notebook={"path": "other.ipynb"}))
    assert differs.outcome == DIVERGED and differs.checks[-1].what == "notebook"
    missing = _compare(tmp_path, recorded, _task(notebook={"path": "gone.ipynb"}))
    assert missing.reason == "the reproduced notebook is missing"
    # a task whose notebook is a product is compared once, as the product
    as_product = _task(notebook={"path": "same.ipynb"},
                       products={"nb": {"path": "x.ipynb", "hash": "h", "size": 1}})
    result = _compare(tmp_path, as_product, dict(as_product, notebook={"path": "other.ipynb"}))
    assert [c.what for c in result.checks].count("notebook") == 0


def test_reasons_name_reused_products_and_declared_upstream(tmp_path: Path) -> None:
    from nbops.reproduce._compare import WITHIN
    from nbops.reproduce._declaration import Tolerance

    reused = _compare(tmp_path, _task(status="skipped", produced_by="R1"),
                      _task(source={"hash": "other"}))
    assert reused.reason.endswith(
        " (the run reused this task's products from run R1; Ploomber does not see changes to "
        "imported code or input files)")
    noisy = _compare(tmp_path, _task(metrics={"m": 0.5}), _task(metrics={"m": 0.75}),
                     upstream=["a", "b"])
    assert noisy.reason == ("metric m was 0.5, reproduction 0.75; its upstream a, b is declared "
                            "non-deterministic: declare a tolerance for this task too")
    declared = _compare(tmp_path, _task(metrics={"m": 0.5}), _task(metrics={"m": 0.875}),
                        upstream=["a"], tolerance=Tolerance(default=0.25))
    assert "its upstream" not in declared.reason
    many = {f"m{i}": 0.5 for i in range(5)}
    within = _compare(tmp_path, _task(metrics=many),
                      _task(metrics={k: 0.75 for k in many}), tolerance=Tolerance(default=1.0))
    assert within.outcome == WITHIN
    assert within.reason.endswith(" (+2 more) (declared non-deterministic, ±1)")
    assert within.reason.count("metric m") == 3
    three = {f"m{i}": 0.5 for i in range(3)}
    exactly = _compare(tmp_path, _task(metrics=three),
                       _task(metrics={k: 0.75 for k in three}), tolerance=Tolerance(default=1.0))
    assert "more)" not in exactly.reason
    assert within.to_dict()["nondeterministic"] is True
    assert within.to_dict()["tolerance"] == {"default": 1.0, "per_metric": {}}


def test_compare_runs_follows_upstream_transitively_and_flags_extra_tasks(tmp_path: Path) -> None:
    from nbops.reproduce._compare import WITHIN, compare_runs
    from nbops.reproduce._declaration import Tolerance

    def run(value: float) -> dict:
        tasks = {"a": _task(metrics={"m": value}), "b": _task(upstream=["a"]),
                 "c": _task(upstream=["b"], metrics={"n": value})}
        del tasks["a"]["upstream"]  # older manifests may omit it
        return {"tasks": tasks, "params": {}}

    recorded, reproduced = run(0.5), run(0.75)
    reproduced["tasks"]["d"] = _task()
    results = compare_runs(recorded, reproduced, _sides(tmp_path), {"a": Tolerance(default=1)})
    assert [(r.task, r.outcome) for r in results] == [
        ("a", WITHIN), ("b", IDENTICAL), ("c", DIVERGED), ("d", DIVERGED)]
    assert results[2].reason.endswith("; its upstream a is declared non-deterministic: "
                                      "declare a tolerance for this task too")
    extra = results[3]
    assert extra.reason == "the reproduction has a task the run did not have"
    assert extra.tolerance is None and extra.checks == []
    declared_extra = compare_runs(recorded, reproduced, _sides(tmp_path),
                                  {"d": Tolerance(default=1)})[-1]
    assert declared_extra.tolerance == Tolerance(default=1)


def test_every_check_records_both_sides(tmp_path: Path) -> None:
    from nbops.reproduce._compare import WITHIN
    from nbops.reproduce._declaration import Tolerance
    from nbops.runs._notebook_compare import compare_notebooks

    nb_a, nb_b = _nb(tmp_path / "a.ipynb", "1\n"), _nb(tmp_path / "b.ipynb", "2\n")
    files = {"na": nb_a, "nb": nb_b}
    recorded = _task(source={"hash": "s1"}, metrics={"auc": 0.5, "same": 1.0, "lost": 2.0},
                     products={"model": {"path": "m.bin", "hash": "a", "size": 1},
                               "gone": {"path": "g.bin", "hash": "g", "size": 1},
                               "nb": {"path": "t.ipynb", "hash": "na", "size": 1}})
    reproduced = _task(source={"hash": "s2"}, metrics={"auc": 0.75, "same": 1.0},
                       products={"model": {"path": "m.bin", "hash": "bb", "size": 2},
                                 "new": {"path": "n.bin", "hash": "n", "size": 1},
                                 "nb": {"path": "t.ipynb", "hash": "nb", "size": 1}})
    result = _compare(tmp_path, recorded, reproduced, params=({"lr": 0.1}, {"lr": 0.2}),
                      tolerance=Tolerance(default=0.5),
                      locate=lambda side, digest: files.get(digest))
    difference = compare_notebooks(nb_a, nb_b, {"/scratch": "/proj"})
    assert difference is not None
    got = {c.what: c for c in result.checks}
    assert list(got) == ["status", "source", "params", "product:gone", "product:model",
                         "product:nb", "product:new", "metric:auc", "metric:lost",
                         "metric:same"]
    assert got["source"] == Check("source", False, "s1", "s2", got["source"].detail,
                                  acceptable=False)
    assert got["params"] == Check("params", False, {"lr": 0.1}, {"lr": 0.2},
                                  "parameters differ (lr: recorded 0.1, reproduction 0.2)",
                                  acceptable=False)
    assert got["product:gone"] == Check("product:gone", False, "g", None,
                                        "product gone: the reproduction did not produce it",
                                        acceptable=False)
    assert got["product:new"] == Check("product:new", False, None, "n",
                                       "product new: the run did not record it",
                                       acceptable=False)
    assert got["product:model"] == Check(
        "product:model", False, "a", "bb", "product model (m.bin) is not bit-identical "
        "(size 1 vs 2)", acceptable=True)
    assert got["product:nb"] == Check("product:nb", False, difference.recorded,
                                      difference.reproduced,
                                      f"notebook {difference.describe()}", acceptable=True)
    assert got["metric:auc"] == Check("metric:auc", False, 0.5, 0.75, got["metric:auc"].detail,
                                      tolerance=0.5, acceptable=True)
    assert got["metric:lost"] == Check("metric:lost", False, 2.0, None,
                                       "metric lost: the reproduction did not log it",
                                       acceptable=False)
    assert got["metric:same"] == Check("metric:same", True, 1.0, 1.0)
    assert result.outcome == DIVERGED and result.outcome != WITHIN
    same = _compare(tmp_path, _task(source={"hash": "s"}), _task(source={"hash": "s"}),
                    params=({"lr": 1}, {"lr": 1}))
    assert same.checks[1:] == [Check("source", True, "s", "s"),
                               Check("params", True, {"lr": 1}, {"lr": 1})]
    missing_nb = _compare(tmp_path, _task(products={"nb": {"path": "t.ipynb", "hash": "na"}}),
                          _task(products={"nb": {"path": "t.ipynb", "hash": "zz"}}),
                          locate=lambda side, digest: files.get(digest))
    assert missing_nb.checks[-1] == Check("product:nb", False, str(nb_a), "None",
                                          "the reproduced notebook is missing",
                                          acceptable=False)
    sides_seen = []
    _compare(tmp_path, _task(products={"nb": {"path": "t.ipynb", "hash": "na"}}),
             _task(products={"nb": {"path": "t.ipynb", "hash": "nb"}}),
             locate=lambda side, digest: sides_seen.append((side, digest)) or files[digest])
    assert sides_seen == [("recorded", "na"), ("reproduced", "nb")]
    unhashed = _compare(tmp_path, _task(products={"nb": {"path": "t.ipynb", "hash": "na"}}),
                        _task(products={"nb": {"path": "t.ipynb", "hash": None}}),
                        locate=lambda side, digest: files[digest])
    assert unhashed.reason == "the reproduced notebook is missing"


def test_a_nan_metric_equals_only_nan_and_every_metric_is_checked(tmp_path: Path) -> None:
    result = _compare(tmp_path, _task(metrics={"a": 1.0, "b": float("nan"), "c": 0.5}),
                      _task(metrics={"b": 0.5, "c": 0.75}))
    assert [c.what for c in result.checks[3:]] == ["metric:a", "metric:b", "metric:c"]
    assert [c.acceptable for c in result.checks[3:]] == [False, False, False]


def test_task_order_places_upstream_first_and_survives_a_cycle() -> None:
    from nbops.reproduce._compare import task_order

    chain = {"x": {"upstream": ["y"]}, "y": {"upstream": ["z"]}, "z": {}}
    assert task_order(chain) == ["z", "y", "x"]
    cycle = {"a": {"upstream": ["b"]}, "b": {"upstream": ["a"]}, "c": {"upstream": ["gone"]}}
    assert task_order(cycle) == ["c", "a", "b"]


def test_upstream_names_missing_from_the_manifest_are_ignored(tmp_path: Path) -> None:
    from nbops.reproduce._compare import compare_runs

    run = {"tasks": {"b": _task(upstream=["ghost"])}, "params": {}}
    assert [r.outcome for r in compare_runs(run, run, _sides(tmp_path), {})] == [IDENTICAL]
