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
# # 5 · Evaluate
#
# Score the held-out test set with the model and the baseline: ROC AUC, PR
# AUC, F1, Brier score, the curves, and a plain verdict. Then measure what the
# model card reports (docs/model-cards.md): bootstrap intervals, metrics by
# slice, calibration and permutation importance, into `card_evaluation.json`.

# %% tags=["parameters"]
upstream = ["features", "train"]
product = None
threshold = 0.5
seed = 42
slices = []  # test-set columns to report metrics by (card.slices in env.yaml)
resamples = 200  # bootstrap resamples for the card's confidence intervals

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import display

import nbops
from churn import evaluate, models
from churn.deterministic import fixed_threads
from nbops.cards import evaluate_for_card, write_evaluation
from nbops.validation import read_feature_schema

feature_schema = read_feature_schema(upstream["features"]["feature_schema"])
test = pd.read_parquet(upstream["features"]["test"])
model = models.load(upstream["train"]["model"])
baseline = models.load(upstream["train"]["baseline"])
y = test[feature_schema.target].to_numpy()
with fixed_threads(models.TRAIN_THREADS):
    proba = model.predict_proba(test[feature_schema.names])[:, 1]
    baseline_proba = baseline.predict_proba(test[feature_schema.names])[:, 1]
scores = evaluate.metrics(y, proba, threshold)
baseline_scores = evaluate.metrics(y, baseline_proba, threshold)
verdict = evaluate.verdict(scores, baseline_scores)
evaluate.write_metrics(product["metrics"], scores, baseline_scores, verdict, threshold, len(test))
evaluate.predictions(
    test, feature_schema.target, proba, baseline_proba, list(feature_schema.id_columns), threshold
).to_parquet(product["predictions"], index=False)
nbops.log_metrics(
    {**scores, **{f"baseline_{name}": value for name, value in baseline_scores.items()}}
)

# %% [markdown]
# ## Model card numbers

# %%
card_columns = [feature_schema.target] + [c for c in [feature_schema.date_column] if c]
train_facts = pd.read_parquet(upstream["features"]["train"], columns=card_columns)
with fixed_threads(models.TRAIN_THREADS):
    card = evaluate_for_card(
        model, test, target=feature_schema.target, features=list(feature_schema.names),
        proba=proba, threshold=threshold, slices=list(slices or []), train=train_facts,
        date_column=feature_schema.date_column, seed=seed, resamples=resamples,
    )
write_evaluation(product["card_evaluation"], card)
nbops.log_metrics(card["gate_metrics"])  # worst_slice_roc_auc, slice_gap_roc_auc ... for gates
pd.DataFrame(card["metrics"]).T.style.format("{:.3f}", na_rep="-")

# %% [markdown]
# ## Verdict

# %%
print(verdict)
pd.DataFrame({"model": scores, "baseline": baseline_scores}).T.style.format("{:.3f}")

# %%
curves = {"model": proba, "baseline": baseline_proba}
for figure in (
    evaluate.plot_roc(y, curves),
    evaluate.plot_pr(y, curves),
    evaluate.plot_calibration(y, curves),
    evaluate.plot_confusion(y, proba, threshold),
):
    display(figure)
