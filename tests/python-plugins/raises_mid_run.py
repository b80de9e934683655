# expect: guard run 13 ZeroDivisionError: division by zero
import numpy as np


class Guard:
    def __init__(self, options):
        self.batches = 0

    def judge(self, batch):
        self.batches += 1
        if self.batches == 40:  # well into the run: rows are already in the trace
            empty = 0
            return batch.losses * (1 / empty)
        return np.isfinite(batch.losses) & (batch.losses.astype(np.float64) <= 3.0)
