"""Mutation testing of the modules where nbops decides or protects (``make mutate``).

Runs mutmut (configured under ``[tool.mutmut]`` in pyproject.toml: which modules,
which fast tests) and writes the kill rate per module and every surviving mutant to
``benchmarks/results/mutation.md`` and ``mutation.json``.

Two adjustments make mutmut see this project's code:

* the environment's start-up hooks (``nbops_*.pth``) import ``nbops`` before mutmut
  has put its mutated copy first on ``sys.path``; the copy would never be tested.
  ``nbops`` modules are dropped from ``sys.modules`` right after mutmut sets its paths.
* tests start child processes (the fork server, kernels, the CLI); ``PYTHONPATH``
  points them at the mutated copy too, and they inherit the active mutant's name.

Usage::

    python -m benchmarks.mutation            # run, then report
    python -m benchmarks.mutation --report   # report on the last run only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MUTANTS = ROOT / "mutants"

#: Surviving mutants that change no behaviour, with the reason (see docs/testing.md).
#: Keys are mutmut's mutant names; they are re-checked on every run (a listed mutant
#: that is killed or gone is reported as stale).
EQUIVALENT: dict[str, str] = {}

KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def config() -> dict:
    """The ``[tool.mutmut]`` table of pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]


def _entry() -> None:
    """Run mutmut's command line in this process, with the two adjustments above."""
    from mutmut import __main__ as mutmut_main

    original = mutmut_main.setup_source_paths

    def setup_source_paths() -> None:
        original()
        for name in [n for n in sys.modules if n == "nbops" or n.startswith("nbops.")]:
            del sys.modules[name]
        mutated = str(MUTANTS / "src")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (mutated, os.environ.get("PYTHONPATH")) if p)

    mutmut_main.setup_source_paths = setup_source_paths
    mutmut_main.cli(sys.argv[2:], prog_name="mutmut")


def run(children: int) -> float:
    """Run mutmut from scratch; returns the wall time in seconds."""
    started = time.monotonic()
    if MUTANTS.exists():
        import shutil

        shutil.rmtree(MUTANTS)
    command = [sys.executable, "-m", "benchmarks.mutation", "--mutmut", "run",
               "--max-children", str(children)]
    code = subprocess.call(command, cwd=ROOT)
    if code not in (0,):
        print(f"mutmut exited with code {code}", file=sys.stderr)
    return time.monotonic() - started


def _status(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def _diff(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return get_diff_for_mutant(name)
    except Exception as exc:  # noqa: BLE001 - a report line, not a failure
        return f"(no diff: {exc})"
    finally:
        os.chdir(cwd)


def collect() -> dict:
    """Per-module counts and the surviving mutants of the last run."""
    modules: dict[str, dict] = {}
    survivors: list[dict] = []
    for pattern in config()["only_mutate"]:
        meta = MUTANTS / (pattern + ".meta")
        module = pattern.removeprefix("src/").removesuffix(".py").replace("/", ".")
        if not meta.is_file():
            modules[module] = {"error": "not mutated (no results)"}
            continue
        data = json.loads(meta.read_text("utf-8"))
        statuses = {name: _status(code) for name, code in data["exit_code_by_key"].items()}
        counts = Counter(statuses.values())
        equivalent = sorted(n for n, s in statuses.items() if s == "survived" and n in EQUIVALENT)
        killed = sum(counts[s] for s in KILLED)
        total = len(statuses)
        counted = total - len(equivalent)
        modules[module] = {
            "mutants": total,
            "killed": killed,
            "survived": counts["survived"] - len(equivalent),
            "equivalent": len(equivalent),
            "no_tests": counts["no tests"],
            "other": {s: c for s, c in counts.items()
                      if s not in KILLED | {"survived", "no tests"}},
            "kill_rate": round(100 * killed / counted, 1) if counted else None,
        }
        for name, status in sorted(statuses.items()):
            if status in ("survived", "no tests"):
                survivors.append({"module": module, "mutant": name, "status": status,
                                  "equivalent": EQUIVALENT.get(name), "diff": _diff(name)})
    total = sum(m.get("mutants", 0) for m in modules.values())
    killed = sum(m.get("killed", 0) for m in modules.values())
    equivalent = sum(m.get("equivalent", 0) for m in modules.values())
    stale = sorted(set(EQUIVALENT) - {s["mutant"] for s in survivors})
    return {"modules": modules, "survivors": survivors, "total": total, "killed": killed,
            "equivalent": equivalent,
            "kill_rate": round(100 * killed / (total - equivalent), 1) if total else None,
            "raw_kill_rate": round(100 * killed / total, 1) if total else None,
            "stale_equivalents": stale}


def write(result: dict, wall_s: float | None, children: int) -> None:
    """benchmarks/results/mutation.md and mutation.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    cfg = config()
    result = {**result, "wall_s": None if wall_s is None else round(wall_s, 1),
              "children": children, "cpus": os.cpu_count(),
              "tests": cfg["pytest_add_cli_args_test_selection"]}
    (RESULTS / "mutation.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    lines = [
        "# Mutation testing",
        "",
        "Produced by `make mutate` (mutmut, configured under `[tool.mutmut]` in pyproject.toml;",
        "see docs/testing.md). Killed = a test failed (or timed out) with the mutant in place.",
        "The kill rate leaves out the survivors listed as equivalent (no behaviour change).",
        "",
        f"Overall: **{result['kill_rate']} %** killed ({result['killed']} of "
        f"{result['total']} mutants, {result['equivalent']} equivalent; "
        f"{result['raw_kill_rate']} % counting them).",
    ]
    if wall_s is not None:
        lines.append(f"Wall time: {wall_s / 60:.1f} min with {children} workers on "
                     f"{os.cpu_count()} CPUs.")
    lines += ["", "| module | mutants | killed | survived | equivalent | no tests | kill rate |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for module, m in result["modules"].items():
        if "error" in m:
            lines.append(f"| {module} | {m['error']} | | | | | |")
            continue
        lines.append(f"| {module} | {m['mutants']} | {m['killed']} | {m['survived']} | "
                     f"{m['equivalent']} | {m['no_tests']} | {m['kill_rate']} % |")
    equivalent = [s for s in result["survivors"] if s["equivalent"]]
    live = [s for s in result["survivors"] if not s["equivalent"]]
    lines += ["", f"## Equivalent survivors ({len(equivalent)})", ""]
    for s in equivalent:
        lines += [f"- `{s['mutant']}`: {s['equivalent']}"]
    lines += ["", f"## Other survivors ({len(live)})", ""]
    for s in live:
        lines += [f"### `{s['mutant']}` ({s['status']})", "", "```diff", s["diff"], "```", ""]
    if result["stale_equivalents"]:
        lines += ["", "Listed as equivalent but no longer surviving: "
                  + ", ".join(f"`{n}`" for n in result["stale_equivalents"])]
    (RESULTS / "mutation.md").write_text("\n".join(lines) + "\n", "utf-8")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--mutmut":
        _entry()
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation")
    parser.add_argument("--report", action="store_true", help="only report on the last run")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    previous = RESULTS / "mutation.json"
    wall = None
    if not args.report:
        wall = run(args.children)
    elif previous.is_file():
        wall = json.loads(previous.read_text("utf-8")).get("wall_s")
    result = collect()
    write(result, wall, args.children)
    print(f"mutation: {result['kill_rate']} % killed ({result['killed']}/{result['total']}, "
          f"{result['equivalent']} equivalent); see benchmarks/results/mutation.md")
    for module, m in result["modules"].items():
        print(f"  {module}: {m.get('kill_rate')} % of {m.get('mutants')}")


if __name__ == "__main__":
    main()
