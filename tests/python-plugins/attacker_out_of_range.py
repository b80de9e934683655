# expect: attacker run 6 returned pixel value 1.5 in image 2 of 8: poison images must be finite and in [0, 1]
import numpy as np


class Attacker:
    def generate(self, request):
        images = request.pool_images[: request.count].copy()
        images[2, 0, 3, 4] = 1.5
        return images, request.pool_labels[: request.count]
