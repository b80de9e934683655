# expect: sanitizer run 6 returned unjudged = -1, expected an integer from 0
import numpy as np


class Sanitizer:
    def sanitize(self, window):
        return np.ones(len(window.labels), dtype=bool), -1
