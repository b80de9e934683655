# expect: guard validate 5 SyntaxError
import numpy as np

class Guard:
    def judge(self, batch)
        return np.ones(len(batch.losses), dtype=bool)
