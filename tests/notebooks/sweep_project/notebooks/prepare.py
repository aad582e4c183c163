# %% tags=["parameters"]
upstream = None
product = None
rows = 100

# %%
import json
from pathlib import Path

Path(product["data"]).write_text(json.dumps([i % 7 for i in range(int(rows))]))
