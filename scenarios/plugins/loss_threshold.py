"""The paper's loss-threshold guard written as a poisonsim Python plug-in (docs/plugins.md).

It makes the same decisions as the C++ `type: loss-threshold` guard: a sample is accepted when
its loss on the deployed model is finite and at most `threshold`. Used as

    guard:
      type: python
      file: scenarios/plugins/loss_threshold.py
      class: LossThreshold
      threshold: 3.0
"""
import numpy as np


class LossThreshold:
    def __init__(self, options):
        self.threshold = float(options.get("threshold", 3.0))
        if not (self.threshold > 0 and np.isfinite(self.threshold)):
            raise ValueError(f"threshold must be a positive number, got {self.threshold}")

    def judge(self, batch):
        # batch.losses are float32, as the C++ guard sees them; compared in double precision as
        # C++ compares a float with a double threshold.
        losses = batch.losses.astype(np.float64)
        return np.isfinite(losses) & (losses <= self.threshold)

    # Nothing changes while the run goes on, but a checkpointed run can only resume a plug-in
    # that says so.
    def state(self):
        return None

    def load_state(self, state):
        pass
