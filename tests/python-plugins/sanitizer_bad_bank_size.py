# expect: sanitizer validate 7 bank_size is 0, expected a positive integer
import numpy as np


class Sanitizer:
    # The constructor sets it: an error there is reported at the constructor's line.
    def __init__(self, options):
        self.bank_size = 0

    def sanitize(self, window):
        return np.ones(len(window.labels), dtype=bool)
