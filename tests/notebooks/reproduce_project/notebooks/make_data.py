# %% tags=["parameters"]
upstream = None
product = None
seed = 0
n_rows = 10
data_path = None

# %%
import json
import random
from pathlib import Path

from fixturelib import offset

import nbops

values = [float(line) for line in Path(data_path).read_text().splitlines()[1:]]
rng = random.Random(seed)
rows = sorted(round(rng.gauss(offset(values), 1.0), 6) for _ in range(n_rows))
Path(product["data"]).write_text(json.dumps(rows, sort_keys=True))
nbops.log_metric("mean", round(sum(rows) / len(rows), 6))
print(f"{len(rows)} rows, first {rows[0]}")
