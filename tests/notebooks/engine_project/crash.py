# %% [markdown]
# Ends its own kernel process mid-notebook.

# %% tags=["parameters"]
upstream = None
product = None

# %%
import os

# %%
os._exit(1)
