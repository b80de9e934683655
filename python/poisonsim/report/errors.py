"""Failures the user can fix: reported as one line `error: FILE: problem`, exit code 2."""
import sys

from poisonsim.errors import InputError

# One error type: a bad input found by the Python package is the report's bad input.
ReportError = InputError


def progress(message):
    """A progress line on stderr (stdout stays for the result)."""
    print(f"report: {message}", file=sys.stderr, flush=True)
