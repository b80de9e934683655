"""Failures the user can fix: a file that is missing, not a poisonsim output, or damaged."""


class InputError(Exception):
    """`where: message`, where names the file (or file:/runs/<id> for a run of a sweep)."""

    def __init__(self, where, message):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
