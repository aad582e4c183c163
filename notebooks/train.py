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
# # 4 · Train
#
# A seeded `HistGradientBoostingClassifier` and a logistic-regression
# baseline, each a scikit-learn `Pipeline` that includes its preprocessing,
# saved with `skops`.

# %% tags=["parameters"]
upstream = ["features"]
product = None
seed = 42
learning_rate = 0.05
max_iter = 100
max_depth = 3
label_shuffle_fraction = 0.0

# %%
import pandas as pd

from churn import evaluate, models
from churn.deterministic import fixed_threads
from nbops.validation import read_feature_schema

feature_schema = read_feature_schema(upstream["features"]["feature_schema"])
train = pd.read_parquet(upstream["features"]["train"])
X = train[feature_schema.names]
y = models.shuffle_labels(train[feature_schema.target], label_shuffle_fraction, seed)

# A fixed thread count: OpenMP sums in a thread-dependent order, so results
# would otherwise depend on the machine's core count.
with fixed_threads(models.TRAIN_THREADS):
    model = models.make_model(
        feature_schema.numeric,
        feature_schema.categorical,
        seed=seed,
        learning_rate=learning_rate,
        max_iter=max_iter,
        max_depth=max_depth,
    ).fit(X, y)
    baseline = models.make_baseline(
        feature_schema.numeric, feature_schema.categorical, seed=seed
    ).fit(X, y)
for trained, path in ((model, product["model"]), (baseline, product["baseline"])):
    models.save(trained, path)

# %%
# The learning curve: training log loss as trees are added (no refit), drawn on the run page
import nbops

with fixed_threads(models.TRAIN_THREADS):
    for iteration, loss in models.training_curve(model, X, y):
        nbops.log_metric("train_log_loss", loss, step=iteration)

# %%
if label_shuffle_fraction:
    print(f"WARNING: {label_shuffle_fraction:.0%} of the training labels were shuffled.")
pd.DataFrame(
    {
        name: evaluate.metrics(y, m.predict_proba(X)[:, 1])
        for name, m in (("model", model), ("baseline", baseline))
    }
).T.style.format("{:.3f}").set_caption("Training-set metrics (optimistic; see evaluate)")

# %%
models.view(model)  # scikit-learn's diagram, or its text for very wide data
