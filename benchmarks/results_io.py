"""What every benchmark script does with its numbers: print them, and write them to ``--json``."""

from __future__ import annotations

import json
import os
from pathlib import Path


def emit(result: dict, path: str | os.PathLike | None) -> int:
    """Print ``result`` as JSON and write it to ``path`` (if given); the script's exit code, 0."""
    text = json.dumps(result, indent=1)
    print(text)
    if path:
        Path(path).write_text(text)
    return 0
