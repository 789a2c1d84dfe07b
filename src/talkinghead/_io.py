"""Output files: checked before any work, and they appear whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError


def check_output(path: str | os.PathLike, suffixes: Iterable[str] = (), what: str = "output",
                 folder: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written; raise InputError naming it if not.

    Args:
        path: the file (or, with ``folder``, the folder) to be written.
        suffixes: the allowed suffixes ('.mp4'), compared case-insensitively; empty: any.
        what: what is written, for the message ("video", "timings").
        folder: ``path`` is a folder to create (an existing one may be replaced), not a file.

    Returns:
        ``path`` as a Path.

    Raises:
        InputError: a wrong suffix; the folder it goes in is missing, not a folder or not
            writable; or (a file) ``path`` is an existing folder.
    """
    target = Path(path)
    allowed = tuple(suffixes)
    if allowed and target.suffix.lower() not in {s.lower() for s in allowed}:
        raise InputError(f"cannot write {what} to '{target}'", f"name the output {' or '.join(allowed)}")
    parent = target.parent  # Path('o.mp4').parent is Path('.')
    if not parent.is_dir():
        if parent.exists():
            raise InputError(f"cannot write '{target}': '{parent}' is not a folder", "choose another output path")
        raise InputError(f"output folder '{parent}' does not exist",
                         f"create the folder '{parent}' first, or choose another output path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write '{target}': no permission to write in the folder '{parent}'",
                         "choose a folder you can write to")
    if not folder and target.is_dir():
        raise InputError(f"cannot write {what} to '{target}': it is a folder", "give a file name")
    return target


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = check_output(path)
    parent = target.parent
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
