# expect: attacker validate 5 class Attacker has no method generate()
import numpy as np


class Attacker:
    def make_poison(self, request):
        return np.zeros((request.count, 1, 12, 12), np.float32), np.zeros(request.count, int)
