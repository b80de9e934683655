#!/usr/bin/python3
"""tools/scripts/accumulative_table.py on a real sweep of the synthetic scenario: a clean-only
attacker and an accumulative one (from 10 s, retrains every 20 s, trigger from 60 s), 2 seeds.
The table names both, counts the stealth retrains (at 20, 40 and 60 s) and the trigger window's
(80 s), and pairs the damage by seed; a sweep without an accumulative attacker is one error line
and exit code 2.

Usage: accumulative_table_test.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import os
import shutil
import subprocess
import sys
import unittest

POISONSIM, ROOT, WORK = sys.argv[1:4] if len(sys.argv) >= 4 else ("", "", "")
SCRIPT = os.path.join(ROOT, "tools", "scripts", "accumulative_table.py")

SCENARIO = """seed: 3
duration: 100
data:
  kind: synthetic
  synthetic: {train: 3000, test: 300, height: 12, width: 12}
  splits: {pretrain: 1000, validation: 300, attacker: 300}
model: {hidden: [32]}
pretrain: {epochs: 3}
streams:
  - {name: public, arrival: {process: fixed, rate: 2}, batch_size: 16}
attackers:
  - {name: none, type: label-flip, arrival: {rate: 1}, batch_size: 8, start: 1.0e9}
retrain: {interval: 20}
gate: {type: validation}
evaluation: {interval: 20}
sweep:
  attackers:
    - [{name: none, type: label-flip, arrival: {rate: 1}, batch_size: 8, start: 1.0e9}]
    - [{name: accumulative, type: label-flip, arrival: {rate: 1}, batch_size: 8, start: 10,
        accumulate: {trigger_at: 60}}]
  seeds: 2
"""


class AccumulativeTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        cls.scenario = os.path.join(WORK, "acc.yaml")
        with open(cls.scenario, "w") as f:
            f.write(SCENARIO)
        cls.sweep = os.path.join(WORK, "acc.h5")
        env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(WORK, "cache"))
        done = subprocess.run([POISONSIM, "--log-level", "warn", "sweep", cls.scenario, "-o",
                               cls.sweep, "--quiet"], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stdout + done.stderr

    def table(self, path):
        return subprocess.run(["/usr/bin/python3", SCRIPT, path], capture_output=True, text=True)

    def test_the_table_counts_stealth_retrains_and_pairs_the_damage_by_seed(self):
        done = self.table(self.sweep)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Stealth retrains: 10 s < t <= 60 s; the trigger window's retrain at 80 s",
                      done.stdout)
        rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines()
                if line.startswith("| none") or line.startswith("| accumulative")}
        self.assertEqual(set(rows), {"none", "accumulative"})
        self.assertIn("of 3 (", rows["none"])  # retrains at 20, 40 and 60 s
        self.assertTrue(rows["none"].rstrip().endswith("| - |"))  # no damage against itself
        cells = [c.strip() for c in rows["accumulative"].split("|")[1:-1]]
        self.assertRegex(cells[2], r"^[1-9][0-9]* \[")  # it sent poison
        self.assertRegex(cells[5], r"^-?[0-9.]+ \[-?[0-9.]+, -?[0-9.]+\]$")  # a paired interval

    def test_a_sweep_without_an_accumulative_attacker_is_one_error_line(self):
        other = os.path.join(WORK, "plain.yaml")
        with open(other, "w") as f:
            f.write(SCENARIO.replace("        accumulate: {trigger_at: 60}}]", "      }]"))
        sweep = os.path.join(WORK, "plain.h5")
        env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(WORK, "cache"))
        done = subprocess.run([POISONSIM, "--log-level", "warn", "sweep", other, "-o", sweep,
                               "--quiet"], capture_output=True, text=True, env=env)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        done = self.table(sweep)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
        self.assertTrue(done.stderr.startswith("error: "), done.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
