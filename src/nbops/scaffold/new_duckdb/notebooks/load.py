# %% [markdown]
# # 1 · Load
#
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

# %%
pd.DataFrame({"rows": [len(raw)], "features": [raw.shape[1] - 1],
              "positive rate": [raw[target].mean()]})
