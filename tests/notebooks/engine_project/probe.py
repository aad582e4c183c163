# %% [markdown]
# Runs after `leak`: looks for anything `leak` left behind.

# %% tags=["parameters"]
upstream = ["leak"]
product = None

# %%
import json
import os
import sys

facts = {
    "pid": os.getpid(),
    "run_id": os.environ.get("NBOPS_RUN_ID"),
    "leaked_variable": "leaked_variable" in globals(),
    "colorsys_imported": "colorsys" in sys.modules,
    "colorsys_bound": "colorsys" in globals(),
    "upstream_pid": json.load(open(upstream["leak"]["facts"]))["pid"],
}
with open(product["facts"], "w") as f:
    json.dump(facts, f)
