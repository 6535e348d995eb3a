"""Functions with choice sets, body-resolved defaults, sentinels and escaped defaults."""

from __future__ import annotations

import re
import warnings


def fit_path(features: list[float], n_alphas: int = 100, eps: float = 1e-3,
             solver: str = "auto", n_jobs: int | None = None, verbose: int = 0) -> list[float]:
    """Fit along a path of penalties.

    Parameters
    ----------
    features : list of float
        Input values.
    n_alphas : int, default=100
        Number of penalties on the path.
    eps : float, default=1e-3
        Length of the path.
    solver : {'auto', 'svd', 'cholesky'}, default='auto'
        Solver to use.
    n_jobs : int, default=None
        Number of worker processes.
    verbose : int, default=0
        Verbosity.

    Returns
    -------
    list of float
        The path.
    """
    return [f * eps for f in features][:n_alphas]


def smooth(values: list[float], window: int | None = None, mode: str = "reflect",
           cval: float = 0.0, passes: int | None = None) -> list[float]:
    """Moving average of a signal.

    Parameters
    ----------
    values : list of float
        The signal.
    window : int, default=5
        Width of the moving window.
    mode : {'reflect', 'constant', 'nearest'}, default='reflect'
        How the borders are extended.
    cval : float, optional
        Value past the borders in ``'constant'`` mode. Default is 0.0.
    passes : int, default=1
        Times the filter is applied.
    """
    if window is None:
        window = 5
    passes = passes or 1
    return values[: window * passes] if mode else values


def tokenize(text: str, token_pattern: str = r"(?u)\b\w\w+\b", lowercase: bool = True,
             min_length: int = 2) -> list[str]:
    """Split a text into tokens.

    Parameters
    ----------
    text : str
        The text.
    token_pattern : str, default=r"(?u)\\b\\w\\w+\\b"
        Regular expression of a token.
    lowercase : bool, default=True
        Lower-case the text first.
    min_length : int, default=2
        Shortest token kept.
    """
    tokens = re.findall(token_pattern, text.lower() if lowercase else text)
    return [t for t in tokens if len(t) >= min_length]


def standardize(values: list[float], copy: bool | str = "warn", with_mean: bool = True,
                scale: float = 1.0, ddof: int | None = None) -> list[float]:
    """Centre and scale values.

    Parameters
    ----------
    values : list of float
        The values.
    copy : bool, default=True
        Work on a copy.

        .. deprecated:: 1.6
           The default changes from ``"warn"`` to True in 1.8.
    with_mean : bool, default=True
        Subtract the mean.
    scale : float, default=1.0
        Multiplier after scaling.
    ddof : int, default=0
        Delta degrees of freedom.
    """
    ddof = 0 if ddof is None else ddof
    if copy == "warn":
        warnings.warn("copy will default to True", FutureWarning, stacklevel=2)
    mean = sum(values) / len(values) if with_mean else 0.0
    return [(v - mean) * scale / max(len(values) - ddof, 1) for v in values]
