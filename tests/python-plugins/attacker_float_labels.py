# expect: attacker run 6 returned labels of dtype float64, expected an integer NumPy array
import numpy as np


class Attacker:
    def generate(self, request):
        images = request.pool_images[: request.count].copy()
        return images, np.zeros(request.count)
