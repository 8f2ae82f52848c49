"""Twin-vs-real gap between two feature sets (rows = windows), as in DESIGN.md section 6."""
from __future__ import annotations

import numpy as np
import ot


def _subsample(X, n, rng):
    X = np.asarray(X, dtype=np.float64)
    return X[rng.choice(len(X), n, replace=False)] if len(X) > n else X


def mmd(X, Y, gamma: float | None = None, max_samples: int = 2000, seed: int = 0) -> float:
    """Squared MMD with a Gaussian kernel k(x, y) = exp(-gamma ||x - y||^2), unbiased U-statistic estimate
    (Gretton et al., JMLR 13, 2012, eq. 3; can be slightly negative when the distributions match).
    gamma=None: median heuristic, gamma = 1 / median of the pooled pairwise squared distances.
    At most ``max_samples`` rows of each set are used (seeded subsample) to bound the O(n^2) kernel cost."""
    rng = np.random.default_rng(seed)
    X, Y = _subsample(X, max_samples, rng), _subsample(Y, max_samples, rng)
    Z = np.concatenate([X, Y])
    sq = np.sum(Z**2, axis=1)
    D = np.maximum(sq[:, None] + sq[None, :] - 2 * Z @ Z.T, 0.0)
    if gamma is None:
        gamma = 1.0 / max(np.median(D[np.triu_indices(len(Z), 1)]), 1e-12)
    K = np.exp(-gamma * D)
    m, n = len(X), len(Y)
    kxx, kyy, kxy = K[:m, :m], K[m:, m:], K[:m, m:]
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def sliced_wasserstein(X, Y, n_projections: int = 200, seed: int = 0) -> float:
    """Sliced 2-Wasserstein distance (POT ``ot.sliced_wasserstein_distance``, uniform weights)."""
    return float(ot.sliced_wasserstein_distance(np.asarray(X, np.float64), np.asarray(Y, np.float64),
                                                n_projections=n_projections, seed=seed))
