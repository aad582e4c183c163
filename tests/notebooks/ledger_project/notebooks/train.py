# %% tags=["parameters"]
upstream = ["make_data"]
product = None
fail = False

# %%
from pathlib import Path

import nbops

values = [int(v) for v in Path(upstream["make_data"]["data"]).read_text().split()[1:]]
mean = sum(values) / len(values)
nbops.log_metric("train_mean", mean)

# %%
if fail:
    raise ValueError("training diverged on purpose")

# %%
Path(product["model"]).write_text(f"mean={mean}\n")
nbops.log_artifact(product["model"])
