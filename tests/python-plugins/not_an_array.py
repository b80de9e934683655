# expect: guard run 6 returned list
import numpy as np


class Guard:
    def judge(self, batch):
        return [True] * len(batch.losses)
