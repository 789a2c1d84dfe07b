"""Progress reporting without prints: stages call a hook, front ends draw the bar."""

from __future__ import annotations

from typing import Protocol


class ProgressHook(Protocol):
    """Called by long-running stages.

    Args:
        task: short name of the work ("align", "track").
        done: units finished so far.
        total: units in all (same unit as ``done``), or None when unknown.
    """

    def __call__(self, task: str, done: float, total: float | None) -> None: ...


def no_progress(task: str, done: float, total: float | None) -> None:
    """The default hook: report nothing."""
