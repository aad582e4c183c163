# %% [markdown]
# Raises an ordinary error.

# %% tags=["parameters"]
upstream = None
product = None

# %%
raise ValueError("this notebook fails on purpose")
