# %% tags=["parameters"]
upstream = ["make_data"]
product = None
noise = 0.001

# %%
import json
import random
from pathlib import Path

import nbops

rows = json.loads(Path(upstream["make_data"]["data"]).read_text())
# Deliberately non-deterministic: fresh OS randomness on every run.
jitter = random.SystemRandom().uniform(-noise, noise)
estimate = sum(rows) / len(rows) + jitter
Path(product["estimate"]).write_text(json.dumps({"estimate": estimate}))
nbops.log_metric("estimate", estimate)
