"""Output files appear whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output folder '{parent}' does not exist", "create it or choose another -o path")
    # Hidden, same folder (so the rename is atomic), same suffix (libraries pick formats by it).
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.partial.", suffix=target.suffix, dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes the file private (0600); outputs get the usual permissions for new files.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
