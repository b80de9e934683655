"""A Python guard to copy and rename (docs/plugins.md, "Templates"): the same rule as the C++
template guards/template/my_guard.cpp. It rejects a sample whose loss is more than `factor`
times the median loss of the last `window` samples it accepted (so no threshold in nats to
choose); until it has accepted `warmup` samples it accepts every finite loss. A batch is judged
against what was accepted before it. Replace `judge` with your rule; keep the return type.

    guard: {type: python, file: my_guard.py, class: MyGuard, factor: 3, window: 256, warmup: 32}
"""
from collections import deque

import numpy as np


class MyGuard:
    def __init__(self, options):
        # Your own keys arrive in `options`; raise on a bad one and validation fails at load,
        # with one error line naming this file and line.
        self.factor = float(options.get("factor", 3.0))
        self.window = int(options.get("window", 256))
        self.warmup = int(options.get("warmup", 32))
        if not (np.isfinite(self.factor) and self.factor > 1):
            raise ValueError(f"factor must be a number > 1, got {self.factor}")
        if not 1 <= self.warmup <= self.window:
            raise ValueError(f"need 1 <= warmup <= window, got {self.warmup} and {self.window}")
        self.accepted = deque(maxlen=self.window)  # float32 losses, oldest first

    def judge(self, batch):
        """One call per arriving batch: a bool array, True accepts (docs/plugins.md)."""
        losses = batch.losses.astype(np.float64)
        keep = np.isfinite(losses)
        if len(self.accepted) >= self.warmup:
            # The upper median, as the C++ template's nth_element at n / 2 takes it.
            median = np.sort(np.asarray(self.accepted, dtype=np.float64))[len(self.accepted) // 2]
            keep &= losses <= self.factor * median
        self.accepted.extend(batch.losses[keep].tolist())
        return keep

    # Checkpoints: what `judge` changes between calls. Without these two methods a checkpointed
    # run refuses to resume.
    def state(self):
        return list(self.accepted)

    def load_state(self, state):
        self.accepted = deque(state, maxlen=self.window)
