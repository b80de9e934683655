# expect: gate validate 5 class Gate has no method decide()
import math


class Gate:
    def judge(self, candidate):
        return True
