"""The reproduction record (schema-validated) and its HTML (escaped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbops.core._errors import IntegrityError, LedgerError
from nbops.core._project import Project
from nbops.reports._reproduction_page import report_html, reproductions_section, verdict_sentence
from nbops.reproduce._compare import Check, TaskResult
from nbops.reproduce._declaration import Tolerance
from nbops.reproduce._environment import Difference, EnvironmentReport, LockStatus
from nbops.reproduce._reproduction_record import Reproduction, read_record, summary, write_record

EVIL = '<script>alert("x")</script>'
RUN = "20261124T034105879591Z-n6dhvl"
REPRO = "20261124T045105879591Z-abcdef"


def reproduction(verdict: str = "diverged") -> Reproduction:
    bad = TaskResult(
        EVIL,
        "diverged",
        f"metric {EVIL} was 1.0, reproduction nan",
        None,
        [Check(f"metric:{EVIL}", False, 1.0, float("nan"), f"metric {EVIL}", acceptable=False)],
    )
    ok = TaskResult(
        "train",
        "within-tolerance",
        "within",
        Tolerance(0.01, {"auc": 0.1}),
        [Check("metric:auc", False, 0.8, 0.81, "d", tolerance=0.1)],
    )
    first = bad if verdict == "diverged" else None
    return Reproduction(
        id=REPRO,
        run_id=RUN,
        started_at="2026-11-24T04:51:05.879591Z",
        finished_at="2026-11-24T04:52:05.879591Z",
        duration_s=60.0,
        verdict=verdict,
        first_diverged=first,
        tasks=[ok, bad],
        environment=EnvironmentReport(
            [Difference("package", EVIL, "1", None)], LockStatus("blake3:" + "a" * 64, None, None)
        ),
        code={
            "commit": "c" * 40,
            "branch": "main",
            "diff_applied": False,
            "diff_hash": None,
            "untracked": [],
        },
        parameters={"overrides": [f"x={EVIL}"], "secrets": [], "unknown": []},
        inputs={"restored": {}, "in_place": [], "redirect": {}, "unverifiable": []},
        build={
            "argv": ["ploomber", "build"],
            "exit_code": 1,
            "duration_s": 50.0,
            "status": "failed",
            "log_tail": EVIL,
        },
        warnings=[EVIL],
        nbops_version="0.1.0",
    )


def test_record_round_trips_through_its_schema(tmp_path: Path) -> None:
    project = Project(tmp_path)
    data = reproduction().to_dict()
    assert data["tasks"][1]["checks"][0]["reproduced"] == "nan"  # JSON has no NaN
    path = write_record(project, data)
    assert path == tmp_path / "reports/runs" / RUN / "reproductions" / f"{REPRO}.json"
    assert read_record(path) == json.loads(path.read_text())
    assert summary(data)["first_diverged"] == {
        "task": EVIL,
        "reason": data["first_diverged"]["reason"],
    }


def test_invalid_records_are_neither_written_nor_read(tmp_path: Path) -> None:
    data = reproduction().to_dict()
    with pytest.raises(LedgerError, match="invalid reproduction record"):
        write_record(Project(tmp_path), {**data, "verdict": "maybe"})
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**data, "verdict": "maybe"}))
    with pytest.raises(IntegrityError, match="does not match its schema"):
        read_record(path)
    path.write_text(json.dumps({**data, "schema_version": 2}))  # a later nbops wrote it
    with pytest.raises(IntegrityError, match="has schema_version 2, newer than the reproduction "
                                             "version 1 this nbops reads. Fix: upgrade nbops"):
        read_record(path)


def test_every_user_string_is_escaped_in_the_report() -> None:
    data = reproduction().to_dict()
    page = report_html(data).replace("&#34;", "&quot;")  # Jinja2's spelling of a quote
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 5
    assert 'href="../index.html"' in page
    section = reproductions_section({"items": [summary(data)]})
    assert "<script>alert" not in section and f'href="reproductions/{REPRO}.html"' in section
    assert reproductions_section(None) == "" and reproductions_section({"items": []}) == ""


def test_verdict_sentences() -> None:
    assert verdict_sentence(reproduction().to_dict()).startswith(f"Diverged at task {EVIL}")
    within = reproduction("within-tolerance").to_dict()
    assert verdict_sentence(within).startswith("Reproduced within tolerance: train differed")
