#!/usr/bin/python3
"""`pip install ./python` as README.md says, offline, in a virtual environment that sees Debian's
packages: a copy of the package's source (so the repository stays as it is) is installed into a
fresh `python3 -m venv --system-site-packages` venv with the plain command, build isolation on
and no package index (PIP_NO_INDEX: anything pip would need to download fails the test, as it
would on a machine without network). The venv's python then imports poisonsim from outside any
source tree, checks the installed version is the project's, and opens a trace written by
tests/write_example_trace. Then `pip install -e ./python` (editable) the same way. A copy of
python/ alone (no CMakeLists.txt to take the version from) must fail with the backend's line.

Usage: python_install_test.py SOURCE_ROOT WORK_DIR WRITE_EXAMPLE_TRACE
"""
import os
import re
import shutil
import subprocess
import sys

CHECK = """
import importlib.metadata, sys
import poisonsim
trace = poisonsim.open_trace(sys.argv[1])
assert len(trace.events) > 0 and trace.samples is not None, "the trace read empty"
print(poisonsim.__file__, importlib.metadata.version("poisonsim"), len(trace.events))
"""


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def run(command, cwd, env):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root)
                  for n in names if "__pycache__" not in d)


def main():
    root, work, writer = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    source = os.path.join(work, "source")
    shutil.copytree(os.path.join(root, "python"), os.path.join(source, "python"),
                    ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy(os.path.join(root, "CMakeLists.txt"), source)
    before = files_under(source)
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as f:
        want = re.search(r"project\(poisonsim VERSION ([0-9.]+)", f.read()).group(1)

    venv = os.path.join(work, "venv")
    run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv], work, os.environ)
    trace = os.path.join(work, "example.h5")
    run([writer, trace], work, os.environ)
    outside = os.path.join(work, "elsewhere")
    os.makedirs(outside)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_CACHE_DIR="1", PYTHONDONTWRITEBYTECODE="1")
    pip, python = os.path.join(venv, "bin", "pip"), os.path.join(venv, "bin", "python")

    # Without the project's CMakeLists.txt (nor an sdist's PKG-INFO) there is no version: one
    # clear line from the backend, not a wheel numbered 0.
    lone = os.path.join(work, "lone")
    shutil.copytree(os.path.join(source, "python"), os.path.join(lone, "python"))
    done = subprocess.run([pip, "install", "./python"], cwd=lone, env=env, capture_output=True,
                          text=True)
    if done.returncode == 0 or "no version: build from the poisonsim repository" not in (
            done.stdout + done.stderr):
        fail(f"pip install without CMakeLists.txt exited {done.returncode}:\n{done.stderr}")

    for label, command, where in (
            ("pip install ./python", [pip, "install", "./python"],
             os.path.join(venv, "lib")),
            ("pip install -e ./python", [pip, "install", "-e", "./python"],
             os.path.join(source, "python", "poisonsim"))):
        run(command, source, env)
        shown = run([python, "-c", CHECK, trace], outside, env).split()
        if not shown[0].startswith(where + os.sep):
            fail(f"after {label}, poisonsim is imported from {shown[0]}, expected under {where}")
        if shown[1] != want:
            fail(f"after {label}, the installed version is {shown[1]}, the project's is {want}")
        print(f"{label}: imports {shown[0]}, version {shown[1]}, {shown[2]} events read")
    if files_under(source) != before:
        added = sorted(set(files_under(source)) - set(before))
        fail(f"installing wrote into the source tree: {added}")


if __name__ == "__main__":
    main()
