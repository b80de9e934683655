# expect: sanitizer validate 5 class Sanitizer has no method sanitize()
import numpy as np


class Sanitizer:
    def judge(self, batch):
        return np.ones(len(batch.losses), dtype=bool)
