"""The template plug-ins of scenarios/plugins/template/ (docs/plugins.md, "Templates") run as a
user would run them, and do what their docstrings say: the guard's verdicts, recomputed from the
losses the trace records batch by batch, are the trace's; the attacker's samples are its pool's
seeds with the next class's label.

    python3 tests/plugin_template_test.py BUILD/poisonsim SOURCE_ROOT WORK_DIR
"""
import os
import subprocess
import sys

import h5py
import numpy as np


def main(binary, root, work):
    os.makedirs(work, exist_ok=True)
    trace = os.path.join(work, "template.h5")
    scenario = os.path.join(root, "scenarios/plugins/template/my-plugins.yaml")
    subprocess.run([binary, "--log-level", "warn", "run", scenario, "-o", trace, "--force",
                    "--quiet"], check=True)
    with h5py.File(trace) as f:
        samples = f["samples"][:]
    poison = samples["is_poison"].astype(bool)
    assert poison.sum() > 0 and (~poison).sum() > 0, "the run must see both kinds of samples"
    # The attacker's rule: the next class's label on every seed.
    classes = int(samples["label"].max()) + 1
    assert np.all(samples["label"][poison] == (samples["true_label"][poison] + 1) % classes)
    # The guard's rule, batch by batch in arrival order, from the float32 losses it saw: each
    # batch against the last `window` losses accepted before it.
    factor, window, warmup = 3.0, 64, 16  # my-plugins.yaml's
    accepted = []
    expected = np.zeros(len(samples), dtype=bool)
    order = np.argsort(samples["batch_id"], kind="stable")
    for batch in np.unique(samples["batch_id"]):
        rows = order[samples["batch_id"][order] == batch]
        losses = samples["loss"][rows].astype(np.float64)
        keep = np.isfinite(losses)
        if len(accepted) >= warmup:
            keep &= losses <= factor * np.sort(accepted)[len(accepted) // 2]
        accepted = (accepted + losses[keep].tolist())[-window:]
        expected[rows] = ~keep
    rejected = samples["rejected"].astype(bool)
    assert np.array_equal(rejected, expected), (
        f"{int((rejected != expected).sum())} verdicts differ from the template's rule")
    assert rejected[poison].any() and rejected[~poison].any(), (
        "the template guard must reject some poison and some clean samples, or the check above "
        "proves little")
    print(f"ok: {len(samples)} samples, {int(poison.sum())} poison, "
          f"{int(rejected[poison].sum())} poison and {int(rejected[~poison].sum())} clean rejected")


if __name__ == "__main__":
    main(*sys.argv[1:4])
