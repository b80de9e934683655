# expect: gate run 6 returned str, expected True/False or a tuple (allow, reason, margin)
import math


class Gate:
    def decide(self, candidate):
        return "deploy"
