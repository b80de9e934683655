# expect: guard validate 7 KeyError: 'threshold'
import numpy as np


class Guard:
    def __init__(self, options):
        self.threshold = float(options["threshold"])  # the scenario does not set it

    def judge(self, batch):
        return batch.losses <= self.threshold
