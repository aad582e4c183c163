"""Runs to and from the team remote: push, pull, listing, the post-close auto push, publish.

Sits above the run ledger and reports (it reads runs and pages) and uses the
transport of :mod:`nbops.remote` below them.
"""
