#!/usr/bin/python3
"""PyTorch reference of poisonsim's two optimising attacks, for `poisonsim bench attacks --reference`.

The same algorithms as attackers/direct/direct_gradient.cpp (the autograd engine: exact second order
through the victim's SGD step) and attackers/generative/generative_attack.cpp (G's training by both update rules,
checkpoint selection, generation), written with Debian's python3-torch (reference_algorithms.py
beside this file), so that poisonsim's speed
can be stated as a ratio to PyTorch measured in the same run, and so that a test can check that
both compute the same numbers (docs/performance.md, "PyTorch reference").

poisonsim starts it as  /usr/bin/python3 reference_attacks.py --data FILE --threads N
and talks to it in JSON lines: one request per line on stdin, one reply per line on stdout.
FILE is an HDF5 file poisonsim wrote (target weights, model spec, attacker validation subset,
seed pool, seeds, G's initial weights). The first line printed is {"ready": ...} or
{"error": ...} (then the exit code is 3). Requests ("cell" names what to run):

  {"cell": "direct", "n": N, "options": {...}, "retrain_lr": LR}
  {"cell": "generative-train", "options": {...}, "retrain_lr": LR}
  {"cell": "generate", "n": N, "labels": RULE}
  {"cell": "direct-check" | "generative-check", "file": F, "options": {...}, "retrain_lr": LR}
  {"cell": "quit"}

Timings cover the algorithm only (data already in memory), as poisonsim's do.
"""

import argparse
import json
import os
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import h5py
    import numpy as np
    import torch

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference_algorithms import Generator, direct_attack, draw, poison_labels, train_generator
except ImportError as e:  # poisonsim turns this into an error line and exit code 2
    reply({"error": f"{e}: install python3-torch, python3-h5py and python3-numpy (tools/scripts/setup.sh)"})
    sys.exit(3)


# ---- the session: the data poisonsim handed over, and the cells ----


class Session:
    def __init__(self, path):
        with h5py.File(path, "r") as f:
            self.spec = json.loads(f.attrs["model_spec"])
            self.params = self._params(f, "target")
            self.val_x, self.val_y = self._data(f, "validation")
            self.pool_x, self.pool_y = self._data(f, "pool")
            self.seed_x, self.seed_y = self._data(f, "seeds")
            self.gen_spec = json.loads(f.attrs["generator_spec"])
            self.gen_init = self._params(f, "generator")
        self.generator = None
        self.rng = np.random.default_rng(int(self.spec.get("seed", 1)))

    @staticmethod
    def _params(f, group):
        g = f[group]
        return [torch.from_numpy(g[f"p{i}"][()]) for i in range(len(g.keys()))]

    @staticmethod
    def _data(f, group):
        return torch.from_numpy(f[group]["images"][()]), torch.from_numpy(f[group]["labels"][()])

    def validation_for(self, o, rng):
        if o["validation_samples"] < self.val_x.shape[0]:
            i = draw(o["validation_samples"], self.val_x.shape[0], rng)
            return self.val_x.index_select(0, i), self.val_y.index_select(0, i)
        return self.val_x, self.val_y

    def direct(self, req):
        o, n = req["options"], req["n"]
        if n > self.seed_x.shape[0]:
            raise ValueError(f"{n} seeds asked for, the file has {self.seed_x.shape[0]}")
        start = time.perf_counter()
        labels = poison_labels(self.seed_y[:n], o["labels"], self.spec["num_classes"], self.rng)
        val_x, val_y = self.validation_for(o, self.rng)
        _, objective = direct_attack(self.spec, self.params, self.seed_x[:n], labels, val_x, val_y,
                                     o, req["retrain_lr"])
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "samples_per_second": n / seconds,
                "objective_by_iteration": objective}

    def generative_train(self, req):
        o = req["options"]
        start = time.perf_counter()
        self.generator = Generator(self.gen_spec, self.pool_x.shape[1:], self.gen_init)
        report = train_generator(self.spec, self.params, self.generator, self.pool_x, self.pool_y,
                                 self.val_x, self.val_y, o, req["retrain_lr"], self.rng)
        report["seconds"] = time.perf_counter() - start
        report["steps"] = o["steps"]
        del report["rewards"]
        return report

    def generate(self, req):
        if self.generator is None:
            self.generator = Generator(self.gen_spec, self.pool_x.shape[1:], self.gen_init)
        n = req["n"]
        seeds = self.seed_x[:n] if n <= self.seed_x.shape[0] else self.pool_x[:n]
        start = time.perf_counter()
        poison = self.generator.apply(seeds)
        poison_labels(self.seed_y[: poison.shape[0]], req.get("labels", "seed"),
                      self.spec["num_classes"], self.rng)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "samples_per_second": poison.shape[0] / seconds,
                "n": poison.shape[0]}

    def direct_check(self, req):
        """The same problem poisonsim solved: same seeds, labels, validation subset."""
        o = req["options"]
        with h5py.File(req["file"], "r") as f:
            seeds = torch.from_numpy(f["seeds/images"][()])
            labels = torch.from_numpy(f["seeds/labels"][()])
            val_x, val_y = self._data(f, "validation")
            expected = f["expected/poison"][()]
            expected_objective = f["expected/objective"][()]
        poison, objective = direct_attack(self.spec, self.params, seeds, labels, val_x, val_y, o,
                                          req["retrain_lr"])
        return {"max_abs_diff": float(np.abs(poison.numpy() - expected).max()),
                "max_objective_diff": float(np.abs(np.array(objective) - expected_objective).max()),
                "max_abs_change": float(np.abs(poison.numpy() - seeds.numpy()).max())}

    def generative_check(self, req):
        """G trained on poisonsim's problem (pool = one batch, one chunk: batch order does not
        matter) from poisonsim's initial G; its output and rewards compared with poisonsim's."""
        o = req["options"]
        with h5py.File(req["file"], "r") as f:
            pool_x, pool_y = self._data(f, "pool")
            val_x, val_y = self._data(f, "validation")
            init = self._params(f, "initial_generator")
            expected = f["expected/poison"][()]
            expected_rewards = f["expected/rewards"][()]
        gen = Generator(self.gen_spec, pool_x.shape[1:], init)
        before = gen.apply(pool_x).numpy()
        report = train_generator(self.spec, self.params, gen, pool_x, pool_y, val_x, val_y, o,
                                 req["retrain_lr"], np.random.default_rng(0))
        poison = gen.apply(pool_x).numpy()
        rewards = np.array(report["rewards"])
        return {"max_abs_diff": float(np.abs(poison - expected).max()),
                "max_reward_diff": float(np.abs(rewards - expected_rewards).max()),
                "max_abs_change": float(np.abs(poison - before).max())}


CELLS = {
    "direct": Session.direct,
    "generative-train": Session.generative_train,
    "generate": Session.generate,
    "direct-check": Session.direct_check,
    "generative-check": Session.generative_check,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="HDF5 file written by poisonsim")
    parser.add_argument("--threads", type=int, required=True, help="torch.set_num_threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        session = Session(args.data)
    except (OSError, KeyError, ValueError) as e:
        reply({"error": f"{args.data}: {e}"})
        sys.exit(3)
    reply({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
           "python": sys.version.split()[0]})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("cell") == "quit":
            break
        cell = CELLS.get(req.get("cell"))
        if cell is None:
            reply({"error": f"unknown cell {req.get('cell')!r}"})
            continue
        try:
            reply(cell(session, req))
        except (OSError, KeyError, ValueError, RuntimeError) as e:
            reply({"error": f"{req['cell']}: {type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
