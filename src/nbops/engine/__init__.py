"""Notebook execution engines (registered with Papermill through its entry point)."""
