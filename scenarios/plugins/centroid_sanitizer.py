"""A window sanitizer as a poisonsim Python plug-in (docs/plugins.md): per class, remove the
window's samples whose features lie farther from the class's median than `factor` times the
class's median distance. Classes with fewer than `min_class_samples` samples are kept whole.

    sanitize:
      - type: python
        file: scenarios/plugins/centroid_sanitizer.py
        class: CentroidSanitizer
        factor: 3.0
"""
import numpy as np


class CentroidSanitizer:
    def __init__(self, options):
        self.factor = float(options.get("factor", 3.0))
        self.min_class_samples = int(options.get("min_class_samples", 20))
        if self.factor <= 0 or self.min_class_samples < 2:
            raise ValueError("factor must be positive and min_class_samples at least 2")

    def sanitize(self, window):
        keep = np.ones(len(window.labels), dtype=bool)
        for label in np.unique(window.labels):
            rows = np.flatnonzero(window.labels == label)
            if len(rows) < self.min_class_samples:
                continue
            features = window.features[rows].astype(np.float64)
            distances = np.linalg.norm(features - np.median(features, axis=0), axis=1)
            keep[rows] = distances <= self.factor * np.median(distances)
        return keep

    def state(self):
        return None  # nothing carried from one window to the next

    def load_state(self, state):
        pass
