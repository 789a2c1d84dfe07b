"""Errors a user can act on.

Every stage raises :class:`InputError` (or a subclass) for bad input. The CLI prints
``error: <problem> <fix>`` on one line and exits with status 2; no traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: says what is wrong and what to do about it.

    Args:
        problem: what is wrong, naming the offending input ("audio file 'x.wav' does not exist").
        fix: what the user should do ("check the path").
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: the problem, then the fix."""
        text = self.problem.rstrip(".")
        return f"{text}. {self.fix}".strip() if self.fix else f"{text}."


class AlignmentError(InputError):
    """The transcript could not be aligned to the audio, or the result is implausible."""
