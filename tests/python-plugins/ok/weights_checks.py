"""An attacker that checks what needs_weights gives (tests/python_plugins_test.cpp): the known
model's parameters by name, read-only, shaped for the synthetic 1x12x12 ten-class data and the
scenario's one hidden layer of 32, the same arrays while the model version stays and new values
after a retrain. A failed assertion ends the run (exit 2). It sends next-class label flips."""
import numpy as np


class Attacker:
    needs_weights = True

    def __init__(self, options):
        self.last = None  # (model_version, weights)
        self.changes = 0

    def generate(self, request):
        weights = request.weights
        shapes = [w.shape for w in weights.values()]
        assert shapes == [(32, 144), (32,), (10, 32), (10,)], shapes
        assert all(w.dtype == np.float32 and not w.flags.writeable for w in weights.values())
        assert request.image_shape == (1, 12, 12) and request.num_classes == 10
        assert request.pool_images.shape[1:] == (1, 12, 12)
        if self.last is not None:
            version, previous = self.last
            if version == request.model_version:
                assert previous is weights
            else:
                assert any(not np.array_equal(previous[k], weights[k]) for k in weights)
                self.changes += 1
                assert self.changes < 100
        self.last = (request.model_version, weights)
        rows = request.draw_seed_rows(request.count)
        return request.pool_images[rows], (request.pool_labels[rows] + 1) % 10, rows
