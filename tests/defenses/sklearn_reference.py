#!/usr/bin/env python3
"""The feature-space defenses' rules, independently, on the window tests/defense_stages_test.cpp
or tests/window_sanitizers_test.cpp wrote: Deep k-NN with scikit-learn's brute-force neighbours
and a plurality vote written here; sphere and slab with scikit-learn's NearestCentroid centroids
and the split-conformal quantile (conformal_threshold below); the window sanitizers per class
with scikit-learn's PCA (spectral signatures: its first component; activation clustering: its
projection, KMeans and silhouette_score; Sever: the same first component of the last-layer
gradients written out explicitly; TRIM: scikit-learn's LogisticRegression refits). "bank" is the
trusted data, "queries" the arrivals or the retraining window; with --classes, the file ends
with the deployed model's last layer (classes x dim weights, then classes biases, float32).
Exit 0 when every verdict agrees with poisonsim's, else 1 naming the samples that differ."""
import argparse
import math
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestCentroid, NearestNeighbors


def conformal_threshold(scores, quantile):
    """The ceil(quantile x (n + 1))-th smallest of n scores, or infinity when that rank exceeds n
    (guards/per_sample/conformal_threshold.h), written from the definition: sort and index."""
    n = len(scores)
    rank = max(1, math.ceil(quantile * (n + 1) - 1e-9))
    return math.inf if rank > n else float(np.sort(scores)[rank - 1])


def knn_verdicts(bank, bank_labels, queries, labels, k):
    neighbours = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(bank).kneighbors(
        queries, return_distance=False)
    classes = int(max(bank_labels.max(), labels.max())) + 1
    out = np.empty(len(queries), dtype=np.uint8)
    for i, row in enumerate(neighbours):
        votes = np.bincount(bank_labels[row], minlength=classes)
        out[i] = 0 if votes[labels[i]] == votes.max() else 1  # a tie for most votes accepts
    return out


def centroid_verdicts(bank, bank_labels, queries, labels, rule, quantile):
    model = NearestCentroid().fit(bank, bank_labels)
    centroids = dict(zip(model.classes_.tolist(), model.centroids_))

    def scores(x, y):
        mu = centroids[y]
        if rule == "sphere":
            return np.linalg.norm(x - mu, axis=-1)
        others = np.mean([c for label, c in centroids.items() if label != y], axis=0)
        u = (mu - others) / np.linalg.norm(mu - others)
        return np.abs((x - mu) @ u)

    radius = {y: conformal_threshold(scores(bank[bank_labels == y], y), quantile)
              for y in centroids}
    return np.array([1 if labels[i] in radius and scores(queries[i], labels[i]) > radius[labels[i]]
                     else 0 for i in range(len(queries))], dtype=np.uint8)


def judged_classes(bank_labels, labels, min_class_samples):
    """The classes with enough window and trusted samples to judge, with their window rows."""
    for y in np.unique(labels):
        rows = np.flatnonzero(labels == y)
        trusted = np.flatnonzero(bank_labels == y)
        if len(rows) >= min_class_samples and len(trusted) >= min_class_samples:
            yield y, rows, trusted


def own_scores(x):
    """Squared projections of x, centred, on its own first principal direction."""
    pca = PCA(n_components=1, svd_solver="full").fit(x)
    return ((x - pca.mean_) @ pca.components_[0]) ** 2


def spectral_verdicts(bank, bank_labels, queries, labels, quantile, max_removal, min_class):
    out = np.zeros(len(queries), dtype=np.uint8)
    for _, rows, trusted in judged_classes(bank_labels, labels, min_class):
        scores = own_scores(queries[rows])
        # Calibrated on as many trusted samples of the class (the first ones), scored the same way.
        threshold = conformal_threshold(own_scores(bank[trusted[:len(rows)]]), quantile)
        cap = int(max_removal * len(rows))
        worst_first = [i for i in np.argsort(-scores, kind="stable") if scores[i] > threshold]
        out[rows[worst_first[:cap]]] = 1
    return out


def clustering_verdicts(bank, bank_labels, queries, labels, components, max_share,
                        min_silhouette, trusted_ratio, min_class):
    out = np.zeros(len(queries), dtype=np.uint8)
    for _, rows, trusted in judged_classes(bank_labels, labels, min_class):
        k = min(components, len(rows), queries.shape[1])
        pca = PCA(n_components=k, svd_solver="full").fit(queries[rows])
        projected = pca.transform(queries[rows])
        kmeans = KMeans(n_clusters=2, n_init=10, random_state=0).fit(projected)
        sizes = np.bincount(kmeans.labels_, minlength=2)
        if sizes[0] == sizes[1]:
            continue  # a tie in size is no split
        small = int(np.argmin(sizes))
        share = sizes[small] / len(rows)
        silhouette = silhouette_score(projected, kmeans.labels_)
        trusted_share = np.mean(kmeans.predict(pca.transform(bank[trusted])) == small)
        if share <= max_share and silhouette >= min_silhouette and \
                trusted_share <= trusted_ratio * share:
            out[rows[kmeans.labels_ == small]] = 1
    return out


def softmax_rows(logits):
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def last_layer_gradients(x, y, weight, bias):
    """Per row, the cross-entropy's gradient w.r.t. (weight, bias): (softmax - onehot) x [x, 1]."""
    residual = softmax_rows(x @ weight.T + bias)
    residual[:, y] -= 1
    inputs = np.hstack([x, np.ones((len(x), 1))])
    return (residual[:, :, None] * inputs[:, None, :]).reshape(len(x), -1)


def sever_verdicts(bank, bank_labels, queries, labels, weight, bias, quantile, max_removal,
                   rounds, min_class):
    out = np.zeros(len(queries), dtype=np.uint8)
    for y, rows, trusted in judged_classes(bank_labels, labels, min_class):
        if y >= len(weight):
            continue  # a label the model does not have: not judged
        cap = int(max_removal * len(rows))
        kept, removed = rows, 0
        for _ in range(rounds):
            if len(kept) < min_class:
                break
            scores = own_scores(last_layer_gradients(queries[kept], y, weight, bias))
            calibration = bank[trusted[:len(kept)]]
            threshold = conformal_threshold(
                own_scores(last_layer_gradients(calibration, y, weight, bias)), quantile)
            worst_first = [i for i in np.argsort(-scores, kind="stable")
                           if scores[i] > threshold][:cap - removed]
            if not worst_first:
                break
            out[kept[worst_first]] = 1
            removed += len(worst_first)
            kept = np.delete(kept, worst_first)
    return out


def trim_verdicts(bank, bank_labels, queries, labels, classes, trim, quantile, max_rounds,
                  weight_decay, min_class):
    """TRIM on a softmax-regression last layer. The refit minimises mean cross-entropy +
    weight_decay/2 |theta|^2 over weights and biases: LogisticRegression's 0.5 |w|^2 + C sum CE
    with C = 1 / (weight_decay m), the bias a penalised weight on a constant feature."""
    fit = np.flatnonzero((labels >= 0) & (labels < classes))
    x = np.hstack([queries[fit], np.ones((len(fit), 1))])
    y = labels[fit]
    judged = [(c, np.flatnonzero(y == c), trusted)
              for c, _, trusted in judged_classes(bank_labels, labels, min_class) if c < classes]

    def refit(kept):
        model = LogisticRegression(C=1.0 / (weight_decay * kept.sum()), fit_intercept=False,
                                   tol=1e-12, max_iter=100000)
        model.fit(x[kept], y[kept])
        assert list(model.classes_) == list(range(classes)), "every class must be in the refit"
        return model

    def losses(model, features, targets):
        log_p = model.predict_log_proba(np.hstack([features, np.ones((len(features), 1))]))
        return -log_p[np.arange(len(targets)), targets]

    kept = np.ones(len(fit), dtype=bool)
    model, rounds = refit(kept), 0
    closest = np.inf  # the smallest gap between a loss and a boundary it was compared with
    while True:
        loss = losses(model, x[:, :-1], y)
        following = np.ones(len(fit), dtype=bool)
        for _, at, _ in judged:
            order = at[np.argsort(loss[at], kind="stable")]
            cut = len(at) - int(trim * len(at))
            following[order[cut:]] = False
            if 0 < cut < len(at):
                closest = min(closest, loss[order[cut]] - loss[order[cut - 1]])
        if (following == kept).all() or rounds == max_rounds:
            break
        kept, rounds = following, rounds + 1
        model = refit(kept)
    out = np.zeros(len(queries), dtype=np.uint8)
    for c, at, trusted in judged:
        threshold = conformal_threshold(losses(model, bank[trusted], np.full(len(trusted), c)),
                                        quantile)
        trimmed = at[~kept[at]]
        closest = min([closest, *np.abs(loss[trimmed] - threshold)])
        out[fit[trimmed[loss[trimmed] > threshold]]] = 1
    print(f"trim: {rounds} refits on trimmed sets; closest decision {closest:.3g} from its boundary")
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("window")
    parser.add_argument("--rule", required=True,
                        choices=["knn", "sphere", "slab", "spectral", "activation-clustering",
                                 "sever", "trim"])
    parser.add_argument("--bank", type=int, required=True)
    parser.add_argument("--queries", type=int, required=True)
    parser.add_argument("--dim", type=int, required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--quantile", type=float, default=0.99)
    parser.add_argument("--max-removal", type=float, default=0.5)
    parser.add_argument("--min-class-samples", type=int, default=20)
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--max-share", type=float, default=0.35)
    parser.add_argument("--min-silhouette", type=float, default=0.15)
    parser.add_argument("--trusted-ratio", type=float, default=0.5)
    parser.add_argument("--classes", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--trim", type=float, default=0.2)
    parser.add_argument("--max-rounds", type=int, default=10)
    parser.add_argument("--weight-decay", type=float, default=1e-3)
    a = parser.parse_args()
    raw = open(a.window, "rb").read()
    at = 0

    def take(dtype, count):
        nonlocal at
        out = np.frombuffer(raw, dtype=dtype, count=count, offset=at)
        at += out.nbytes
        return out

    bank = take(np.float32, a.bank * a.dim).reshape(a.bank, a.dim).astype(np.float64)
    bank_labels = take(np.int64, a.bank)
    queries = take(np.float32, a.queries * a.dim).reshape(a.queries, a.dim).astype(np.float64)
    labels = take(np.int64, a.queries)
    theirs = take(np.uint8, a.queries)
    weight = take(np.float32, a.classes * a.dim).reshape(a.classes, a.dim).astype(np.float64)
    bias = take(np.float32, a.classes).astype(np.float64)
    assert at == len(raw), f"{len(raw) - at} bytes left over"

    if a.rule == "knn":
        ours = knn_verdicts(bank, bank_labels, queries, labels, a.k)
    elif a.rule == "spectral":
        ours = spectral_verdicts(bank, bank_labels, queries, labels, a.quantile, a.max_removal,
                                 a.min_class_samples)
    elif a.rule == "activation-clustering":
        ours = clustering_verdicts(bank, bank_labels, queries, labels, a.components, a.max_share,
                                   a.min_silhouette, a.trusted_ratio, a.min_class_samples)
    elif a.rule == "sever":
        ours = sever_verdicts(bank, bank_labels, queries, labels, weight, bias, a.quantile,
                              a.max_removal, a.rounds, a.min_class_samples)
    elif a.rule == "trim":
        ours = trim_verdicts(bank, bank_labels, queries, labels, a.classes, a.trim, a.quantile,
                             a.max_rounds, a.weight_decay, a.min_class_samples)
    else:
        ours = centroid_verdicts(bank, bank_labels, queries, labels, a.rule, a.quantile)
    differ = np.flatnonzero(ours != theirs)
    print(f"{a.rule}: {a.queries} verdicts, {int(ours.sum())} rejected by the reference, "
          f"{int(theirs.sum())} by poisonsim, {len(differ)} differ")
    if len(differ):
        print("differing samples:", differ[:20].tolist())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
