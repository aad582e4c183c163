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
# # 1 · Ingest
#
# Load the raw customer table: the result of a SQL query (`data.sql` on
# `data.connection`, snapshot by nbops before the build ran), a CSV or
# Parquet file (`data.path`), or, by default, rows from the embedded, seeded
# churn generator. The file is stored
# as-is; cleaning happens, visibly, in the next step.

# %% tags=["parameters"]
upstream = None
product = None
data_path = None
data_format = None
target = "churn"
rows = 20000
data_seed = 7
query = None  # {sql, connection, snapshot, target}: data from a database

# %%
from pathlib import Path

from churn import data

raw = data.load_raw(data_path, data_format, rows, data_seed, query)
data.check_target(raw, target, min_rows=data.MIN_ROWS)
Path(product["data"]).parent.mkdir(parents=True, exist_ok=True)
raw.to_parquet(product["data"], index=False)

# %%
if query and query.get("sql"):
    source = f"the query snapshot {query['snapshot']}"
else:
    source = "the embedded generator" if data.is_embedded(data_path) else data_path
print(f"{len(raw):,} rows x {raw.shape[1]} columns from {source}; target column: {target!r}")
raw.head()

# %%
raw.dtypes.astype(str).rename("dtype").to_frame()
