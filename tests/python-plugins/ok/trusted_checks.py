"""A sanitizer that keeps everything and checks what it is given of the trusted bank: the
deployed model's features of the trusted split's first `bank_size` samples, the same read-only
arrays from window to window until a deploy, new features after each deploy."""
import numpy as np


class TrustedChecks:
    def __init__(self, options):
        self.bank_size = int(options.get("bank_size", 150))
        self.previous = None
        self.deployed = False
        self.windows = 0
        self.refreshes = 0
        self.kept = 0  # windows given the same arrays as the one before
        self.report = options["report"]  # a file: "windows refreshes kept", for the test

    def attach(self, context):
        self.context = context

    def on_deploy(self):
        self.deployed = True

    def sanitize(self, window):
        f, l = window.trusted_features, window.trusted_labels
        m = min(self.bank_size, len(self.context.trusted_labels))
        assert f.shape == (m, self.context.feature_dim) and f.dtype == np.float32, f.shape
        assert l.dtype == np.int64 and np.array_equal(l, self.context.trusted_labels[:m])
        assert not f.flags.writeable and not l.flags.writeable
        if self.previous is not None:
            if self.deployed:
                assert f is not self.previous and not np.array_equal(f, self.previous)
                self.refreshes += 1
            else:
                assert f is self.previous, "copied again without a deploy"
                self.kept += 1
        self.previous, self.deployed = f, False
        self.windows += 1
        with open(self.report, "w") as out:
            out.write(f"{self.windows} {self.refreshes} {self.kept}\n")
        return np.ones(len(window.labels), dtype=bool), 0
