"""A Python attacker to copy and rename (docs/plugins.md, "Templates"): it sends clean seeds from
its own pool with bounded uniform noise and a wrong label (the next class). Replace `generate`
with your method; keep the return types.

    attackers:
      - {name: mine, type: python, file: my_attacker.py, class: MyAttacker, epsilon: 0.1}
"""
import numpy as np


class MyAttacker:
    def __init__(self, options):
        self.epsilon = float(options.get("epsilon", 0.1))
        if not (0 <= self.epsilon <= 1):
            raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")

    def generate(self, request):
        """One call per poison batch: (images, labels[, seed_rows]) of request.count samples."""
        rows = request.draw_seed_rows(request.count)  # drawn as the C++ attackers draw seeds
        rng = np.random.default_rng(request.seed)  # reproducible per run seed and batch
        noise = rng.uniform(-self.epsilon, self.epsilon, request.pool_images[rows].shape)
        images = np.clip(request.pool_images[rows] + noise, 0, 1).astype(np.float32)
        labels = (request.pool_labels[rows] + 1) % request.num_classes
        return images, labels, rows

    def state(self):
        return None

    def load_state(self, state):
        pass
