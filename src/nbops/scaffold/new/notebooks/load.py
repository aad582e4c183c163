# %% [markdown]
# # 1 · Load
#
# scikit-learn's bundled breast cancer dataset (569 rows, 30 numeric
# features), so the project builds with no download. Replace this step with
# your own data: the steps after it only need a table with the target column.

# %% tags=["parameters"]
upstream = None
product = None
target = "malignant"

# %%
import pandas as pd
from sklearn.datasets import load_breast_cancer

bunch = load_breast_cancer(as_frame=True)
raw = bunch.frame.rename(columns=lambda c: c.replace(" ", "_"))
# scikit-learn codes benign as 1; the positive class here is the malignant one
raw[target] = 1 - raw.pop("target")
raw.to_parquet(product["data"], index=False)

# %%
pd.DataFrame({"rows": [len(raw)], "features": [raw.shape[1] - 1],
              "positive rate": [raw[target].mean()]})
