# %% [markdown]
# # 1 · Load
#
{% if database -%}
# The rows of a SQL query (`data.sql` in env.yaml) on the project's DuckDB
# database (`data.connection`): scikit-learn's breast cancer dataset (569 rows,
# 30 numeric features) in table `cases`. nbops runs the query once per build,
# before any step, into a Parquet snapshot kept with the run; this step reads
# the snapshot, and runs again only when the query's result changed.

# %% tags=["parameters"]
upstream = None
product = None
target = "malignant"
query = None  # {sql, connection, snapshot, target}: filled in from env.yaml

# %%
import pandas as pd

from nbops.sources import read_query

raw = read_query(query)
raw.to_parquet(product["data"], index=False)
{% else -%}
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
{% endif %}
# %%
pd.DataFrame({"rows": [len(raw)], "features": [raw.shape[1] - 1],
              "positive rate": [raw[target].mean()]})
