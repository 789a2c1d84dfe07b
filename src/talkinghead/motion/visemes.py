"""Generic visemes: mouth shapes for a face with no footage, from articulatory parameters.

Each viseme class is a small set of articulator settings (jaw opening, lip rounding, spread,
upper-lip raise, lip closure, lower lip to the upper teeth). :func:`articulate` turns a setting
into a displacement of the person's own neutral (closed) lips and jaw in the canonical frame, so
the shapes scale with their face. :func:`generic_key_pose` hands them to the same key-pose
planner an enrolled avatar uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..face.landmarks import JAW, LIPS_INNER, LIPS_OUTER, N_MOUTH
from ..phonemes import SILENCE, Viseme, viseme_of
from .plan import _INNER_LOWER, _INNER_UPPER, PoseLookup, _close_lips

_NO, _NI = len(LIPS_OUTER), len(LIPS_INNER)
# Positions inside MOUTH. Contours run clockwise from the right corner: points 1..9 are upper
# lip, 11..19 lower lip, 0 and 10 the corners.
_UPPER = np.concatenate([np.arange(1, 10), _NO + np.arange(1, 10)])
_LOWER = np.concatenate([np.arange(11, 20), _NO + np.arange(11, 20)])
_CORNERS = np.array([0, 10, _NO, _NO + 10])
_OUTER_UPPER = np.arange(1, 10)
_OUTER_LOWER = _NO - np.arange(1, 10)
_JAW = np.arange(_NO + _NI, _NO + _NI + len(JAW))
assert N_MOUTH == _NO + _NI + len(JAW)


@dataclass(frozen=True)
class Articulation:
    """Articulator settings of one viseme (canonical units: 1 = the inter-ocular distance).

    Attributes:
        jaw: jaw opening, IOD: how far the lower lip's centre drops.
        rounding: lip rounding/protrusion, 0–1: the mouth narrows and the opening rounds.
        spread: lip spread, 0–1: the mouth widens and the corners lift a little.
        raise_upper: upper-lip raise, IOD.
        closed: the lips meet (p b m, silence).
        labiodental: the lower lip rises to the upper teeth (f v).
    """

    jaw: float = 0.0
    rounding: float = 0.0
    spread: float = 0.0
    raise_upper: float = 0.0
    closed: bool = False
    labiodental: bool = False


V = Viseme
SETTINGS: dict[Viseme, Articulation] = {
    V.SILENCE: Articulation(closed=True),
    V.BILABIAL: Articulation(jaw=0.02, closed=True),
    V.LABIODENTAL: Articulation(jaw=0.05, labiodental=True),
    V.DENTAL: Articulation(jaw=0.05, spread=0.2),
    V.ALVEOLAR: Articulation(jaw=0.04, spread=0.1),
    V.SIBILANT: Articulation(jaw=0.03, spread=0.5, raise_upper=0.01),
    V.POSTALVEOLAR: Articulation(jaw=0.04, rounding=0.6, raise_upper=0.02),
    V.VELAR: Articulation(jaw=0.07),
    V.RHOTIC: Articulation(jaw=0.05, rounding=0.5),
    V.ROUNDED_GLIDE: Articulation(jaw=0.035, rounding=1.0),
    V.OPEN_VOWEL: Articulation(jaw=0.20, spread=0.1, raise_upper=0.015),
    V.MID_VOWEL: Articulation(jaw=0.14, spread=0.15),
    V.SPREAD_VOWEL: Articulation(jaw=0.09, spread=0.8, raise_upper=0.015),
    V.ROUNDED_VOWEL: Articulation(jaw=0.12, rounding=0.8),
}
ROUND_NARROWING = 0.3  # full rounding narrows the mouth by this fraction of its width
SPREAD_WIDENING = 0.12  # full spread widens it by this fraction
LABIODENTAL_GAP_IOD = 0.035  # the lower lip sits this far below the upper inner lip for f/v


def neutral_mouth(mouth: np.ndarray) -> np.ndarray:
    """The same lips at rest: inner lips brought together (each lip moves as a whole, by half
    the gap at its column) and the jaw raised with the lower lip.

    Args:
        mouth: (N_MOUTH, 2) canonical mouth/jaw of a portrait, possibly open or smiling.

    Returns:
        (N_MOUTH, 2) float64 closed mouth.
    """
    m = np.asarray(mouth, np.float64).copy()
    half = (m[_INNER_LOWER, 1] - m[_INNER_UPPER, 1]) / 2  # (9,) per column, ≥ 0 when open
    half = np.clip(half, 0, None)
    cols = (m[_INNER_UPPER, 0] + m[_INNER_LOWER, 0]) / 2
    order = np.argsort(cols)
    xs = np.concatenate([[m[0, 0], m[10, 0]], cols[order]])
    vs = np.concatenate([[0.0, 0.0], half[order]])
    order2 = np.argsort(xs)

    def shift(x: np.ndarray) -> np.ndarray:
        return np.interp(x, xs[order2], vs[order2])

    m[_UPPER, 1] += shift(m[_UPPER, 0])
    m[_LOWER, 1] -= shift(m[_LOWER, 0])
    m[_JAW, 1] -= float(half.max(initial=0.0)) * _jaw_weight(m)
    return m


def _jaw_weight(m: np.ndarray) -> np.ndarray:
    """How much each jaw-contour point follows the chin (0 at ear level, 1 at the chin)."""
    y = m[_JAW, 1]
    top = min(y[0], y[-1])
    return np.clip((y - top) / max(y.max() - top, 1e-6), 0, 1) ** 1.5


def articulate(neutral: np.ndarray, a: Articulation) -> np.ndarray:
    """A viseme's mouth: ``neutral`` (N_MOUTH, 2) canonical closed mouth displaced by ``a``.

    Returns:
        (N_MOUTH, 2) float64 canonical mouth/jaw, IOD units.
    """
    m = np.asarray(neutral, np.float64).copy()
    cx = (m[0, 0] + m[10, 0]) / 2
    half_w = max(abs(m[10, 0] - m[0, 0]) / 2, 1e-6)
    lips = np.arange(_NO + _NI)
    u = np.clip((m[lips, 0] - cx) / half_w, -1, 1)
    centre = np.sqrt(1 - u**2)  # 1 mid-mouth, 0 at the corners

    # Width: rounding narrows, spreading widens (about the mouth's centre line).
    scale = 1 - ROUND_NARROWING * a.rounding + SPREAD_WIDENING * a.spread
    m[lips, 0] = cx + (m[lips, 0] - cx) * scale
    m[_CORNERS, 1] -= 0.02 * a.spread
    # Jaw: the lower lip drops with it (most in the middle), corners a little, chin fully.
    lower = np.isin(lips, _LOWER)
    m[lips[lower], 1] += a.jaw * (0.55 + 0.45 * centre[lower])
    m[_CORNERS, 1] += 0.35 * a.jaw
    m[_JAW, 1] += a.jaw * _jaw_weight(m)
    # Rounding protrudes the lips: seen from the front, they thicken and the opening rounds.
    m[_OUTER_UPPER, 1] -= 0.015 * a.rounding * centre[_OUTER_UPPER]
    m[_OUTER_LOWER, 1] += 0.015 * a.rounding * centre[_OUTER_LOWER]
    upper = np.isin(lips, _UPPER)
    m[lips[upper], 1] -= a.raise_upper * centre[upper]
    if a.labiodental:  # the whole lower lip rises until its inner edge meets the upper teeth
        rise = m[_INNER_LOWER, 1] - (m[_INNER_UPPER, 1] + LABIODENTAL_GAP_IOD)
        m[_INNER_LOWER, 1] -= rise
        m[_OUTER_LOWER, 1] -= rise
    if a.closed:
        _close_lips(m[None], [True], 0.0)
    return m


def generic_key_pose(neutral: np.ndarray) -> PoseLookup:
    """phoneme → (N_MOUTH, 2) key pose for a face known only from ``neutral``; 'sil' → rest."""
    poses = {v: articulate(neutral, s).astype(np.float32) for v, s in SETTINGS.items()}

    def lookup(phoneme: str) -> np.ndarray:
        return poses[Viseme.SILENCE if phoneme == SILENCE else viseme_of(phoneme)]

    return lookup


def generic_mouths(neutral: np.ndarray, steps: int = 5) -> np.ndarray:
    """Every shape a face known only from ``neutral`` makes with the generic visemes: each
    viseme pose and the blends between every two of them, (k, N_MOUTH, 2) float32; what a
    :class:`~talkinghead.motion.universal.MouthSpace` of the face is fitted on."""
    poses = [articulate(neutral, s).astype(np.float64) for s in SETTINGS.values()]
    w = np.linspace(0, 1, steps)[:, None, None]
    blends = [a * (1 - w) + b * w for i, a in enumerate(poses) for b in poses[i + 1:]]
    return np.concatenate(blends).astype(np.float32)


def expected_opening(phoneme: str) -> float:
    """The jaw opening (IOD) a viseme asks for: the 'expected openness' of a phoneme."""
    if phoneme == SILENCE:
        return 0.0
    a = SETTINGS[viseme_of(phoneme)]
    return 0.0 if a.closed else a.jaw

