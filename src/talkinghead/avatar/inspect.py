"""Looking at an avatar: a coverage table and a contact sheet of key poses over real mouths."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .._io import atomic_output
from ..face import MOUTH
from ..face.landmarks import JAW, LIPS_INNER, LIPS_OUTER
from ..motion.head import MIN_BROW_RAISE_IOD
from ..phonemes import SILENCE, Viseme
from ..video import pick_frames
from .model import Avatar

KEYPOSES_FILE = "keyposes.png"
TILE_PX = 160  # contact-sheet tile side, pixels
LABEL_PX = 22  # height of the caption strip under each tile, pixels
COLUMNS = 8


def coverage_table(avatar: Avatar) -> str:
    """Phonemes and viseme classes: occurrences, spread (% of IOD) and backoff, as text."""
    d = avatar.dictionary
    rows = [f"{'phoneme':<8}{'viseme':<15}{'count':>6}{'spread %IOD':>13}  pose from"]
    for key, e in sorted(d.phonemes.items(), key=lambda kv: (-kv[1].count, kv[0])):
        rows.append(f"{key:<8}{e.viseme:<15}{e.count:>6}{e.spread * 100:>13.1f}  "
                    f"{'own data' if e.backoff is None else e.backoff}")
    rows.append("")
    rows.append(f"{'viseme class':<23}{'count':>6}{'spread %IOD':>13}  pose from")
    for name, e in d.visemes.items():
        source = "rest frames" if name == Viseme.SILENCE.value else (
            "own data" if e.backoff is None else e.backoff)
        rows.append(f"{name:<23}{e.count:>6}{e.spread * 100:>13.1f}  {source}")
    m = avatar.meta
    own = m.coverage.phonemes_with_own_pose
    rows.append("")
    rows.append("clip transcripts (what the phoneme timings were learnt from):")
    for s in m.sources:
        name = Path(s.path).name
        if s.transcript_source == "given":
            rows.append(f"  {name}: given, {s.words} words aligned")
        elif s.transcript_source == "recognised":
            # How much of the clip the recognised words cover is the confidence we can state:
            # misheard words still time their phones on the sound; a short hit on long speech
            # means most of it taught nothing about phonemes.
            shown = s.transcript if len(s.transcript or "") <= 60 else (s.transcript or "")[:57] + "..."
            rows.append(f"  {name}: recognised (English, no transcript given), {s.words} words in "
                        f"{s.duration:.1f} s: \"{shown}\"")
        else:
            rows.append(f"  {name}: no words recognised: mouth shapes and textures only")
    rows.append("")
    rows.append(f"{m.counts.clips} clips, {m.counts.frames} frames "
                f"({m.counts.usable} usable), {own} of {len(d.phonemes)} phonemes with their "
                f"own key pose; face found in {m.quality.found_rate:.1%} of frames; rigid-fit "
                f"residual median {m.quality.rigid_residual_iod_median * 100:.2f} % of IOD")
    h = m.head_motion
    if h is not None:
        follows = (f"its speed follows the loudness with r = {h.loudness_r:.2f} at {h.lag_s * 1000:+.0f} ms"
                   if np.isfinite(h.loudness_r) else "no sound to relate it to")
        rows.append(f"head motion while speaking: {h.speed_iod_s:.3f} IOD/s, range {h.range_iod:.3f} IOD, roll "
                    f"{h.roll_deg:.1f}°; {follows}; brows raised up to {h.brow_raise_iod:.3f} IOD"
                    + ("" if h.brow_raise_iod >= MIN_BROW_RAISE_IOD else " (too little to raise them on emphasis)")
                    + (f"; nods on {h.nods_per_stress:.0%} of stressed syllables ({h.nods_over_chance:+.0%} against "
                       "chance)" if np.isfinite(h.nods_over_chance) else ""))
    else:
        rows.append("head motion: not measured (enrolled before it was): renders estimate it from the tracked "
                    "poses; enroll again to learn how it follows the voice")
    return "\n".join(rows)


def contact_sheet(avatar: Avatar, path: str | os.PathLike | None = None) -> Path:
    """Write a PNG: per phoneme with data (and the rest pose), its key-pose landmarks drawn over
    the real bank crop whose mouth is closest to it. Returns the path (default
    ``NAME.avatar/keyposes.png``)."""
    d = avatar.dictionary
    entries = [(SILENCE, d.rest, "rest")] + [
        (k, e.key_pose, f"{k} ({e.count})") for k, e in sorted(
            d.phonemes.items(), key=lambda kv: (kv[1].viseme, kv[0])) if e.backoff is None]
    mouths = avatar.tracks.canonical[:, MOUTH].astype(np.float32)
    usable = avatar.tracks.usable & ~np.isnan(mouths).any(axis=(1, 2))
    candidates = np.flatnonzero(usable)
    nearest = []
    for _, pose, _ in entries:
        dist = np.sqrt(((mouths[candidates] - pose) ** 2).sum(-1).mean(-1))
        nearest.append(int(candidates[np.argmin(dist)]))
    crops = pick_frames(avatar.bank_path, nearest)
    rows = (len(entries) + COLUMNS - 1) // COLUMNS
    sheet = np.full((rows * (TILE_PX + LABEL_PX), COLUMNS * TILE_PX, 3), 255, np.uint8)
    scale = TILE_PX / avatar.crop.size
    for i, ((_, pose, _), frame) in enumerate(zip(entries, nearest)):
        tile = cv2.resize(crops[frame], (TILE_PX, TILE_PX), interpolation=cv2.INTER_AREA)
        pts = avatar.crop.to_crop(pose) * scale
        _draw_shape(tile, pts)
        r, c = divmod(i, COLUMNS)
        y, x = r * (TILE_PX + LABEL_PX), c * TILE_PX
        sheet[y:y + TILE_PX, x:x + TILE_PX] = tile
    sheet = _captions(sheet, [c for _, _, c in entries])
    target = Path(path) if path is not None else avatar.path / "keyposes.png"
    with atomic_output(target) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {target}")
    return target


def _captions(sheet: np.ndarray, captions: list[str]) -> np.ndarray:
    """Write the captions under the tiles with a font that has IPA (OpenCV's fonts do not)."""
    from matplotlib import font_manager  # ships with mediapipe, and so does its DejaVu Sans
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 14)
    image = Image.fromarray(sheet)
    draw = ImageDraw.Draw(image)
    for i, caption in enumerate(captions):
        r, c = divmod(i, COLUMNS)
        draw.text((c * TILE_PX + 4, r * (TILE_PX + LABEL_PX) + TILE_PX + 2), caption, fill=(0, 0, 0),
                  font=font)
    return np.asarray(image)


def _draw_shape(tile: np.ndarray, pts: np.ndarray) -> None:
    """Key-pose outline on an RGB tile: lips in red, inner lips in yellow, jaw in cyan."""
    n_outer, n_inner = len(LIPS_OUTER), len(LIPS_INNER)
    groups = [(pts[:n_outer], (230, 40, 40), True), (pts[n_outer:n_outer + n_inner], (250, 220, 0), True),
              (pts[n_outer + n_inner:n_outer + n_inner + len(JAW)], (0, 200, 230), False)]
    for g, colour, closed in groups:
        cv2.polylines(tile, [np.round(g * 16).astype(np.int32)], closed, colour, 1, cv2.LINE_AA, shift=4)
