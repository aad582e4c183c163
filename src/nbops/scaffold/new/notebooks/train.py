# %% [markdown]
# # 3 · Train
#
# A stratified train/test split, then a scikit-learn Pipeline (scaling +
# logistic regression) saved with skops. nbops' registry re-scores it on the
# test rows, gates it and registers it when every gate passes.

# %% tags=["parameters"]
upstream = ["validate"]
product = None
target = "malignant"
seed = 42
test_fraction = 0.3
C = 1.0

# %%
import pandas as pd
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nbops.validation import FeatureSchema, FeatureSpec, write_feature_schema

clean = pd.read_parquet(upstream["validate"]["data"])
train, test = train_test_split(clean, test_size=test_fraction, random_state=seed,
                               stratify=clean[target])
features = [c for c in clean.columns if c != target]
model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
model.fit(train[features], train[target])

train.to_parquet(product["train"], index=False)
test.to_parquet(product["test"], index=False)
write_feature_schema(product["feature_schema"], FeatureSchema(
    target=target, features=tuple(FeatureSpec(name, "float") for name in features)))
sio.dump(model, product["model"])
print(f"trained on {len(train)} rows, {len(features)} features; {len(test)} rows held out")
