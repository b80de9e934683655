# expect: attacker run 6 returned pixel value nan in image 0 of 8
import numpy as np


class Attacker:
    def generate(self, request):
        images = np.full((request.count, 1, 12, 12), np.nan, np.float32)
        return images, np.zeros(request.count, np.int64)
