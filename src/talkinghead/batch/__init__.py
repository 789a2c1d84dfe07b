"""Batch: many videos from one manifest, on a local process pool or a Ray cluster.

:func:`read_manifest` reads the rows (CSV or JSON Lines), :func:`run_batch` makes them —
skipping those already made, reporting every row — and :class:`BatchOptions` says where.
"""

from .manifest import BadRow, BatchRow, read_manifest, read_records
from .run import BatchOptions, BatchReport, run_batch
from .work import RowResult

__all__ = ["BadRow", "BatchOptions", "BatchReport", "BatchRow", "RowResult", "read_manifest", "read_records", "run_batch"]
