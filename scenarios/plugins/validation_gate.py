"""The `validation` retrain gate written as a poisonsim Python plug-in (docs/plugins.md): refuse
a retrained model whose clean-validation loss rose by more than `max_loss_increase` nats (or,
when `max_accuracy_drop` is given, whose accuracy fell by more than that). Same decisions,
reasons and margins as the C++ gate.

    gate:
      type: python
      file: scenarios/plugins/validation_gate.py
      class: ValidationGate
      max_loss_increase: 0.05
"""
import math


class ValidationGate:
    def __init__(self, options):
        self.max_loss_increase = float(options.get("max_loss_increase", 0.05))
        drop = options.get("max_accuracy_drop")
        self.max_accuracy_drop = None if drop is None else float(drop)
        if self.max_loss_increase < 0:
            raise ValueError("max_loss_increase must be at least 0")

    def decide(self, candidate):
        if not math.isfinite(candidate.validation_loss_after):
            return (False, "loss_not_finite", math.nan)
        rise = candidate.validation_loss_after - candidate.validation_loss_before
        if rise > self.max_loss_increase:
            return (False, "validation_loss", rise - self.max_loss_increase)
        if self.max_accuracy_drop is not None:
            drop = candidate.validation_accuracy_before - candidate.validation_accuracy_after
            if drop > self.max_accuracy_drop:
                return (False, "validation_accuracy", drop - self.max_accuracy_drop)
        return True

    def state(self):
        return None

    def load_state(self, state):
        pass
