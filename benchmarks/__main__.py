"""``make bench``: every benchmark module, one table.

Runs each ``benchmarks/<topic>_bench.py`` module's ``run()`` (see README.md in
this folder for the protocol), prints one table and writes it to
``benchmarks/results/summary.md`` and ``summary.json``.

    python -m benchmarks                 # everything (≈10–15 min on an idle 2-core machine)
    python -m benchmarks --quick         # one repetition, smaller cases
    python -m benchmarks --only engine,ledger
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: Columns every row may fill; anything else a row carries goes to "notes".
COLUMNS = ("name", "seconds", "min_s", "max_s", "peak_mb", "ratio_to_baseline",
           "target_seconds", "ratio_to_target", "what")
QUIET = {"median_s", "n", "failed", "target_ratio"}


def discover() -> list[str]:
    """Benchmark module names, engine first (it has the headline figures)."""
    names = sorted(p.stem for p in HERE.glob("*_bench.py"))
    return sorted(names, key=lambda n: (n != "engine_bench", n))


def run_module(name: str, quick: bool) -> tuple[list[dict[str, Any]], str | None]:
    """Import ``benchmarks.<name>`` and call its ``run()``; returns rows and an error."""
    module = importlib.import_module(f"benchmarks.{name}")
    kwargs: dict[str, Any] = {}
    if "full" in inspect.signature(module.run).parameters:
        kwargs["full"] = not quick
    try:
        rows = list(module.run(**kwargs))
    except Exception:  # one broken module must not hide the others' figures
        return [], traceback.format_exc()
    for row in rows:
        row.setdefault("module", name)
    return rows, None


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: the common columns, then everything else as notes."""
    header = ["benchmark", "median s", "min–max s", "peak MB", "ratio", "target", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        spread = (f"{row['min_s']:.2f}–{row['max_s']:.2f}"
                  if "min_s" in row and "max_s" in row else "")
        ratio = row.get("ratio_to_baseline", row.get("ratio_to_target", ""))
        target = row.get("target_seconds", row.get("target_ratio", row.get("target_extra_s", "")))
        notes = "; ".join(f"{k}={v}" for k, v in row.items()
                          if k not in COLUMNS and k not in QUIET and k != "module")
        what = row.get("what", "")
        lines.append("| " + " | ".join(str(c) for c in [
            f"**{row['name']}** {what}", _fmt(row.get("seconds")), spread,
            _fmt(row.get("peak_mb")), _fmt(ratio), _fmt(target), notes]) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="one repetition, smaller cases")
    parser.add_argument("--only", default="", help="comma-separated topics (engine,ledger,…)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")
    wanted = {f"{t.strip()}_bench" for t in args.only.split(",") if t.strip()}
    modules = [m for m in discover() if not wanted or m in wanted]
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for name in modules:
        print(f"== {name}", file=sys.stderr)  # noqa: T201 - progress of a long command
        module_rows, error = run_module(name, args.quick)
        rows += module_rows
        if error:
            errors[name] = error
            print(error, file=sys.stderr)  # noqa: T201
    context = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "total_seconds": round(time.perf_counter() - started, 1),
        "quick": args.quick,
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average_1m": [round(load_before, 2),
                                                    round(os.getloadavg()[0], 2)],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "summary.json").write_text(
        json.dumps({"context": context, "rows": rows, "errors": errors}, indent=1) + "\n")
    text = (f"# nbops benchmarks\n\n{json.dumps(context)}\n\n{table(rows)}\n"
            + "".join(f"\n**{n} failed:**\n```\n{e}```\n" for n, e in errors.items()))
    (RESULTS / "summary.md").write_text(text)
    print(text)  # noqa: T201 - the table is the command's output
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
