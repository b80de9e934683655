#!/usr/bin/python3
"""Writes loss_scorer.pt: the loss-threshold guard's score as a TorchScript module
(docs/plugins.md, "A TorchScript guard"). Its forward takes the batch's per-sample losses and
returns them as the scores, so

    guard: {type: torchscript, file: loss_scorer.pt, input: losses, threshold: 3.0, rule: above}

rejects what `{type: loss-threshold, threshold: 3.0}` rejects. Run with Debian's python3-torch
(the PyTorch of the LibTorch poisonsim links):

    /usr/bin/python3 scenarios/plugins/make_loss_scorer.py [OUT.pt]
"""
import sys

import torch


class LossScore(torch.nn.Module):
    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return losses


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "loss_scorer.pt"
    torch.jit.script(LossScore()).save(out)
    print(f"wrote {out}")
