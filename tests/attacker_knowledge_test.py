#!/usr/bin/python3
"""What a stale or surrogate attacker actually sees (`knowledge: {model: ...}`, docs/scenario.md),
through the simulation: a label-flip attacker that sends only the flips its known model scores
under the loss guard's threshold (`evade: {threshold: known, margin: 0}`). The guard scores each
sample on the deployed model, so a flip is rejected only where the two models differ:

- current: the attacker judges with the deployed model itself, so no flip it sends is rejected;
- stale (1 retrain behind): the same model until the first deployment, so nothing is rejected
  before it, and the model one deployment old after it, so some flips are;
- surrogate: a model of its own from the start, so flips are rejected before any deployment.

Run: POISONSIM_BINARY=build/poisonsim /usr/bin/python3 -m unittest attacker_knowledge_test
(ctest: attacker_knowledge_python)
"""
import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

TESTS = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(TESTS, "scenarios", "synthetic-small.yaml")  # retrains every 20 s


def run(knowledge, directory):
    """(times of the poison samples, their rejected flags, the first deployment's time)."""
    path = os.path.join(directory, "run.h5")
    attacker = ("[{name: flipper, type: label-flip, arrival: {rate: 0.5}, batch_size: 8, "
                "evade: {threshold: known, margin: 0}, knowledge: {model: " + knowledge + "}}]")
    subprocess.run([os.environ["POISONSIM_BINARY"], "--log-level", "warn", "run", SCENARIO,
                    "-o", path, "--force", "--quiet", "--set", f"attackers={attacker}",
                    "--set", "compute.numerics=portable"],
                   check=True, capture_output=True, env={**os.environ,
                                                         "POISONSIM_CACHE_DIR": directory})
    with h5py.File(path, "r") as f:
        samples, retrains = f["samples"][:], f["retrains"][:]
    poison = samples[samples["is_poison"] == 1]
    first_deploy = float(retrains["time"][retrains["deployed"] == 1].min())
    return poison["time"], poison["rejected"].astype(bool), first_deploy


class AttackerKnowledge(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self._dir.cleanup()

    def test_current_knowledge_sees_the_deployed_model(self):
        times, rejected, _ = run("current", self._dir.name)
        self.assertGreater(len(times), 100)
        self.assertEqual(int(rejected.sum()), 0)

    def test_stale_knowledge_sees_the_model_one_deployment_old(self):
        times, rejected, first_deploy = run("stale, stale_retrains: 1", self._dir.name)
        self.assertEqual(int(rejected[times < first_deploy].sum()), 0)
        self.assertGreater(int(rejected[times >= first_deploy].sum()), 0)

    def test_a_surrogate_is_a_model_of_its_own_from_the_start(self):
        times, rejected, first_deploy = run("surrogate", self._dir.name)
        self.assertGreater(int(rejected[times < first_deploy].sum()), 0)
        self.assertGreater(np.mean(rejected), 0.1)


if __name__ == "__main__":
    unittest.main()
