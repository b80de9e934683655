# expect: guard validate 5 class Guard has no method judge()
import numpy as np


class Guard:
    def __init__(self, options):
        pass

    def judge_batch(self, batch):  # the wrong name
        return np.ones(len(batch.losses), dtype=bool)
