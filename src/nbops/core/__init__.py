"""The core layer: config, manifest schema, store, errors, ids.

Nothing here imports click, IPython, nbconvert or ploomber.
"""
