# %% [markdown]
# # 2 · Validate
#
# Infer a schema from the data (types, ranges, null rates) and check the table
# against it with nbops.validation (pandera). A violation stops the build and
# names each failing column. Keep a reviewed schema in git and load it here
# (nbops.validation.read_data_schema) to check new data against it.

# %% tags=["parameters"]
upstream = ["load"]
product = None
target = "malignant"

# %%
import pandas as pd

from nbops.validation import infer_schema, validate, write_data_schema

raw = pd.read_parquet(upstream["load"]["data"])
schema = infer_schema(raw, target=target)
clean = validate(raw.drop_duplicates(), schema, name="the loaded data")
write_data_schema(product["schema"], schema)
clean.to_parquet(product["data"], index=False)
print(f"{len(clean)} rows passed {len(schema.columns)} column checks.")
