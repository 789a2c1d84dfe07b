"""Where a batch reads and writes: local paths, or URLs of any file system fsspec knows
(``s3://``, ``gs://``, ``file://``, … — object stores need their fsspec package, e.g. s3fs).

A worker fetches a URL's avatar, photo or recording once into its own cache, renders to a local
file and uploads it whole (so an output at a URL, like a local one, exists only once complete).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import InputError


def is_url(ref: str | os.PathLike) -> bool:
    """Whether ``ref`` names something by URL (``scheme://…``) rather than a local path."""
    return "://" in str(ref)


def join(base: str, name: str) -> str:
    """``name`` under the folder ``base`` (a URL or a local path)."""
    return f"{base.rstrip('/')}/{name}" if is_url(base) else str(Path(base) / name)


def _fs(url: str):  # noqa: ANN202 - an fsspec file system and the path in it
    try:
        import fsspec
    except ImportError:
        raise InputError(f"'{url}' is a URL, and reading URLs needs fsspec", "pip install fsspec") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise InputError(f"cannot open '{url}' ({exc})", "install the fsspec package for that storage "
                                                          "(e.g. s3fs for s3://)") from None


def exists(ref: str) -> bool:
    if not is_url(ref):
        return Path(ref).exists()
    fs, path = _fs(ref)
    return fs.exists(path)


def read_bytes(ref: str) -> bytes:
    if not is_url(ref):
        return Path(ref).read_bytes()
    fs, path = _fs(ref)
    return fs.cat_file(path)


def write_bytes(ref: str, data: bytes) -> None:
    fs, path = _fs(ref)
    fs.pipe_file(path, data)


def fetch(url: str, cache: Path) -> Path:
    """A local copy of the file or folder at ``url`` (fetched once into ``cache``)."""
    fs, path = _fs(url)
    local = cache / hashlib.sha1(url.encode()).hexdigest()[:20]
    if not local.exists():
        part = cache / f".{local.name}.partial"
        if fs.isdir(path):
            fs.get(path.rstrip("/") + "/", str(part), recursive=True)
        else:
            fs.get(path, str(part))
        os.replace(part, local)
    if not fs.isdir(path):  # keep the suffix: readers pick formats by it
        named = cache / f"{local.name}{Path(path).suffix}"
        if not named.exists():
            os.link(local, named)
        return named
    return local


def put(local: Path, url: str) -> None:
    """Upload a finished local file to ``url``."""
    fs, path = _fs(url)
    parent = path.rsplit("/", 1)[0]
    if parent and parent != path:
        fs.makedirs(parent, exist_ok=True)
    fs.put_file(str(local), path)
