# %% [markdown]
# # 4 · Evaluate
#
# Score the held-out rows and log the metrics with nbops: they land in the
# run's manifest, on the report site and in the quality gates (env.yaml).

# %% tags=["parameters"]
upstream = ["train"]
product = None
target = "malignant"
threshold = 0.5

# %%
import json

import pandas as pd
import skops.io as sio
from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, roc_auc_score

import nbops

test = pd.read_parquet(upstream["train"]["test"])
path = upstream["train"]["model"]
model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
features = [c for c in test.columns if c != target]
scores = model.predict_proba(test[features])[:, 1]
metrics = {
    "roc_auc": roc_auc_score(test[target], scores),
    "pr_auc": average_precision_score(test[target], scores),
    "f1": f1_score(test[target], scores >= threshold),
    "brier": brier_score_loss(test[target], scores),
}
nbops.log_metrics(metrics)
with open(product["metrics"], "w") as handle:
    json.dump(metrics, handle, indent=2)

# %% [markdown]
# The numbers of the model card (docs/model-cards.md): bootstrap intervals, calibration,
# permutation importance; pass `slices=[...]` to add metrics by group.

# %%
from nbops.cards import evaluate_for_card, write_evaluation

card = evaluate_for_card(model, test, target=target, features=features, proba=scores,
                         threshold=threshold)
write_evaluation(product["card_evaluation"], card)

# %%
pd.Series(metrics).to_frame("value")
