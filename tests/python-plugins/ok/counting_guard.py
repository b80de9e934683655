"""A guard whose verdicts depend on its state: the loss-threshold rule, and each batch whose
count is a perfect square rejected whole (not periodic: a count lost at a resume shows). With `stop_at: N` it sends the simulator SIGTERM at its N-th batch (a stop with a
checkpoint, deterministically placed). The checkpoint tests of tests/python_plugins_test.cpp use
it with state() (CountingGuard) and without (StatelessGuard)."""
import math
import os
import signal

import numpy as np


class StatelessGuard:
    def __init__(self, options):
        self.batches = 0
        self.stop_at = int(options.get("stop_at", 0))

    def judge(self, batch):
        self.batches += 1
        if self.batches == self.stop_at:
            os.kill(os.getpid(), signal.SIGTERM)
        losses = batch.losses.astype(np.float64)
        accept = np.isfinite(losses) & (losses <= 3.0)
        return accept & (math.isqrt(self.batches) ** 2 != self.batches)


class CountingGuard(StatelessGuard):
    def state(self):
        return {"batches": self.batches}

    def load_state(self, state):
        self.batches = state["batches"]
