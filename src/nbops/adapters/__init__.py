"""Adapters: the only modules that import Ploomber or Papermill."""
