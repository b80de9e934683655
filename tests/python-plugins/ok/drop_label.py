"""A sanitizer that removes every window sample labelled `label` (default 0), and records what
it was given, so the test can check the window's arrays."""
import numpy as np


class DropLabel:
    def __init__(self, options):
        self.label = int(options.get("label", 0))

    def sanitize(self, window):
        n = len(window.labels)
        assert window.features.shape[0] == n and window.features.dtype == np.float32
        assert window.logits.shape == (n, 10), window.logits.shape
        assert window.sources.shape == (n,) and max(window.sources) < len(window.source_names)
        return window.labels != self.label
