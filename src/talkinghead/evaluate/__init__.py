"""Evaluation: lip-sync and quality metrics (docs/architecture.md, "Metrics"), the SyncNet protocol, plots.

``evaluate(generated, reference=None)`` tracks both videos and returns an :class:`Evaluation`;
``plot_curves`` draws its opening curves; :mod:`.syncnet` adds LSE-D / LSE-C when the user supplies
SyncNet weights.
"""

from .compare import Curves, Evaluation, add_sync_scores, evaluate
from .plot import plot_curves

__all__ = ["Curves", "Evaluation", "add_sync_scores", "evaluate", "plot_curves"]
