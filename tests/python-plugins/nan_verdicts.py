# expect: guard run 6 returned NaN for sample 0
import numpy as np


class Guard:
    def judge(self, batch):
        return np.full(len(batch.losses), np.nan)
