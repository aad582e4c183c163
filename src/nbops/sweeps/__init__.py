"""Sweeps: many runs from one command over ``env.yaml`` keys, reusing what did not change.

A sweep is a record (``reports/sweeps/<name>/sweep.json``, schema
``sweep.schema.json``) and a set of ordinary runs of the ledger, one per trial,
tagged with the sweep's id and the trial's number. :mod:`.plan` checks a request
and writes the record, :mod:`.samplers` draws the trials (grid, random, Optuna
TPE), :mod:`.runner` runs them (restoring unchanged products through
:mod:`nbops.runs.reuse`), :mod:`.register` gates the best one.
"""
