# expect: guard run 6 returned an array of dtype int64
import numpy as np


class Guard:
    def judge(self, batch):
        return np.ones(len(batch.losses), dtype=np.int64)
