"""NOT a defense: the work of the `spectral` sanitizer (guards/window/spectral_signature.cpp) in
NumPy, for `poisonsim bench defenses` to time a Python window stage against a C++ one of the
same arithmetic (docs/plugins.md, Cost). Per class of at least `min_class_samples` rows: centre,
top right singular vector, squared projections (as the C++ self_scores, in float64), the same on
a calibration matrix of the same shape, its nearest-rank `quantile`, and the cap of `max_removal`
highest scores. The C++ stage calibrates on the deployed model's features of trusted samples,
which a Python sanitizer is not given (guards/python passes the window's features and the
trusted images only), so here the calibration matrix is the class's own rows in reverse order:
the same shapes and operations, not spectral's verdicts.
"""
import numpy as np


def self_scores(x, method="svd"):
    """`svd`: the top right singular vector as the C++ stage takes it (LAPACK gesdd, U and V);
    `eigh`: the same direction as the top eigenvector of the d x d Gram matrix (equal up to
    sign and rounding; the scores are squared), about 3x cheaper for a 384 x 256 class."""
    centred = x - x.mean(axis=0, keepdims=True)
    if method == "eigh":
        v = np.linalg.eigh(centred.T @ centred)[1][:, -1]
    else:
        v = np.linalg.svd(centred, full_matrices=False)[2][0]
    return np.square(centred @ v)


def nearest_rank_quantile(values, quantile):
    return float(np.quantile(values, quantile, method="inverted_cdf"))


class SpectralCostStandIn:
    def __init__(self, options):
        self.quantile = float(options.get("quantile", 0.99))
        self.max_removal = float(options.get("max_removal", 0.5))
        self.min_class_samples = int(options.get("min_class_samples", 20))
        self.method = str(options.get("method", "svd"))
        if self.method not in ("svd", "eigh"):
            raise ValueError(f"method must be svd or eigh, got {self.method}")

    def sanitize(self, window):
        keep = np.ones(len(window.labels), dtype=bool)
        features = window.features.astype(np.float64)
        for label in np.unique(window.labels):
            rows = np.flatnonzero(window.labels == label)
            if len(rows) < self.min_class_samples:
                continue
            scores = self_scores(features[rows], self.method)
            calibration = self_scores(features[rows[::-1]], self.method)
            threshold = nearest_rank_quantile(calibration, self.quantile)
            above = np.flatnonzero(scores > threshold)
            above = above[np.argsort(-scores[above], kind="stable")]
            keep[rows[above[:int(self.max_removal * len(rows))]]] = False
        return keep

    def state(self):
        return None

    def load_state(self, state):
        pass
