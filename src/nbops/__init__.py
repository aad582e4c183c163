"""nbops: the MLOps layer for Jupyter notebook pipelines."""

__version__ = "0.1.0"
__all__ = ["__version__"]
