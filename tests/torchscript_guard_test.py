#!/usr/bin/python3
"""The `type: torchscript` guard (guards/per_sample/torchscript_guard.h), end to end.

- A module returning the per-sample loss (scenarios/plugins/make_loss_scorer.py), with the loss
  guard's threshold, gives the C++ `loss-threshold` guard's trace: every table hashed as stored
  (golden_traces.table_digests) and every defense column but the stage's type name, at a
  threshold float32 cannot represent (2.3); the negated loss with `rule: below` at -2.3 too.
  The TorchScript runs use --threads 2, the C++ run --threads 1.
- The module file and its SHA-256 are in the provenance and the resolved scenario.
- A module of the logits (input: logits) runs.
- Bad input is one `error:` line and exit 2: a missing file, a file that is not a TorchScript
  archive, an unknown input, no threshold, an unknown rule (all at validation); a module whose
  output has the wrong shape, or whose forward fails (at the first batch, the trace so far kept
  readable).

The modules are made here with Debian's python3-torch (the PyTorch of poisonsim's LibTorch).

Usage: torchscript_guard_test.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import hashlib
import json
import os
import subprocess
import sys

import h5py
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
from golden_traces import TABLES, table_digests  # noqa: E402

PROBLEMS = []


class NegatedLoss(torch.nn.Module):
    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return -losses


class LogitMargin(torch.nn.Module):
    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        own = logits.gather(1, labels.unsqueeze(1)).squeeze(1)
        return logits.max(1).values - own


class OneShort(torch.nn.Module):
    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return losses[1:]


class TwoArguments(torch.nn.Module):
    def forward(self, losses: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return losses + labels


def poisonsim(binary, root, work, arguments):
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(work, "cache"))
    return subprocess.run([binary, "--log-level", "warn"] + arguments, cwd=root, env=env,
                          capture_output=True, text=True)


def run(binary, root, work, name, guard, threads):
    path = os.path.join(work, name + ".h5")
    done = poisonsim(binary, root, work, [
        "run", os.path.join(root, "tests/scenarios/synthetic-small.yaml"), "-o", path, "--force",
        "--quiet", "--threads", str(threads), "--set", "trace.samples=true", "--set",
        f"guard={guard}"])
    if done.returncode != 0:
        sys.exit(f"FAIL: {name} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return path


def tables(path):
    with h5py.File(path, "r") as trace:
        defense = trace["defense"][:]
        columns = {n: defense[n].tobytes() for n in defense.dtype.names if n != "type"}
        types = sorted({t.decode() for t in defense["type"]})
        digests = table_digests(trace, [t for t in TABLES if t != "defense"])
        rejected = int(trace["samples"]["rejected"].sum())
    return digests, columns, types, rejected


def compare(label, script_path, cpp_path):
    script, cpp = tables(script_path), tables(cpp_path)
    before = len(PROBLEMS)
    if script[2] != ["torchscript"] or cpp[2] != ["loss-threshold"]:
        PROBLEMS.append(f"{label}: stage types {script[2]} and {cpp[2]}")
    if script[1] != cpp[1]:
        PROBLEMS.append(f"{label}: defense columns differ")
    if script[0] != cpp[0]:
        PROBLEMS.append(f"{label}: tables differ: "
                        f"{[t for t in cpp[0] if cpp[0][t] != script[0][t]]}")
    if cpp[3] == 0:
        PROBLEMS.append(f"{label}: the C++ guard rejected nothing: the comparison proves little")
    print(f"{label}: {'identical' if len(PROBLEMS) == before else 'differs'} "
          f"({cpp[3]} rejected)")


def expect_error(label, done, fragment, partial=None):
    output = done.stdout + done.stderr
    ok = (done.returncode == 2 and output.startswith("error: ") and output.count("\n") == 1
          and fragment in output)
    if partial:
        ok = ok and os.path.exists(partial) and partial in output
    print(f"{label}: {'one error line' if ok else 'WRONG'}: {output.strip()}")
    if not ok:
        PROBLEMS.append(f"{label}: exit {done.returncode}, output {output!r}")


def main():
    binary, root, work = (os.path.abspath(a) for a in sys.argv[1:4])
    os.makedirs(work, exist_ok=True)
    loss = os.path.join(work, "loss_scorer.pt")
    subprocess.run(["/usr/bin/python3", os.path.join(root, "scenarios/plugins/make_loss_scorer.py"),
                    loss], check=True, capture_output=True)
    modules = {}
    for cls in (NegatedLoss, LogitMargin, OneShort, TwoArguments):
        modules[cls.__name__] = os.path.join(work, cls.__name__ + ".pt")
        torch.jit.script(cls()).save(modules[cls.__name__])

    cpp = run(binary, root, work, "cpp", "{type: loss-threshold, threshold: 2.3}", 1)
    script = run(binary, root, work, "script",
                 f"{{type: torchscript, file: {loss}, input: losses, threshold: 2.3}}", 2)
    compare("loss module, above 2.3", script, cpp)
    negated = run(binary, root, work, "negated",
                  f"{{type: torchscript, file: {modules['NegatedLoss']}, input: [losses], "
                  f"threshold: -2.3, rule: below}}", 2)
    compare("negated loss module, below -2.3", negated, cpp)

    with h5py.File(script, "r") as trace:
        provenance = json.loads(trace.attrs["provenance"])
        scenario = trace.attrs["scenario"]
        scenario = scenario.decode() if isinstance(scenario, bytes) else str(scenario)
    sha256 = hashlib.sha256(open(loss, "rb").read()).hexdigest()
    files = provenance.get("plugin_files", [])
    if not any(f["file"] == loss and f["sha256"] == sha256 for f in files):
        PROBLEMS.append(f"provenance plug-in files {files}, expected {loss} with {sha256}")
    if f"sha256: {sha256}" not in scenario:
        PROBLEMS.append("the resolved scenario does not record the module's sha256")

    run(binary, root, work, "logits",
        f"{{type: torchscript, file: {modules['LogitMargin']}, input: [logits, labels], "
        f"threshold: 5}}", 2)

    scenario = os.path.join(root, "tests/scenarios/synthetic-small.yaml")
    not_archive = os.path.join(work, "not_a_module.pt")
    with open(not_archive, "w") as f:
        f.write("def forward(x): return x\n")
    for label, guard, fragment in [
            ("missing file", "{type: torchscript, file: /nonexistent/s.pt, input: losses, "
             "threshold: 1}", "guard.file: /nonexistent/s.pt: no such file"),
            ("not an archive", f"{{type: torchscript, file: {not_archive}, input: losses, "
             "threshold: 1}", f"{not_archive}: not a TorchScript archive"),
            ("unknown input", f"{{type: torchscript, file: {loss}, input: loss, threshold: 1}}",
             "unknown score input 'loss'"),
            ("no threshold", f"{{type: torchscript, file: {loss}, input: losses}}",
             "guard.threshold"),
            ("unknown rule", f"{{type: torchscript, file: {loss}, input: losses, threshold: 1, "
             "rule: over}", "guard.rule"),
            ("changed file", f"{{type: torchscript, file: {loss}, input: losses, threshold: 1, "
             f"sha256: {'0' * 64}}}", "the file changed")]:
        expect_error(label, poisonsim(binary, root, work,
                                      ["validate", scenario, "--set", f"guard={guard}"]), fragment)
    for label, name, inputs, fragment in [
            ("wrong output shape", "OneShort", "losses", "forward() returned shape ["),
            ("forward fails", "TwoArguments", "losses", "forward() failed on a batch of ")]:
        trace = os.path.join(work, name + ".h5")
        expect_error(label, poisonsim(binary, root, work, [
            "run", scenario, "-o", trace, "--force", "--quiet", "--set",
            f"guard={{type: torchscript, file: {modules[name]}, input: {inputs}, threshold: 1}}"]),
            fragment, partial=trace + ".partial")
        if os.path.exists(trace + ".partial"):
            inspect = poisonsim(binary, root, work, ["inspect", trace + ".partial"])
            if inspect.returncode != 0:
                PROBLEMS.append(f"{label}: the partial trace is not readable")
            os.remove(trace + ".partial")

    for problem in PROBLEMS:
        print("FAIL:", problem)
    sys.exit(1 if PROBLEMS else 0)


if __name__ == "__main__":
    main()
