"""Estimators: a base class, one that inherits `__init__`, one that forwards `**kwargs`."""

from __future__ import annotations


class BaseEstimator:
    """Linear estimator fitted by coordinate descent.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength.
    max_iter : int, default=100
        Most iterations of the solver.
    tol : float, default=1e-4
        Stop when the update is smaller than this.
    warm_start : bool, default=False
        Start from the previous solution.
    """

    def __init__(self, alpha: float = 1.0, max_iter: int = 100, tol: float = 1e-4,
                 warm_start: bool = False) -> None:
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start


class Ridge(BaseEstimator):
    """Ridge regression (its `__init__` is the base's).

    Parameters
    ----------
    alpha : float, default=1.0
        L2 penalty.
    max_iter : int, default=100
        Most iterations of the solver.
    tol : float, default=1e-4
        Stopping tolerance.
    warm_start : bool, default=False
        Reuse the previous coefficients.
    """

    def fit(self, features: list[float]) -> Ridge:
        self.coef_ = [self.alpha * f for f in features]
        return self


class Lasso(BaseEstimator):
    """Lasso regression (its `__init__` forwards `**kwargs` to the base's).

    Parameters
    ----------
    selection : {'cyclic', 'random'}, default='cyclic'
        Order in which coefficients are updated.
    positive : bool, default=False
        Force the coefficients to be positive.
    n_jobs : int, default=None
        Number of worker processes.
    alpha : float, default=1.0
        L1 penalty.
    max_iter : int, default=100
        Most iterations of the solver.
    """

    def __init__(self, selection: str = "cyclic", positive: bool = False, n_jobs: int | None = None,
                 **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.selection = selection
        self.positive = positive
        self.n_jobs = n_jobs


class KernelSmoother:
    """Smooth a signal with a kernel.

    Parameters
    ----------
    kernel : {'linear', 'rbf'} or callable, \\
            default='rbf'
        Kernel applied to distances.
    bandwidth : float, default=0.5
        Width of the kernel.
    n_neighbors : int, default=5
        Neighbours used per point.
    gamma : float, default=2.0
        Scale of the RBF kernel.
    """

    def __init__(self, kernel: str = "rbf", bandwidth: float = 0.5, n_neighbors: int | None = None,
                 gamma: float | None = None) -> None:
        if n_neighbors is None:
            n_neighbors = 5
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.n_neighbors = n_neighbors
        self.gamma = gamma if gamma is not None else 2.0
