# %% [markdown]
# Independent of its sibling: records a metric for the run ledger and when it ran.

# %% tags=["parameters"]
upstream = None
product = None

# %%
import json
import os
import time

import nbops

started = time.time()
time.sleep(3)  # long enough for the sibling notebook to be running too
nbops.log_metric("value_b", 1.0)
with open(product["facts"], "w") as f:
    json.dump({"pid": os.getpid(), "started": started, "ended": time.time()}, f)
