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
# # 3 · Features
#
# Split train/test (by time when the data has a date column: train on
# earlier months, test on later ones; stratified otherwise) and describe the
# model's inputs in `feature_schema.json`, which the registry and monitoring
# use to check new batches. The preprocessing itself (imputation, scaling,
# one-hot encoding) is a scikit-learn `ColumnTransformer` inside each model.

# %% tags=["parameters"]
upstream = ["validate"]
product = None
target = "churn"
seed = 42
test_fraction = 0.25

# %%
import pandas as pd

from churn import data, features
from nbops.validation import write_feature_schema

clean = pd.read_parquet(upstream["validate"]["data"])
roles, _ = data.infer_roles(clean, target)
parts = features.split(clean, target, roles.date_column, test_fraction, seed)
feature_schema = features.feature_schema(parts.train, roles)
write_feature_schema(product["feature_schema"], feature_schema)
parts.train.to_parquet(product["train"], index=False)
parts.test.to_parquet(product["test"], index=False)
print(parts.how)

# %%
pd.DataFrame(
    {
        "rows": [len(parts.train), len(parts.test)],
        "churn rate": [parts.train[target].mean(), parts.test[target].mean()],
    },
    index=["train", "test"],
).style.format({"churn rate": "{:.1%}"})

# %%
pd.DataFrame(
    [
        {
            "feature": f.name,
            "dtype": f.dtype,
            "categories": ", ".join(f.categories or ()) if f.categories else "",
        }
        for f in feature_schema.features
    ]
).set_index("feature")

# %%
preprocessor = features.build_preprocessor(feature_schema.numeric, feature_schema.categorical)
encoded = preprocessor.fit_transform(parts.train[feature_schema.names])
print(f"{len(feature_schema.names)} input columns become {encoded.shape[1]} model features.")
