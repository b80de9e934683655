"""A guard that checks what it is given (tests/python_plugins_test.cpp): with needs_features,
features of the model's width, logits whose argmax is the prediction and whose cross-entropy is
the loss (so they follow each deploy), and read-only trusted images of the data's shape."""
import numpy as np


class Guard:
    needs_features = True
    def attach(self, context):
        assert context.trusted_images.shape[1:] == context.image_shape, context.trusted_images.shape
        assert not context.trusted_images.flags.writeable
        self.dim = context.feature_dim
        self.calls = 0
    def judge(self, batch):
        n = len(batch.labels)
        assert batch.features.shape == (n, self.dim), batch.features.shape
        assert batch.images.shape[0] == n
        # the logits' argmax is the model's prediction, and their cross-entropy its loss
        assert (batch.logits.argmax(axis=1) == batch.predictions).all()
        z = batch.logits.astype(np.float64)
        z = z - z.max(axis=1, keepdims=True)
        loss = np.log(np.exp(z).sum(axis=1)) - z[np.arange(n), batch.labels]
        assert np.allclose(loss, batch.losses, atol=1e-4), (loss[:3], batch.losses[:3])
        self.calls += 1
        return np.isfinite(batch.losses) & (batch.losses.astype(np.float64) <= 3.0)
