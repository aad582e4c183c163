"""Serving: ``nbops serve-model`` answers HTTP scoring requests with a registered model.

A layer above the feature packages: it loads models through ``nbops.registry``,
prepares raw inputs with ``nbops.validation.preparation`` and logs what it
scored for ``nbops.monitoring`` to read (``prediction_log``).
"""
