"""A page per registered model version, from the registry file and the run index."""

from __future__ import annotations

import json

from reports_fixture import HASH, XSS_SCRIPT, make_run, run_id_at

from nbops.reports._render import render_site

REGISTRY = {
    "schema_version": 1,
    "models": {"churn": {
        "created_at": "2026-01-01T00:01:00Z",
        "aliases": {"champion": 2},
        "history": [
            {"alias": "champion", "from": None, "to": 1, "at": "2026-01-01T00:01:00Z",
             "reason": "first version", "by": {"run_id": run_id_at(1), "command": ["x"],
                                               "user": "u"}, "action": "promote"},
            {"alias": "champion", "from": 1, "to": 2, "at": "2026-01-01T00:02:00Z",
             "reason": f"beats v1 {XSS_SCRIPT}", "by": {"run_id": run_id_at(2), "command": ["x"],
                                                       "user": "u"}, "action": "promote"}],
        "versions": [
            {"version": v, "run_id": run_id_at(v), "registered_by_run": run_id_at(v),
             "registered_at": f"2026-01-01T00:0{v}:00Z",
             "artifact": {"hash": HASH, "size": 2048, "format": "skops",
                          "path": ".nbops/products/model.skops", "trusted_types": []},
             "metrics": {"roc_auc": 0.8 + v / 100 + 0.001234},
             "training_data": {"hash": HASH, "size": 10_000_000,
                               "path": ".nbops/products/train.parquet"},
             "test_data": {"hash": HASH, "size": 2_000, "path": ".nbops/products/test.parquet"},
             "feature_schema": {"schema_version": 1, "target": "churn",
                                "features": [{"name": "tenure", "dtype": "float"}]},
             "feature_schema_hash": HASH, "git_commit": "abc", "gates": "passed"}
            for v in (1, 2)]}},
}


def test_each_registered_version_has_its_page(tmp_path):
    reports = tmp_path / "reports"
    for index in (1, 2):
        make_run(reports, run_id_at(index), extra={"registry": {
            "model": "churn", "version": index, "promoted": True}})
    make_run(reports, run_id_at(3), metrics={"monitor_verdict": 2.0}, extra={"monitoring": {
        "verdict": "alert", "champion": {"model": "churn", "version": 2}}})
    registry_file = tmp_path / ".nbops" / "registry" / "models.json"
    registry_file.parent.mkdir(parents=True)
    registry_file.write_text(json.dumps(REGISTRY))
    site = render_site(reports).read_text("utf-8")
    assert '<a href="models/churn-v2.html">churn:2</a></td><td>@champion</td>' in site
    page = (reports / "models" / "churn-v2.html").read_text("utf-8")
    assert ">0.8212<" in page  # metrics rounded
    assert ".nbops/products/train.parquet" in page and "9.5 MiB" in page
    history = page.split('id="model-history"')[1].split("</table>")[0]
    assert "1 → 2" in history and XSS_SCRIPT not in page and "&lt;script&gt;" in history
    runs = page.split('id="model-runs"')[1].split("</table>")[0]
    assert run_id_at(2) in runs and run_id_at(3) in runs and "monitoring alert" in runs
    assert run_id_at(1) not in runs
    assert "Input features: tenure" in page
