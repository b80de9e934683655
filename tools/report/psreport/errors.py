"""Failures the user can fix: reported as one line `error: FILE: problem`, exit code 2."""
import sys


class ReportError(Exception):
    def __init__(self, where, message):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def progress(message):
    """A progress line on stderr (stdout stays for the result)."""
    print(f"report: {message}", file=sys.stderr, flush=True)
