# expect: guard run 6 returned an array of shape
import numpy as np


class Guard:
    def judge(self, batch):
        return np.ones(len(batch.losses) + 1, dtype=bool)
