"""Captions drawn into the frames: white text with a dark outline on a translucent box, centred in
the bottom safe margin, moved to the top for a cue whose box would cover the mouth.

Each cue is rasterised once (Pillow, TrueType) and alpha-blended into the frames it spans, so a
burned-in caption costs a small blend a frame. Latin text is set in DejaVu Sans Bold (matplotlib's
bundled copy), text holding Chinese in WenQuanYi Micro Hei (the ``paperang-p2-fonts-cjk`` wheel,
Apache-2.0 / GPL-3 with the font exception).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text.segment import is_cjk
from .cues import Captions, Cue, join

SAFE_MARGIN = 0.05  # of the frame's height and width kept clear at its edges (title-safe area)
FONT_HEIGHT = 0.055  # text size, of the frame's height (≈ 16 px at 288 px, 59 px at 1080p)
MIN_FONT_PX = 12  # smaller is unreadable: a frame this small gets more lines instead
BOX_ALPHA = 0.45  # opacity of the dark box behind the text


@functools.cache
def _font_path(cjk: bool) -> str:
    if cjk:
        import paperang_p2_fonts_cjk

        return str(Path(paperang_p2_fonts_cjk.__file__).parent / "fonts" / "wqy-microhei.ttc")
    from matplotlib import font_manager  # ships with mediapipe, and so does its DejaVu Sans

    return font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold"))


@functools.lru_cache(maxsize=64)
def _font(cjk: bool, size: int):  # noqa: ANN202 - a PIL FreeTypeFont
    from PIL import ImageFont

    return ImageFont.truetype(_font_path(cjk), size)


@dataclass(frozen=True)
class _Plate:
    """One cue rasterised: (h, w, 3) float32 RGB over (h, w, 1) alpha."""

    rgb: np.ndarray
    alpha: np.ndarray


class CaptionBurner:
    """Draws ``captions`` into the frames of a video at ``fps`` (any size: the text is sized to
    the frame). Frames must be given in order (:meth:`draw` keeps its place in the cues).
    """

    def __init__(self, captions: Captions, fps: float) -> None:
        self.captions = captions
        self.width, self.height = 0, 0  # pixels, from the frames drawn on
        self.fps = float(fps)
        self._next = 0  # index of the first cue not yet finished
        self._plate: tuple[int, _Plate, int] | None = None  # (cue index, plate, top row)

    def _room(self, font_px: int) -> float:
        """Pixels a line of ``font_px`` text may take: the safe width less the box's padding."""
        return self.width * (1 - 2 * SAFE_MARGIN) - font_px

    def _lines(self, cue: Cue, font_px: int, cjk: bool) -> list[str]:
        """The cue's lines; where one is wider than the frame's safe width, its text re-wrapped
        into as few lines as fit, as even as possible."""
        font = _font(cjk, font_px)
        room = self._room(font_px)
        if all(font.getlength(x) <= room for x in cue.lines):
            return list(cue.lines)
        text = join(cue.lines)
        pieces = list(text.replace(" ", "")) if cjk and " " not in text else text.split(" ")
        glue = "".join if cjk and " " not in text else join

        def greedy(limit: float) -> list[str]:
            out: list[str] = []
            current: list[str] = []
            for p in pieces:
                if current and font.getlength(glue([*current, p])) > limit:
                    out.append(glue(current))
                    current = []
                current.append(p)
            return [*out, glue(current)] if current else out

        lines = greedy(room)
        limit = room
        while limit > 0.3 * room and len(greedy(limit * 0.97)) == len(lines):
            limit *= 0.97
        return greedy(limit)

    def _rasterise(self, cue: Cue) -> _Plate:
        from PIL import Image, ImageDraw

        cjk = any(is_cjk(c) for c in cue.text)
        font_px = max(MIN_FONT_PX, round(self.height * FONT_HEIGHT))
        room = self._room(font_px)
        while font_px > MIN_FONT_PX and max(_font(cjk, font_px).getlength(x) for x in cue.lines) > room:
            font_px -= 1  # a narrow frame: smaller text before more lines
        lines = self._lines(cue, font_px, cjk)
        font = _font(cjk, font_px)
        stroke = max(1, round(font_px / 12))
        line_h = round(font_px * 1.25)
        pad = max(2, font_px // 3)
        text_w = max(int(np.ceil(font.getlength(x))) for x in lines)
        w, h = text_w + 2 * pad + 2 * stroke, line_h * len(lines) + 2 * pad
        box = Image.new("LA", (w, h), (0, round(255 * BOX_ALPHA)))
        draw = ImageDraw.Draw(box)
        for k, line in enumerate(lines):
            x = (w - font.getlength(line)) / 2
            draw.text((x, pad + k * line_h + (line_h - font_px) / 2), line, font=font, fill=(255, 255),
                      stroke_width=stroke, stroke_fill=(0, 255))
        la = np.asarray(box, np.float32) / 255.0
        rgb = np.repeat(la[..., :1], 3, axis=2) * 255.0
        return _Plate(rgb, la[..., 1:2])

    def _top(self, plate: _Plate, mouth_box: tuple[float, float, float, float] | None) -> int:
        """The plate's top row: the bottom safe margin, or the top one where the bottom would
        cover the mouth and jaw (with a quarter of their height to spare)."""
        h = plate.rgb.shape[0]
        bottom = int(self.height * (1 - SAFE_MARGIN)) - h
        if mouth_box is None:
            return max(0, bottom)
        x0, y0, x1, y1 = mouth_box
        spare = 0.25 * max(y1 - y0, 1.0)  # the box holds the jaw already: a little room for head motion
        left = (self.width - plate.rgb.shape[1]) // 2
        right = left + plate.rgb.shape[1]

        def covers(top: int) -> bool:
            return top < y1 + spare and top + h > y0 - spare and left < x1 and right > x0

        if not covers(bottom):
            return max(0, bottom)
        top = int(self.height * SAFE_MARGIN)
        return top if not covers(top) else max(0, bottom)

    def cue_at(self, frame: int) -> int | None:
        """Index of the cue shown on ``frame`` (frames in order), or None."""
        t = (frame + 1e-3) / self.fps
        cues = self.captions.cues
        while self._next < len(cues) and cues[self._next].end <= t:
            self._next += 1
        if self._next < len(cues) and cues[self._next].start <= t:
            return self._next
        return None

    def box(self, frame: int, size: tuple[int, int], mouth_box: tuple[float, float, float, float] | None = None
            ) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) pixels of the caption drawn on ``frame`` of ``size`` (width, height),
        or None; fixes the cue's place at its first frame (a caption does not jump while read)."""
        if (self.width, self.height) != tuple(size):
            self.width, self.height = int(size[0]), int(size[1])
            self._plate = None
        i = self.cue_at(frame)
        if i is None:
            return None
        if self._plate is None or self._plate[0] != i:
            plate = self._rasterise(self.captions.cues[i])
            self._plate = (i, plate, self._top(plate, mouth_box))
        _, plate, top = self._plate
        h, w = plate.rgb.shape[:2]
        left = max(0, (self.width - w) // 2)
        return left, top, min(self.width, left + w), min(self.height, top + h)

    def draw(self, image: np.ndarray, frame: int,
             mouth_box: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """``image`` (H, W, 3) uint8 RGB, frame number ``frame``, with its caption drawn in (a
        copy; the same array when no caption shows). ``mouth_box`` (x0, y0, x1, y1) pixels: where
        the mouth is, which a caption never covers."""
        placed = self.box(frame, (image.shape[1], image.shape[0]), mouth_box)
        if placed is None:
            return image
        x0, y0, x1, y1 = placed
        _, plate, _ = self._plate
        out = image.copy()
        region = out[y0:y1, x0:x1].astype(np.float32)
        a = plate.alpha[:y1 - y0, :x1 - x0]
        out[y0:y1, x0:x1] = (region * (1 - a) + plate.rgb[:y1 - y0, :x1 - x0] * a + 0.5).astype(np.uint8)
        return out


def mouth_box(points: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) pixels bounding (N, 2) mouth points, or None where they are unknown (NaN)."""
    if points is None or not np.isfinite(points).all():
        return None
    return (float(points[:, 0].min()), float(points[:, 1].min()),
            float(points[:, 0].max()), float(points[:, 1].max()))

