"""What a build did, in a few lines: the end of every ``ploomber build``.

:func:`build_summary` gathers, from the run's manifest (and the run index for the
previous run of the same experiment), the facts a person wants when a build
ends: run id and status, headline metrics with their change against the previous
run and the champion, each gate's verdict, the registry decision, the monitoring
verdict, and where to read more (the run page, or the failed cell's page).
:func:`summary_text` renders it for a terminal, :func:`summary_markdown` for a CI
job summary or a pull-request comment; :meth:`BuildSummary.to_dict` is the JSON.

The build prints it through :func:`emit_summary`, called by the reports'
post-close step: under the ``ploomber`` command it is written when the process
exits, so it comes after Ploomber's own task table and error message.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypedDict

from nbops.contracts import Manifest, RunSummary
from nbops.core import experiment_of, from_summary, printable
from nbops.reports._paths import task_page

MAX_METRICS = 6
#: Metric name prefixes that are not headline figures (baselines, per-feature drift, settings).
HIDDEN_PREFIXES = ("baseline_", "drift_", "monitor_threshold.", "monitor_rows")
#: Monitoring runs: the metrics worth a line, in this order, when present.
MONITORING_HEADLINE = ("live_roc_auc", "live_roc_auc_drop", "prediction_psi", "monitor_rows",
                       "monitor_problems")
COMPARABLE = ("succeeded", "gated")
#: What to do about failed gates (the registry's GatesFailed says the same).
GATES_FIX = ("improve the model, or adjust the thresholds under gates: in env.yaml if they "
             "are wrong")


@dataclass
class MetricLine:
    """One headline metric with its baselines."""

    name: str
    value: float
    previous: float | None = None
    champion: float | None = None

    @property
    def vs_previous(self) -> float | None:
        return _delta(self.value, self.previous)

    @property
    def vs_champion(self) -> float | None:
        return _delta(self.value, self.champion)


@dataclass
class GateLine:
    """One quality gate's verdict."""

    name: str
    verdict: str
    detail: str


class MetricLineDocument(TypedDict):
    """One headline metric in ``nbops summary --json``."""

    name: str
    value: float
    previous: float | None
    champion: float | None
    vs_previous: float | None
    vs_champion: float | None


class GateLineDocument(TypedDict):
    """One gate in ``nbops summary --json``."""

    name: str
    verdict: str
    detail: str


class BuildSummaryDocument(TypedDict):
    """``nbops summary --json``: :class:`BuildSummary`'s fields and its verdict."""

    run_id: str
    status: str
    duration_s: float | None
    experiment: str
    executed: int
    reused: int
    metrics: list[MetricLineDocument]
    previous_run: str | None
    champion_label: str | None
    gates_verdict: str | None
    gates: list[GateLineDocument]
    gates_error: str | None
    registry_decision: str | None
    not_registered: bool
    registry_error: str | None
    monitoring_verdict: str | None
    monitoring_summary: str | None
    failure: str | None
    problem_page: str | None
    problem_label: str
    run_page: str
    verdict: str


@dataclass
class BuildSummary:
    """The facts of one run that its build summary shows (see :func:`build_summary`)."""

    run_id: str
    status: str
    duration_s: float | None
    experiment: str
    executed: int
    reused: int
    metrics: list[MetricLine] = field(default_factory=list)
    previous_run: str | None = None
    champion_label: str | None = None
    gates_verdict: str | None = None
    gates: list[GateLine] = field(default_factory=list)
    gates_error: str | None = None
    registry_decision: str | None = None
    not_registered: bool = False  # the model passed but the remote's registry did not take it
    registry_error: str | None = None  # then: its one sentence, with the fix
    monitoring_verdict: str | None = None
    monitoring_summary: str | None = None
    failure: str | None = None
    problem_page: str | None = None
    #: what ``problem_page`` shows: the failed cell, or the page of a task that is no notebook
    problem_label: str = "failed cell"
    #: empty when the build could not render the run's pages (the summary says how to retry)
    run_page: str = ""

    @property
    def verdict(self) -> str:
        """The one word for the run: its status, or the monitoring verdict when worse than ok."""
        if self.status == "succeeded" and self.not_registered:
            return "not registered"
        if self.status == "succeeded" and self.monitoring_verdict in ("warn", "alert"):
            return f"monitoring {self.monitoring_verdict}"
        return self.status

    @property
    def failed_gates(self) -> list[GateLine]:
        return [g for g in self.gates if g.verdict == "failed"]

    def to_dict(self) -> BuildSummaryDocument:
        """``nbops summary --json``: every field, each metric's deltas, and the verdict."""
        return {
            "run_id": self.run_id, "status": self.status, "duration_s": self.duration_s,
            "experiment": self.experiment, "executed": self.executed, "reused": self.reused,
            "metrics": [{"name": m.name, "value": m.value, "previous": m.previous,
                         "champion": m.champion, "vs_previous": m.vs_previous,
                         "vs_champion": m.vs_champion} for m in self.metrics],
            "previous_run": self.previous_run, "champion_label": self.champion_label,
            "gates_verdict": self.gates_verdict,
            "gates": [{"name": g.name, "verdict": g.verdict, "detail": g.detail}
                      for g in self.gates],
            "gates_error": self.gates_error, "registry_decision": self.registry_decision,
            "not_registered": self.not_registered, "registry_error": self.registry_error,
            "monitoring_verdict": self.monitoring_verdict,
            "monitoring_summary": self.monitoring_summary, "failure": self.failure,
            "problem_page": self.problem_page, "problem_label": self.problem_label,
            "run_page": self.run_page, "verdict": self.verdict,
        }


def _delta(value: Any, base: Any) -> float | None:
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (value, base)):
        return None
    if not (math.isfinite(value) and math.isfinite(base)):
        return None
    return float(value) - float(base)


def headline_names(metrics: Mapping[str, float], primary: str | None = None,
                   limit: int = MAX_METRICS) -> list[str]:
    """The metrics worth a line: the primary metric first, then the run's own, in order.

    Baselines, per-feature drift figures and monitoring settings stay on the run page.
    """
    numeric = [n for n, v in metrics.items()
               if isinstance(v, int | float) and not isinstance(v, bool)]
    if "monitor_verdict" in metrics:
        names = [n for n in MONITORING_HEADLINE if n in numeric]
    else:
        names = [n for n in numeric if not n.startswith(HIDDEN_PREFIXES)]
    if primary and primary in names:
        names.remove(primary)
        names.insert(0, primary)
    return names[:limit]


def _champion(manifest: Manifest) -> tuple[str | None, dict[str, float]]:
    registry = manifest.get("registry")
    before = registry.get("champion_before") if registry is not None else None
    if registry is None or not isinstance(before, dict):
        return None, {}
    label = f"{registry.get('model')}:{before.get('version')}"
    metrics = before.get("metrics")
    return label, (metrics if isinstance(metrics, dict) else {})


def _where(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` (the current folder) when it is inside, else absolute."""
    base = Path.cwd() if base is None else base
    try:
        return Path(os.path.relpath(path, base)).as_posix() if path.is_relative_to(base) \
            else str(path)
    except ValueError:
        return str(path)


def previous_in_experiment(manifest: Manifest,
                           summaries: list[RunSummary]) -> RunSummary | None:
    """The newest older run of the same experiment that finished with metrics."""
    mine = experiment_of(manifest)
    for summary in summaries:  # newest first
        if (summary["run_id"] < manifest["run_id"] and summary["status"] in COMPARABLE
                and summary.get("metrics") and from_summary(summary).key == mine.key):
            return summary
    return None


def build_summary(manifest: Manifest, run_dir: Path,
                  summaries: list[RunSummary] | None = None,
                  base: Path | None = None) -> BuildSummary:
    """The summary of the run whose manifest is ``manifest`` (stored in ``run_dir``).

    Args:
        summaries: the run index, newest first (for the previous run of the experiment).
        base: paths are shown relative to this folder (default: the current one).
    """
    run_dir = Path(run_dir).resolve()
    tasks = manifest["tasks"]
    registry = manifest.get("registry")
    metrics = manifest["metrics"]
    previous = previous_in_experiment(manifest, summaries or [])
    champ_label, champ_metrics = _champion(manifest)
    lines = [MetricLine(name, float(metrics[name]),
                        (previous.get("metrics", {}) if previous else {}).get(name),
                        champ_metrics.get(name))
             for name in headline_names(metrics,
                                        (registry.get("primary_metric") if registry else None))]
    summary = BuildSummary(
        run_id=manifest["run_id"], status=manifest["status"],
        duration_s=manifest["duration_s"], experiment=experiment_of(manifest).label,
        executed=sum(1 for t in tasks.values() if t["status"] == "executed"),
        reused=sum(1 for t in tasks.values() if t["status"] == "skipped"),
        metrics=lines, previous_run=(previous.get("run_id") if previous else None),
        champion_label=champ_label, run_page=_where(run_dir / "index.html", base),
    )
    gates = manifest.get("gates")
    if gates is not None:
        summary.gates_verdict = str(gates.get("verdict"))
        summary.gates = [GateLine(str(r.get("name")), str(r.get("verdict")),
                                  str(r.get("detail") or r.get("expression") or ""))
                         for r in gates.get("results", []) if isinstance(r, dict)]
        if gates.get("error"):
            summary.gates_error = gates.get("error")
    if registry is not None and registry.get("decision"):
        summary.registry_decision = str(registry.get("decision"))
    error = registry.get("registration_error") if registry is not None else None
    summary.not_registered = isinstance(error, dict)
    if isinstance(error, dict) and error.get("message"):
        summary.registry_error = str(error.get("message"))
    monitoring = manifest.get("monitoring")
    if monitoring is not None and monitoring.get("verdict"):
        summary.monitoring_verdict = str(monitoring.get("verdict"))
        summary.monitoring_summary = str(monitoring.get("summary") or "") or None
    failure = manifest["failure"]
    if failure is not None:
        task = failure["task"]
        summary.failure = failure["message"] or failure.get("evalue") or "failed"
        recorded = tasks.get(task) if task else None
        if task and task_page(run_dir, task).is_file():
            summary.problem_page = _where(task_page(run_dir, task), base)
            if recorded is not None and recorded["notebook"]:
                summary.problem_page += "#nbops-failed-cell"
            else:
                summary.problem_label = "failed task"
    elif manifest["status"] == "interrupted":
        reason = (manifest.get("interrupted") or {}).get("reason")
        summary.failure = f"the build was interrupted{f' ({reason})' if reason else ''}"
    elif (manifest.get("build") or {}).get("stopped_early"):  # DAGBuildEarlyStop: graceful
        summary.failure = f"{manifest['build']['stopped_early']} (a task raised DAGBuildEarlyStop)"
    return summary


# ---------------------------------------------------------------- rendering

def fmt(value: Any) -> str:
    """A number rounded for reading: 4 significant decimals, integers as integers."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or (math.isfinite(value) and value == int(value)
                                  and abs(value) < 1e15):
        return f"{int(value):,}"
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def fmt_delta(change: float | None) -> str:
    """``+0.0123``, ``-0.0040``, ``=`` for no change, ``-`` when there is nothing to compare."""
    if change is None:
        return "-"
    if abs(change) < 1e-12:
        return "="
    return ("+" if change > 0 else "-") + fmt(abs(change))


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


_STYLE = {"succeeded": "green", "passed": "green", "ok": "green", "promoted": "green",
          "failed": "red", "alert": "red", "error": "red", "monitoring alert": "red",
          "gated": "yellow", "not registered": "red", "warn": "yellow", "monitoring warn": "yellow",
          "interrupted": "yellow", "skipped": "bright_black"}


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(word: str, colour: bool) -> str:
    if not colour or word not in _STYLE:
        return word
    import click

    return click.style(word, fg=_STYLE[word], bold=True)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in rows]


def pages_missing(run_id: str) -> str:
    """The sentence said instead of a run page that was not rendered."""
    return (f"The pages of run {run_id} could not be rendered (the run itself is recorded); "
            f"retry with `nbops report {run_id}`.")


def summary_text(summary: BuildSummary, *, colour: bool = False) -> str:
    """The summary as a few terminal lines."""
    p = printable  # every string a notebook or a file wrote: shown, never obeyed
    out = [f"nbops: run {p(summary.run_id)} {_paint(summary.verdict, colour)} "
           f"({_duration(summary.duration_s)}, {summary.executed} executed, "
           f"{summary.reused} reused) - experiment {p(summary.experiment)}"]
    if summary.metrics:
        champ = f"vs champion {p(summary.champion_label)}" if summary.champion_label \
            else "vs champion"
        rows = [["metric", "value", "vs previous", champ]]
        rows += [[p(m.name), fmt(m.value), fmt_delta(m.vs_previous), fmt_delta(m.vs_champion)]
                 for m in summary.metrics]
        out += _table(rows)
        out.append(f"  previous run of this experiment: {p(summary.previous_run or 'none')}")
    if summary.gates_verdict:
        failed = summary.failed_gates
        head = f"gates: {_paint(summary.gates_verdict, colour)}"
        if failed:
            head += f" ({len(failed)} of {len(summary.gates)} failed)"
        elif summary.gates:
            head += f" ({len(summary.gates)} of {len(summary.gates)})"
        out.append(head)
        for gate in failed:  # the failed ones, with their values and thresholds
            out.append(f"  x {p(gate.name)}: {p(gate.detail)}")
        passed = [p(g.name) for g in summary.gates if g.verdict != "failed"]
        if failed and passed:
            out.append(f"  ({len(passed)} passed: {', '.join(passed)})")
        if failed:
            out.append(f"  fix: {GATES_FIX}")
        if summary.gates_error:
            out.append(f"  {p(summary.gates_error)}")
        if (failed or summary.gates_error) and summary.run_page:
            out.append(f"  gates on the run page: {p(summary.run_page)}#gates")
    if summary.registry_error:
        out.append(f"registry: {_paint('not registered', colour)}: {p(summary.registry_error)}")
    elif summary.registry_decision:
        out.append(f"registry: {p(summary.registry_decision)}")
    if summary.monitoring_verdict:
        text = f"monitoring: {_paint(summary.monitoring_verdict, colour)}"
        if summary.monitoring_summary:
            text += f" - {p(summary.monitoring_summary)}"
        out.append(text)
    if summary.failure:
        out.append(f"{_paint('failed', colour) if summary.status == 'failed' else 'stopped'}: "
                   f"{p(summary.failure)}")
    if summary.problem_page:
        out.append(f"{summary.problem_label}: {p(summary.problem_page)}")
    out.append(f"run page: {p(summary.run_page)}" if summary.run_page
               else p(pages_missing(summary.run_id)))
    return "\n".join(out) + "\n"


def _md(text: Any) -> str:
    """Escape text for a Markdown table cell (pipes, newlines, HTML)."""
    value = printable(str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " "))
    return value.replace("<", "&lt;").replace(">", "&gt;")


def summary_markdown(summary: BuildSummary) -> str:
    """The summary as GitHub-flavoured Markdown (CI job summaries, PR comments)."""
    icon = {"succeeded": "✅", "failed": "❌", "gated": "⛔", "interrupted": "⚠️"}.get(
        summary.status, "•")
    if summary.monitoring_verdict in ("warn", "alert") and summary.status == "succeeded":
        icon = "🚨" if summary.monitoring_verdict == "alert" else "⚠️"
    if summary.not_registered:
        icon = "❌"
    out = [f"### {icon} nbops run `{summary.run_id}`: {_md(summary.verdict)}", "",
           f"Experiment **{_md(summary.experiment)}** · {_duration(summary.duration_s)} · "
           f"{summary.executed} executed, {summary.reused} reused", ""]
    if summary.metrics:
        prev = f"vs previous `{summary.previous_run}`" if summary.previous_run else "vs previous"
        champ = f"vs champion {_md(summary.champion_label)}" if summary.champion_label \
            else "vs champion"
        out += [f"| metric | value | {prev} | {champ} |", "|---|---:|---:|---:|"]
        out += [f"| {_md(m.name)} | {fmt(m.value)} | {fmt_delta(m.vs_previous)} | "
                f"{fmt_delta(m.vs_champion)} |" for m in summary.metrics]
        out.append("")
    if summary.gates_verdict:
        out += [f"**Quality gates: {_md(summary.gates_verdict)}**", ""]
        if summary.gates:
            out += ["| gate | verdict | detail |", "|---|---|---|"]
            out += [f"| {_md(g.name)} | {_md(g.verdict)} | {_md(g.detail)} |"
                    for g in summary.gates]
            out.append("")
        if summary.gates_error:
            out += [_md(summary.gates_error), ""]
    if summary.registry_error:
        out += [f"**Registry:** not registered: {_md(summary.registry_error)}", ""]
    elif summary.registry_decision:
        out += [f"**Registry:** {_md(summary.registry_decision)}", ""]
    if summary.monitoring_verdict:
        out += [f"**Monitoring: {_md(summary.monitoring_verdict)}**"
                + (f" — {_md(summary.monitoring_summary)}" if summary.monitoring_summary
                   else ""), ""]
    if summary.failure:
        out += [f"**Failure:** {_md(summary.failure)}", ""]
    if summary.problem_page:
        out += [f"{summary.problem_label.capitalize()}: `{summary.problem_page}`", ""]
    out.append(f"Run page: `{summary.run_page}`" if summary.run_page
               else _md(pages_missing(summary.run_id)))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- the build's last words

_AT_EXIT: set[str] = set()
_BUILD_ERRORS: dict[str, str] = {}


def add_build_error(run_id: str, message: str) -> None:
    """The sentence that failed ``run_id``'s build (a post-close step's error), for its
    summary written at exit: shown there unless the summary already says it."""
    _BUILD_ERRORS[run_id] = message


def with_build_error(text: str, message: str | None) -> str:
    """``text`` (a summary) with ``build failed: MESSAGE`` before its last line, unless
    the summary already holds the sentence."""
    if not message or message.strip() in text:
        return text
    lines = text.rstrip("\n").split("\n")
    return "\n".join([*lines[:-1], f"build failed: {message.strip()}", lines[-1]]) + "\n"


def verdict_at_exit(run_id: str) -> bool:
    """Whether this process will write ``run_id``'s summary when it exits (see
    :func:`emit_summary`): the build's verdict block, which a failing build ends with."""
    return run_id in _AT_EXIT


def summary_at_exit() -> bool:
    """Whether a build's summary is written when the process exits (under ``ploomber``,
    unless ``NBOPS_SUMMARY=0``): then it is the build's verdict block."""
    from nbops.adapters import under_ploomber_cli

    return os.environ.get("NBOPS_SUMMARY", "1") != "0" and under_ploomber_cli()


def emit_summary(run_dir: Path, *, stream: TextIO | None = None,
                 manifest: Manifest | None = None,
                 rendered: bool = True) -> BuildSummary | None:
    """Write the summary of the run in ``run_dir`` for the person who started the build.

    Under the ``ploomber`` command it is written when the process exits (after
    Ploomber's task table or error); elsewhere (tests, notebooks driving a DAG)
    right away. ``NBOPS_SUMMARY=0`` turns it off. Never raises: the run is recorded.
    ``manifest``: the run as the build holds it (still ``closing`` on disk while the
    post-close steps run, with the outcome it is about to close with). ``rendered=False``:
    the run's pages could not be rendered, so no page path is printed (none exists).
    """
    import logging

    from nbops.reports._ledger_view import list_summaries, load_manifest

    if os.environ.get("NBOPS_SUMMARY", "1") == "0":
        return None
    try:
        run_dir = Path(run_dir)
        summary = build_summary(manifest or load_manifest(run_dir), run_dir,
                                list_summaries(run_dir.parent.parent))
        if not rendered:
            summary.run_page, summary.problem_page = "", None
    except Exception as exc:  # the summary is a courtesy; the run is already recorded
        logging.getLogger("nbops").warning("nbops: no build summary (%s: %s)",
                                           type(exc).__name__, exc)
        return None

    def write() -> None:
        out = stream or sys.stderr
        try:
            out.write("\n" + with_build_error(summary_text(summary, colour=use_colour(out)),
                                              _BUILD_ERRORS.get(summary.run_id)))
            out.flush()
        except (OSError, ValueError):  # closed stream at exit
            pass

    if stream is None and summary_at_exit():
        atexit.register(write)
        _AT_EXIT.add(summary.run_id)
    else:
        write()
    return summary
