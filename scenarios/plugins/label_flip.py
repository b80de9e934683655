"""The label-flip baseline written as a poisonsim Python attacker (docs/plugins.md).

With `labels: next-class` (the default) it sends what the C++ `type: label-flip` attacker sends:
clean images of the attacker's pool, drawn through request.draw_seed_rows() (the attacker's own
random stream, as the C++ attackers draw their seeds), labelled with the next class. With
`labels: random-other` it draws the wrong classes from NumPy seeded with request.seed: the same
run for the same seed, but not the C++ attacker's numbers (that one draws from its stream).

    attackers:
      - name: flipper
        type: python
        file: scenarios/plugins/label_flip.py
        class: LabelFlip
        arrival: {rate: 0.3}
        batch_size: 8
"""
import numpy as np


class LabelFlip:
    def __init__(self, options):
        self.labels = options.get("labels", "next-class")
        if self.labels not in ("next-class", "random-other"):
            raise ValueError(f"labels must be next-class or random-other, got {self.labels!r}")

    def generate(self, request):
        rows = request.draw_seed_rows(request.count)
        images = request.pool_images[rows]  # indexing copies: float32 (n, C, H, W) in [0, 1]
        true = request.pool_labels[rows]
        if self.labels == "next-class":
            labels = (true + 1) % request.num_classes
        else:  # uniform over the other classes
            shift = np.random.default_rng(request.seed).integers(1, request.num_classes, len(true))
            labels = (true + shift) % request.num_classes
        return images, labels, rows  # rows: each poison's clean seed, for the trace

    # Nothing changes from batch to batch; saying so lets a checkpointed run resume.
    def state(self):
        return None

    def load_state(self, state):
        pass
