# expect: attacker run 6 returned labels 10 for sample 0 of 8: expected 0 to 9
import numpy as np


class Attacker:
    def generate(self, request):
        images = request.pool_images[: request.count].copy()
        return images, np.full(request.count, request.num_classes)
