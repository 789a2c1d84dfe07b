"""Speaking style: how much the mouth articulates, how much the head moves and how often the
eyes blink, as multipliers of the person's own (DreamTalk separates style from content; here a
style is three numbers a user can name, or measure from a reference clip).

``calm`` / ``neutral`` / ``energetic`` are presets; :func:`style_from_stats` matches a reference
clip's measured statistics (its mouth-opening range and head-motion energy) against the
person's own. Neutral is the person as enrolled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..face.landmarks import lip_gap

# How far each multiplier may go (a style outside is refused; one from a reference is clipped):
# a mouth opened beyond twice its own range tears its texture; a head may move much more than
# a still speaker's (matching an animated reference) and still look like a head moving.
STYLE_LIMITS = {"articulation": (0.3, 2.0), "head": (0.1, 10.0), "blinks": (0.2, 5.0)}


@dataclass(frozen=True)
class SpeakingStyle:
    """Multipliers of the person's own delivery.

    Attributes:
        articulation: × the mouth's movement away from its rest shape (1 = as enrolled).
        head: × head motion, speed and range (1 = as enrolled).
        blinks: × the blink rate where blinks are drawn (a photo; footage keeps its own).
        name: what the user called it ('calm', 'neutral', 'energetic', 'from <clip>').
    """

    articulation: float = 1.0
    head: float = 1.0
    blinks: float = 1.0
    name: str = "neutral"

    def __post_init__(self) -> None:
        for key, (lo, hi) in STYLE_LIMITS.items():
            v = getattr(self, key)
            if not (lo <= v <= hi):
                raise ValueError(f"style {key} must be within {lo}–{hi}, got {v}")


STYLES = {
    "calm": SpeakingStyle(articulation=0.75, head=0.55, blinks=0.7, name="calm"),
    "neutral": SpeakingStyle(),
    "energetic": SpeakingStyle(articulation=1.3, head=1.7, blinks=1.3, name="energetic"),
}


def opening_range(mouth: np.ndarray) -> float:
    """How far a mouth opens: the 95th − 5th percentile of the inner-lip gap (IOD) over frames
    of canonical mouths (n, N_MOUTH, 2) (NaN frames ignored)."""
    gap = lip_gap(np.asarray(mouth, np.float64))
    gap = gap[np.isfinite(gap)]
    return float(np.percentile(gap, 95) - np.percentile(gap, 5)) if gap.size else float("nan")


def rest_shape(mouth: np.ndarray) -> np.ndarray:
    """(N_MOUTH, 2): the plan's own rest, the mean of its least open tenth of frames."""
    gap = lip_gap(mouth)
    k = max(1, len(gap) // 10)
    return mouth[np.argsort(gap)[:k]].mean(0)


def articulate(mouth: np.ndarray, factor: float) -> np.ndarray:
    """Mouths (n, N_MOUTH, 2) canonical with their movement away from rest × ``factor`` (a
    closed mouth stays closed, so pauses stay sealed)."""
    if abs(factor - 1.0) < 1e-9 or len(mouth) == 0:
        return mouth
    rest = rest_shape(mouth)
    return (rest + factor * (mouth - rest)).astype(mouth.dtype)


def style_from_stats(own_opening: float, own_head_speed: float, ref_opening: float, ref_head_speed: float,
                     name: str = "reference") -> SpeakingStyle:
    """The style that turns a person's statistics (mouth-opening range IOD, head speed IOD/s)
    into a reference's; a statistic that could not be measured leaves its multiplier at 1."""
    def ratio(ref: float, own: float, key: str) -> float:
        if not (np.isfinite(ref) and np.isfinite(own)) or own <= 0:
            return 1.0
        return float(np.clip(ref / own, *STYLE_LIMITS[key]))

    return SpeakingStyle(articulation=ratio(ref_opening, own_opening, "articulation"),
                         head=ratio(ref_head_speed, own_head_speed, "head"), name=f"from {name}")
