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
# # 2 · Validate
#
# Clean the raw table (every change is listed below, nothing is silent), then
# check it against its schema with pandera: types, ranges, allowed
# categories, null rates, unique ids and a minimum row count. A violation stops
# the build and names each failing column, check and a few offending values.

# %% tags=["parameters"]
upstream = ["ingest"]
product = None
target = "churn"
data_path = None
schema_path = None
data_sql = None  # set when the data came from a query: its schema is inferred

# %%
import pandas as pd

from churn import data, schema
from nbops.validation import validate, write_data_schema

raw = pd.read_parquet(upstream["ingest"]["data"])
clean, warnings = data.clean(raw, target)
roles, role_warnings = data.infer_roles(clean, target)
warnings += role_warnings

# %% [markdown]
# ## Changes made to the data

# %%
print("\n".join(f"WARNING: {w}" for w in warnings) if warnings else "No changes were needed.")

# %% [markdown]
# ## Schema check

# %%
data_schema = schema.schema_for(clean, roles, data_path or data_sql, schema_path)
validate(
    clean, data_schema, name="the input data", fix=schema.fix_hint(data_path, schema_path)
)
write_data_schema(product["schema"], data_schema)
clean.to_parquet(product["data"], index=False)
print(
    f"{len(clean):,} rows passed {len(data_schema.columns)} column checks ({data_schema.source})."
)

# %%
schema.describe(data_schema)

# %%
data.describe_roles(clean, roles)
