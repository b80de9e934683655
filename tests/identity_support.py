"""What the identity tests share (a plug-in against the C++ stage of the same rule, trace for
trace: python_guard_identity.py, python_attacker_identity.py, python_sanitizer_identity.py):
running the binary into a trace, comparing the tables' digests (golden_traces.table_digests),
and the rule for the Fashion-MNIST pairs (skipped, and said so, when the data set is not
installed, unless POISONSIM_REQUIRE_REAL_DATA is set, which fails them).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
from golden_traces import TABLES, table_digests  # noqa: E402,F401  (re-exported)

FASHION = "/usr/share/datasets/fashion-mnist"


def run_trace(binary, root, work, name, scenario, overrides, threads, env_extra=None):
    """`poisonsim run SCENARIO --set OVERRIDE...` into WORK/NAME.h5 with its own model cache;
    the trace's path. A failed run ends the test with the command and its output."""
    path = os.path.join(work, name + ".h5")
    command = [binary, "--log-level", "warn", "run", scenario, "-o", path, "--force", "--quiet",
               "--threads", str(threads)]
    for override in overrides:
        command += ["--set", override]
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(work, "cache"), **(env_extra or {}))
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAIL: {' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return path


def scenario_text(trace):
    """The resolved scenario a trace holds, as str."""
    text = trace.attrs["scenario"]
    return text.decode() if isinstance(text, bytes) else str(text)


def digest_problems(label, cpp_digests, python_digests):
    """One line per table whose digest differs between the two runs."""
    problems = []
    for table, want in cpp_digests.items():
        have = python_digests[table]
        if want is None and have is None:
            continue
        if want is None or have is None or want["sha256"] != have["sha256"]:
            problems.append(f"{label}: table {table} differs: C++ {want and want['rows']} rows, "
                            f"python {have and have['rows']} rows")
    return problems


def fashion_mnist_installed(problems):
    """Whether the Fashion-MNIST pairs can run; otherwise says why (or fails, see above)."""
    if os.path.isdir(FASHION):
        return True
    if os.environ.get("POISONSIM_REQUIRE_REAL_DATA"):
        problems.append(f"Fashion-MNIST is not installed at {FASHION}")
    else:
        print(f"skipped the quickstart pair: no Fashion-MNIST at {FASHION}")
    return False


def finish(problems):
    for problem in problems:
        print("FAIL:", problem)
    sys.exit(1 if problems else 0)
