# %% tags=["parameters"]
upstream = None
product = None
n_rows = 10
seed = 0
data_path = None
api_token = None
sleep_s = 0

# %%
import random
import time
from pathlib import Path

if float(sleep_s):  # lets tests catch a build mid-flight; they wait for this file
    (Path(product["data"]).parent / "sleeping").write_text(str(sleep_s))
    time.sleep(float(sleep_s))

random.seed(seed)
assert api_token, "the fixture passes a fake token to check redaction"
base = Path(data_path).read_text().split()[1:]
rows = [str(int(base[i % len(base)]) + random.randint(0, 9)) for i in range(int(n_rows))]
Path(product["data"]).write_text("x\n" + "\n".join(rows) + "\n")
