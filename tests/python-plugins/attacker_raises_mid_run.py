# expect: attacker run 13 KeyError: 'no such class'
import numpy as np


class Attacker:
    def __init__(self, options):
        self.batches = 0

    def generate(self, request):
        self.batches += 1
        rows = request.draw_seed_rows(request.count)
        if self.batches == 6:  # well into the run: rows are already in the trace
            raise KeyError("no such class")
        return request.pool_images[rows], (request.pool_labels[rows] + 1) % 10, rows
