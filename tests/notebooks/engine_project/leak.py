# %% [markdown]
# Sets a variable and imports a module nobody preloads: neither may reach the next notebook.

# %% tags=["parameters"]
upstream = None
product = None

# %%
import colorsys  # noqa: F401 - the import itself is what the next notebook looks for
import json
import os

leaked_variable = 42
with open(product["facts"], "w") as f:
    json.dump({"pid": os.getpid(), "run_id": os.environ.get("NBOPS_RUN_ID")}, f)
