"""docgen: complete, true-to-the-code docs for ML model code."""

__version__ = "0.1.0"
