"""Exceptions raised by the toolkit."""


class ValidationError(ValueError):
    """Input does not match what the toolkit expects.

    The message names the file (or argument), the row and column, what was
    expected and what was found. ``problems`` holds the individual findings.
    """

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.problems = list(problems or [])


class InfeasibleError(ValueError):
    """An optimisation problem has no solution; the message says why."""
