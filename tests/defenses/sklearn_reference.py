#!/usr/bin/env python3
"""The feature-space defenses' rules, independently, on the window tests/defense_stages_test.cpp
wrote: Deep k-NN with scikit-learn's brute-force neighbours and a plurality vote written here;
sphere and slab with scikit-learn's NearestCentroid centroids and numpy's nearest-rank quantile.
Exit 0 when every verdict agrees with poisonsim's, else 1 naming the samples that differ."""
import argparse
import sys

import numpy as np
from sklearn.neighbors import NearestCentroid, NearestNeighbors


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

    radius = {y: np.quantile(scores(bank[bank_labels == y], y), quantile, method="inverted_cdf")
              for y in centroids}
    return np.array([1 if labels[i] in radius and scores(queries[i], labels[i]) > radius[labels[i]]
                     else 0 for i in range(len(queries))], dtype=np.uint8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("window")
    parser.add_argument("--rule", choices=["knn", "sphere", "slab"], required=True)
    parser.add_argument("--bank", type=int, required=True)
    parser.add_argument("--queries", type=int, required=True)
    parser.add_argument("--dim", type=int, required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--quantile", type=float, default=0.99)
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
    assert at == len(raw), f"{len(raw) - at} bytes left over"

    if a.rule == "knn":
        ours = knn_verdicts(bank, bank_labels, queries, labels, a.k)
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
