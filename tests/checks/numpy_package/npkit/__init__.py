"""A small estimator library documented in the NumPy style, for `test_numpy_mutations.py`.

Its docstrings are consistent with its code: `docgen check` must find nothing here, and must
find each change the mutation test makes.
"""
