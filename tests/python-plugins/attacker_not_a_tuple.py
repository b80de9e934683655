# expect: attacker run 6 returned ndarray, expected a tuple (images, labels)
import numpy as np


class Attacker:
    def generate(self, request):
        return request.pool_images[: request.count].copy()
