"""The `spectral` window sanitizer (guards/window/spectral_signature.cpp) in NumPy: the same
rule, the same verdicts (tests/python_sanitizer_identity.py compares the traces).

Spectral signatures (Tran, Li and Madry, NeurIPS 2018), per class of the window with at least
`min_class_samples` samples there and among the trusted samples:
  - scores: centre the class's window features (float64) on their mean, take the top right
    singular vector v of the centred matrix, score each sample by its squared projection on v;
  - threshold: the conformal `quantile` of the scores the same procedure gives on the class's
    first trusted samples (as many as the class has in the window), under the deployed model:
    the ceil(quantile x (n + 1))-th smallest of n; when that rank exceeds n the class is not
    judged (counted with the classes below);
  - removal: the samples scoring above the threshold, at most int(max_removal x the class's
    rows), highest scores first (ties: the earlier sample first).
The classes it cannot judge are kept and counted (the trace's `sanitize-noop`).

`bank_size` (an attribute) asks poisonsim for `window.trusted_features` and
`window.trusted_labels`: the deployed model's features of the trusted split's first `bank_size`
samples, as the C++ stage's bank holds them (docs/plugins.md).

`method: eigh` takes v as the top eigenvector of the d x d Gram matrix of the centred rows
instead of the SVD: the same direction up to sign and rounding, about 0.6 times the time, but
its scores differ from the SVD's in the last bits, so a sample within rounding of a threshold
can go the other way: it gave the C++ stage's trace on the quickstart (600 s) and on synthetic
data at the defaults, and a different one on synthetic data at quantile 0.6. It is a variant,
not the twin; `svd` (the default) is the twin.
"""
import math

import numpy as np

try:  # LAPACK's dgesdd called directly: the same call and bits as np.linalg.svd, without the
    # 20% NumPy adds around it for the quickstart's 384 x 256 classes (Debian's python3-scipy)
    from scipy.linalg.lapack import dgesdd
except ImportError:
    dgesdd = None


def top_right_singular_vector(centred):
    """What LibTorch's linalg.svd(full_matrices=False) and NumPy's linalg.svd give: LAPACK's
    dgesdd with jobz 'S' on the matrix, the first row of V^T."""
    if dgesdd is not None:
        _, _, vt, info = dgesdd(centred, compute_uv=1, full_matrices=0)
        if info != 0:
            raise np.linalg.LinAlgError(f"dgesdd did not converge (info {info})")
        return vt[0]
    return np.linalg.svd(centred, full_matrices=False)[2][0]


def self_scores(x, method="svd"):
    """Each row's squared projection, after centring on the rows' mean, on the top right
    singular vector of the centred matrix (guards/window/spectral_signature.cpp, self_scores)."""
    centred = x - x.mean(axis=0, keepdims=True)
    if method == "eigh":
        v = np.linalg.eigh(centred.T @ centred)[1][:, -1]
    else:
        v = top_right_singular_vector(centred)
    return np.square(centred @ v)


def conformal_threshold(values, quantile):
    """The ceil(quantile x (n + 1))-th smallest of n values, infinity when that rank exceeds n
    (guards/per_sample/conformal_threshold.cpp)."""
    n = len(values)
    rank = max(1, math.ceil(quantile * (n + 1) - 1e-9))
    return math.inf if rank > n else float(np.partition(values, rank - 1)[rank - 1])


def _number(options, key, default, low, high, integer=False):
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (integer and not isinstance(value, int)):
        raise ValueError(f"{key} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not (low <= value <= high):
        raise ValueError(f"{key} must be in [{low}, {high}], got {value}")
    return int(value) if integer else float(value)


class SpectralSignature:
    def __init__(self, options):
        # The C++ stage's keys, defaults and ranges (read_spectral_signature_options).
        self.quantile = _number(options, "quantile", 0.99, 0.5, 1)
        self.max_removal = _number(options, "max_removal", 0.5, 0, 1)
        self.min_class_samples = _number(options, "min_class_samples", 20, 2, 1000000, True)
        self.bank_size = _number(options, "bank_size", 5000, 2, 10000000, True)
        self.method = str(options.get("method", "svd"))
        if self.method not in ("svd", "eigh"):
            raise ValueError(f"method must be svd or eigh, got {self.method}")

    def sanitize(self, window):
        labels = window.labels
        keep = np.ones(len(labels), dtype=bool)
        unjudged = 0
        trusted_labels = window.trusted_labels
        for label in np.unique(labels):  # label order, as the C++ stage
            rows = np.flatnonzero(labels == label)
            trusted_rows = np.flatnonzero(trusted_labels == label)
            if len(rows) < self.min_class_samples or len(trusted_rows) < self.min_class_samples:
                unjudged += len(rows)
                continue
            scores = self_scores(window.features[rows].astype(np.float64), self.method)
            calibration = trusted_rows[:len(rows)]
            trusted_scores = self_scores(
                window.trusted_features[calibration].astype(np.float64), self.method)
            threshold = conformal_threshold(trusted_scores, self.quantile)
            if math.isinf(threshold):  # too few calibration scores: not judged, as in C++
                unjudged += len(rows)
                continue
            above = np.flatnonzero(scores > threshold)
            above = above[np.argsort(-scores[above], kind="stable")]
            keep[rows[above[:int(self.max_removal * len(rows))]]] = False
        return keep, unjudged

    def state(self):
        return None

    def load_state(self, state):
        pass
