#!/usr/bin/python3
"""Writes the poison files the replay tests read (tests/replay_run_test.cpp), as a user would make
them with NumPy and h5py: good ones in each format and one bad file per check the replay attacker
makes at validation. Images fit tests/scenarios/synthetic-small.yaml (1 x 12 x 12, 10 classes).

Usage: write_poison_files.py OUT_DIR
"""
import os
import sys

import h5py
import numpy as np

N = 20


def pixels(n=N, shape=(12, 12)):
    """Distinct deterministic uint8 images: sample i is (i * 7 + pixel) % 256."""
    count = int(np.prod(shape))
    return ((np.arange(n)[:, None] * 7 + np.arange(count)[None, :]) % 256).astype(
        np.uint8).reshape((n,) + shape)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    path = lambda name: os.path.join(out, name)
    labels = (np.arange(N) * 3 % 10).astype(np.int64)
    true_labels = (np.arange(N) % 10).astype(np.int64)
    images = pixels()

    # Good files: uint8 N x H x W with true labels; float32 N x C x H x W; a .npy pair; HDF5
    # with its own dataset names, float64, channels last.
    np.savez(path("good.npz"), images=images, labels=labels, true_labels=true_labels)
    np.savez(path("good-reversed.npz"), images=images[::-1], labels=labels,
             true_labels=true_labels)
    np.savez_compressed(path("good-float.npz"), images=(images / 255.0).astype(np.float32)[:, None],
                        labels=labels.astype(np.int32))
    np.save(path("pair-images.npy"), images)
    np.save(path("pair-labels.npy"), labels.astype(np.uint8))
    with h5py.File(path("good.h5"), "w") as f:
        f["x"] = (images / 255.0)[..., None]
        f["y"] = labels

    # One problem each.
    np.savez(path("wrong-shape.npz"), images=pixels(shape=(28, 28)), labels=labels)
    bad = (images / 255.0).astype(np.float32)
    bad[3, 4, 5] = 1.5
    np.savez(path("out-of-range.npz"), images=bad, labels=labels)
    nan = (images / 255.0).astype(np.float64)
    nan[7, 0, 0] = np.nan
    np.savez(path("nan-pixel.npz"), images=nan, labels=labels)
    np.savez(path("int-images.npz"), images=images.astype(np.int32), labels=labels)
    outside = labels.copy()
    outside[5] = 10
    np.savez(path("label-outside.npz"), images=images, labels=outside)
    np.savez(path("negative-label.npz"), images=images, labels=-labels - 1)
    np.savez(path("float-labels.npz"), images=images, labels=labels.astype(np.float32))
    np.savez(path("short-labels.npz"), images=images, labels=labels[:-1])
    np.savez(path("empty.npz"), images=images[:0], labels=labels[:0])
    np.savez(path("no-labels.npz"), images=images, targets=labels)
    with h5py.File(path("h5-no-dataset.h5"), "w") as f:
        f["images"] = images
    np.savez_compressed(path("corrupt.npz"), images=images, labels=labels)
    data = bytearray(open(path("corrupt.npz"), "rb").read())
    middle = len(data) // 3
    data[middle:middle + 16] = bytes(16)  # inside the images member's deflated bytes
    open(path("corrupt.npz"), "wb").write(bytes(data))
    open(path("not-a-zip.npz"), "w").write("images,labels\n1,2\n")
    np.save(path("truncated.npy"), images)
    data = open(path("truncated.npy"), "rb").read()
    open(path("truncated.npy"), "wb").write(data[:-10])


if __name__ == "__main__":
    main()
