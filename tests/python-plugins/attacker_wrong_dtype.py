# expect: attacker run 6 returned images of dtype float64, expected a float32 NumPy array
import numpy as np


class Attacker:
    def generate(self, request):
        images = np.zeros((request.count, 144))  # float64: NumPy's default
        return images, np.zeros(request.count, np.int64)
