# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Monitor
#
# Compare a new batch of customers with what the champion model was trained on:
# per-feature drift (PSI, Kolmogorov–Smirnov, missing rates, unseen
# categories), drift of the champion's scores, and — when the batch has labels —
# its live ROC AUC against its reference. The verdict is `ok`, `warn` or
# `alert`; the thresholds live under `monitoring:` in `env.monitor.yaml`.

# %% tags=["parameters"]
upstream = None
product = None
champion = "churn@champion"
batch_path = None
batch_log = None
batch_month = 12
batch_rows = 5000
batch_seed = 7
batch_shift = None
batch_concept = 0.0
target = "churn"
thresholds = {}
fail_on = None
retrain = False
retrain_data = None

# %%
# %matplotlib inline
import html
from pathlib import Path

from IPython.display import HTML, display

import nbops
from churn.batches import load_batch
from nbops.core import DataError, of_version
from nbops.monitoring import (
    PLOT_COLORS,
    Champion,
    Thresholds,
    drift_overview,
    monitor,
    report_metrics,
    scores_and_performance,
    top_feature_distributions,
    unreadable_report,
    write_report,
)
from nbops.registry import find_root, get_version, parse_ref
from nbops.validation import clean_raw

settings = Thresholds.from_mapping(thresholds)
record = get_version(champion)
champ = Champion.from_record(
    find_root(), parse_ref(champion).name, record, nbops.load_model(champion)
)
profile = champ.profile(settings)

# The raw batch is cleaned as the champion's training data was (its registered
# input preparation: blanks missing, text to numbers, labels to 0/1).
preparation = of_version(record)
try:
    if batch_log not in (None, "", "None", "null"):  # traffic logged by nbops serve-model
        from nbops.serving import log_dir, logged_batch, parse_window

        frame, info = logged_batch(
            log_dir(find_root(), champ.name), parse_window(str(batch_log)), target
        )
        if frame.empty:
            raise DataError(f"the prediction log of {champ.name} has no rows in {batch_log}",
                            "check that nbops serve-model logs, or widen batch.log")
    else:
        batch = load_batch(
            batch_path, month=batch_month, rows=batch_rows, seed=batch_seed,
            shift=batch_shift, concept=batch_concept, target=target,
        )
        frame, info = clean_raw(batch.frame, preparation), batch.info
    report = monitor(champ, frame, settings, info, profile)
except DataError as exc:  # an unreadable batch is a finding, not a crash
    import pandas as pd

    frame = pd.DataFrame()
    report = unreadable_report(str(exc), settings, {"source": str(batch_log or batch_path)})

document = write_report(report, product["monitor_report"])
Path(product["batch"]).parent.mkdir(parents=True, exist_ok=True)
try:
    frame.to_parquet(product["batch"], index=False)
except (ValueError, TypeError, ArithmeticError):  # mixed-type columns of a bad batch
    frame.astype("string").to_parquet(product["batch"], index=False)
nbops.log_metrics(report_metrics(document))

# %% [markdown]
# ## Verdict

# %%
colour = PLOT_COLORS[report.verdict]
display(HTML(
    f'<div style="padding:10px;border-left:8px solid {colour};background:#f6f6f6;'
    f'font-size:15px"><b>{report.verdict.upper()}</b> — '
    f'{html.escape(report.summary)}<br><small>champion {champ.label}, '
    f'{report.rows:,} rows, {report.tests} tests sharing alpha={settings.alpha:g}</small></div>'
))
# What happens next is decided after the run closes (nbops.monitoring._after_run).
print(f"fail the build at: {fail_on or 'never'}; retrain on alert: {retrain} "
      f"(data: {retrain_data or 'this batch'})")

# %%
if report.features or report.prediction:
    display(drift_overview(document))

# %%
figure = top_feature_distributions(document, profile, frame)
if figure is not None:
    display(figure)

# %%
scored = champ.score(frame) if report.prediction is not None else None
figure = scores_and_performance(document, profile, scored)
if figure is not None:
    display(figure)

# %% [markdown]
# ## Every check

# %%
import pandas as pd

table = pd.DataFrame(
    [
        {
            "feature": name, "status": d["status"], "PSI": d["psi"], "KS": d["ks"],
            "missing (ref → batch)": f"{d['missing_reference']:.1%} → {d['missing_current']:.1%}",
            "unseen": f"{d['unseen_share']:.1%}" if d["kind"] == "categorical" else "",
            "why": "; ".join(d["reasons"]),
        }
        for name, d in document["features"].items()
    ]
)
table.set_index("feature") if len(table) else "no feature could be checked"
