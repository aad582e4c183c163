# %% [markdown]
# Depends on `crash`: must never run.

# %% tags=["parameters"]
upstream = ["crash"]
product = None

# %%
print(upstream["crash"])
