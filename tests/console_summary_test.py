#!/usr/bin/python3
"""`poisonsim run`'s closing summary and `poisonsim inspect` of the same trace say the same
thing, field by field (issue 29: run called sources clean/poison where inspect said
stream/attacker, counted events differently, ended its progress on another accuracy and printed
times to 14 decimals).

One small run (tests/scenarios/synthetic-small.yaml, 40 simulated seconds, checkpoints on) is
compared with inspect's text and JSON: events, duration, each source's kind and counts in the
same order, retrains, the first, last and lowest accuracy, the last progress line's accuracy;
and a stopped run's logged checkpoint size against the file's.

Usage: console_summary_test.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

BINARY, ROOT, WORK = sys.argv[1:4] if len(sys.argv) >= 4 else (None, None, None)
NUMBER = r"[0-9.]+%?"


def poisonsim(*args):
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(WORK, "cache"))
    done = subprocess.run([BINARY, *args], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"poisonsim {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout}\n{done.stderr}")
    return done


# Of the refused retrains, those with no poison in the buffer (printed when any was refused).
NO_POISON = r" by the gate(?:, (\d+) with no poison in the buffer)?"


def counts(match):
    return tuple(None if g is None else int(g) for g in match.groups()) if match else None


def run_summary(text):
    """The fields of run's closing summary (tools/cli/run_output.cpp)."""
    head = re.search(r"trace written to (\S+) \((\d+) events over (\S+) simulated seconds", text)
    sources = re.findall(rf"^  (\S+) +(\S+) +(\d+) +(\d+) +(\d+) +({NUMBER})$", text, re.M)
    retrains = re.search(rf"^  retrains: (\d+) \((\d+) deployed, (\d+) refused{NO_POISON}",
                         text, re.M)
    accuracy = re.search(r"accuracy: ([0-9.]+) after pretraining, ([0-9.]+) at the end "
                         r"\(lowest ([0-9.]+)\)", text)
    # A field not found is None: the test of that field fails, naming it, and the others run.
    return {
        "events": int(head.group(2)) if head else None,
        "duration": head.group(3) if head else None,
        "sources": [(n, k, int(b), int(s), int(r), p) for n, k, b, s, r, p in sources
                    if n != "source"],
        "retrains": counts(retrains),
        "accuracy": accuracy.groups() if accuracy else None,
        "text": text,
    }


def inspect_summary(text):
    """The same fields from inspect's text (tools/cli/verbs/inspect_command.cpp)."""
    head = re.search(r"^run .* (\d+) events over (\S+) simulated seconds", text, re.M)
    rows = re.findall(rf"^(\S+) +(stream|attacker) +(\d+) +(\d+) +(\d+) +(\d+) +({NUMBER})$",
                      text, re.M)
    retrains = re.search(rf"^retrains +(\d+) \((\d+) deployed, (\d+) refused{NO_POISON}",
                         text, re.M)
    accuracy = re.search(r"^accuracy +first ([0-9.]+) at .*, last ([0-9.]+) at .*, "
                         r"min ([0-9.]+) at", text, re.M)
    return {
        "events": int(head.group(1)) if head else None,
        "duration": head.group(2) if head else None,
        "sources": [(n, k, int(b), int(s), int(r), p) for n, k, b, s, _, r, p in rows],
        "retrains": counts(retrains),
        "accuracy": accuracy.groups() if accuracy else None,
        "text": text,
    }


class RunAndInspectAgree(unittest.TestCase):
    def same(self, field):
        ran, inspected = self.ran[field], self.inspected[field]
        message = (f"{field}: run says {ran}, inspect says {inspected}\n--- run:\n"
                   f"{self.ran['text']}\n--- inspect:\n{self.inspected['text']}")
        self.assertIsNotNone(ran, message)
        self.assertEqual(ran, inspected, message)

    @classmethod
    def setUpClass(cls):
        os.makedirs(WORK, exist_ok=True)
        cls.trace = os.path.join(WORK, "console.h5")
        cls.run_json = os.path.join(WORK, "console-run.json")
        scenario = os.path.join(ROOT, "tests/scenarios/synthetic-small.yaml")
        cls.ran_process = poisonsim("run", scenario, "--set", "duration=40", "-o", cls.trace, "--force",
                            "--checkpoint-every", "15", "--json", cls.run_json)
        cls.inspected_process = poisonsim("inspect", cls.trace)
        cls.inspect_json = json.loads(poisonsim("inspect", cls.trace, "--json").stdout)
        cls.ran = run_summary(cls.ran_process.stdout)
        cls.inspected = inspect_summary(cls.inspected_process.stdout)

    def test_events_and_duration(self):
        self.same("events")
        self.same("duration")
        self.assertEqual(self.ran["events"], self.inspect_json["run"]["events"])

    def test_sources_same_names_kinds_counts_and_order(self):
        self.same("sources")
        self.assertEqual({k for _, k, *_ in self.ran["sources"]}, {"stream", "attacker"})
        with open(self.run_json) as f:
            run_json = json.load(f)
        from_run = [(name, s["kind"], s["batches"], s["samples"], s["rejected"])
                    for name, s in run_json["sources"].items()]
        from_inspect = [(s["name"], s["kind"], s["batches"], s["samples"], s["rejected"])
                        for s in self.inspect_json["sources"]]
        self.assertEqual(from_run, from_inspect)

    def test_retrains(self):
        self.same("retrains")

    def test_accuracies(self):
        self.same("accuracy")

    def test_last_progress_line_ends_on_the_summarys_accuracy(self):
        lines = [l for l in self.ran_process.stderr.splitlines() if l.startswith("simulate:")]
        self.assertTrue(lines, self.ran_process.stderr)
        shown = re.search(r"accuracy ([0-9.]+)", lines[-1])
        self.assertIsNotNone(shown, lines[-1])
        self.assertEqual(shown.group(1), self.ran["accuracy"][1], lines[-1])

    def test_no_number_printed_to_more_than_four_decimals(self):
        for text in (self.ran_process.stdout, self.inspected_process.stdout):
            self.assertIsNone(re.search(r"\d\.\d{5,}", text), text)

    def test_logged_checkpoint_size_is_the_files(self):
        # A finished run replaces its checkpoint with a small record of its end: the last
        # checkpoint stays on disk only when a signal stops the run, so this one is stopped.
        checkpoint = os.path.join(WORK, "stopped.checkpoint")
        trace = os.path.join(WORK, "stopped.h5")
        for leftover in (checkpoint, trace, trace + ".partial"):
            if os.path.exists(leftover):
                os.remove(leftover)
        scenario = os.path.join(ROOT, "tests/scenarios/synthetic-small.yaml")
        env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(WORK, "cache"))
        process = subprocess.Popen(
            [BINARY, "run", scenario, "--set", "duration=100000000", "-o", trace,
             "--checkpoint", checkpoint], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env)
        deadline = time.monotonic() + 120
        while not os.path.exists(trace + ".partial") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # into the simulation
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=600)[1]
        self.assertEqual(process.returncode, 128 + signal.SIGTERM, stderr)
        logged = re.findall(r"checkpoint at simulated time [0-9.]+ s -> (\S+) \(([0-9.]+) MB\)",
                            stderr)
        self.assertTrue(logged, stderr)
        path, megabytes = logged[-1]
        self.assertEqual(path, checkpoint)
        self.assertEqual(megabytes, f"{os.path.getsize(path) / 1e6:.1f}")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
