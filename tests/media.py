"""Test media made on the spot: images as PNG bytes, including one whose header promises far
more pixels than its few kilobytes hold (a decompression bomb)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png(image: np.ndarray) -> bytes:
    """``image`` (H×W×3 uint8) as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def one_bit_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG of any size, a few hundred KB at most: written by hand, row by
    row, so not even the test holds its pixels (20000×20000 is a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    z = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the row's packed bits
    data = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))
