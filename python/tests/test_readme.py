"""README.md's first analysis snippet (after "A trace and a sweep open in pandas"), run as
written on a real run and sweep of the binary: only its two file names are replaced."""
import os
import re

import matplotlib

matplotlib.use("Agg")  # the snippet plots; no display here

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def snippet():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    start = text.index("A trace and a sweep open in pandas")
    return re.search(r"```python\n(.*?)```", text[start:], re.DOTALL).group(1)


def test_readme_snippet_runs_on_a_real_trace_and_sweep(real_trace, real_sweep, capsys):
    code = snippet()
    assert "poisonsim.open_trace(" in code and "poisonsim.open_sweep(" in code
    assert "h5py" not in code, "the README's snippet should read through the package"
    for name, path in (("runs/quickstart.h5", real_trace), ("runs/thresholds.h5", real_sweep)):
        assert f'"{name}"' in code, f"the snippet no longer opens {name}"
        code = code.replace(f'"{name}"', repr(path))
    # Every line that is an expression is checked to give something (exec drops the values).
    namespace = {}
    for line in code.splitlines():
        statement = line.split("#")[0].rstrip()
        if not statement:
            continue
        try:
            value = eval(compile(statement, "README.md", "eval"), namespace)
            assert value is not None or statement.startswith("print("), statement
            if hasattr(value, "__len__"):
                assert len(value) > 0, f"{statement} gave nothing"
        except SyntaxError:
            exec(compile(statement, "README.md", "exec"), namespace)
    assert "duration: 60" in capsys.readouterr().out  # the scenario printed, defaults filled in
    curves = eval("runs.groupby(['guard.threshold', 'time']).accuracy.mean().unstack(0)",
                  namespace)
    assert list(curves.columns) == [1.0, 3.0] and curves.notna().all().all()
