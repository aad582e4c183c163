# %% [markdown]
# Kills the process that started this kernel (a Dask worker) mid-task, once or
# every time (a marker file remembers earlier attempts).

# %% tags=["parameters"]
upstream = None
product = None
marker = "killed-once.txt"
every_time = False

# %%
import json
import os
import signal
from pathlib import Path

attempts = int(Path(marker).read_text()) if Path(marker).exists() else 0
Path(marker).write_text(str(attempts + 1))
if every_time or attempts == 0:
    os.kill(os.getppid(), signal.SIGKILL)

# %%
with open(product["facts"], "w") as f:
    json.dump({"attempt": attempts + 1, "run_id": os.environ.get("NBOPS_RUN_ID")}, f)
