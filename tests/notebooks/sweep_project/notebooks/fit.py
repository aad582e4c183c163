# %% tags=["parameters"]
upstream = ["prepare"]
product = None
alpha = 0.1
depth = 1
fail = False

# %%
import json
from pathlib import Path

import nbops

data = json.loads(Path(upstream["prepare"]["data"]).read_text())
if fail:
    raise RuntimeError("this trial fails on purpose")
# best at alpha 0.3 and depth 1; more rows add a little
score = round(1 - (float(alpha) - 0.3) ** 2 - 0.01 * int(depth) + len(data) * 1e-6, 6)
Path(product["model"]).write_text(json.dumps({"alpha": alpha, "depth": depth}))
nbops.log_metric("score", score)
