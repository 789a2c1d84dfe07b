"""The phoneme-pose dictionary (Text2Video): per phoneme, the person's key mouth pose.

Built from canonical mouth shapes (see :mod:`talkinghead.face`) at aligned phoneme occurrences.
A phoneme seen fewer than ``MIN_OCCURRENCES`` times borrows its viseme class's pose; a class with
too little data borrows the rest pose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..face import lip_gap
from ..phonemes import INVENTORY, SILENCE, Viseme, viseme_of

MIN_OCCURRENCES = 3  # fewer than this: back off to the viseme class
REST_GUARD_FRAMES = 2  # silence frames this close to speech are not "rest" (lips still moving)
REST_CLOSED_QUANTILE = 0.4  # rest = the most closed 40 % of interior silence frames


@dataclass(frozen=True)
class Occurrence:
    """One aligned phoneme: global frame indices into the avatar's tracks."""

    start: int  # first frame
    end: int  # last frame (inclusive)
    centre: int  # frame at the phoneme's temporal centre


@dataclass(frozen=True, eq=False)
class PhonemePose:
    """A phoneme's (or viseme class's) entry.

    Attributes:
        name: inventory key ('p', 'aɪ') or viseme class name ('bilabial').
        viseme: its viseme class name.
        count: occurrences with a usable face at their centre.
        spread: mean RMS distance of those occurrences' mouths from the key pose, IOD units.
        key_pose: (N_MOUTH, 2) float32 canonical mouth shape, IOD units.
        occurrences: where it was seen (the pose sequences, as frame ranges into the tracks).
        backoff: None when the key pose is the entry's own mean, else where it came from:
            "viseme:<class>" or "rest".
    """

    name: str
    viseme: str
    count: int
    spread: float
    key_pose: np.ndarray
    occurrences: tuple[Occurrence, ...] = ()
    backoff: str | None = None

    def to_json(self) -> dict:
        return {"viseme": self.viseme, "count": self.count, "spread": round(self.spread, 5),
                "backoff": self.backoff, "key_pose": np.round(self.key_pose, 5).tolist(),
                "occurrences": [[o.start, o.end, o.centre] for o in self.occurrences]}

    @classmethod
    def from_json(cls, name: str, d: dict) -> PhonemePose:
        return cls(name, d["viseme"], int(d["count"]), float(d["spread"]),
                   np.asarray(d["key_pose"], np.float32),
                   tuple(Occurrence(*o) for o in d.get("occurrences", [])), d.get("backoff"))


@dataclass(frozen=True, eq=False)
class PhonemePoseDictionary:
    """Key poses for every inventory phoneme, every viseme class, and the rest (closed) mouth."""

    rest: np.ndarray  # (N_MOUTH, 2) float32
    phonemes: Mapping[str, PhonemePose]
    visemes: Mapping[str, PhonemePose]

    def key_pose(self, phoneme: str) -> np.ndarray:
        """(N_MOUTH, 2) canonical key pose of an inventory phoneme; silence → rest."""
        if phoneme == SILENCE:
            return self.rest
        return self.phonemes[phoneme].key_pose

    def to_json(self) -> dict:
        return {"rest": np.round(self.rest, 5).tolist(),
                "phonemes": {k: v.to_json() for k, v in self.phonemes.items()},
                "visemes": {k: v.to_json() for k, v in self.visemes.items()}}

    @classmethod
    def from_json(cls, d: dict) -> PhonemePoseDictionary:
        return cls(np.asarray(d["rest"], np.float32),
                   {k: PhonemePose.from_json(k, v) for k, v in d["phonemes"].items()},
                   {k: PhonemePose.from_json(k, v) for k, v in d["visemes"].items()})


def build_dictionary(mouths: np.ndarray, usable: np.ndarray, labels: Sequence[str],
                     occurrences: Mapping[str, Sequence[Occurrence]]) -> PhonemePoseDictionary:
    """Build the dictionary.

    Args:
        mouths: (N, N_MOUTH, 2) canonical mouth shapes of every frame, IOD units (NaN: no face).
        usable: (N,) bool, frames whose face fit is trustworthy.
        labels: (N,) inventory key at each frame's centre (SILENCE in pauses).
        occurrences: per phoneme key, its aligned occurrences.
    """
    rest, n_rest = _rest_pose(mouths, usable, labels)
    own: dict[str, tuple[np.ndarray, tuple[Occurrence, ...]]] = {}
    for key, occs in occurrences.items():
        if key == SILENCE:
            continue
        good = tuple(o for o in occs if usable[o.centre])
        if good:
            own[key] = (mouths[[o.centre for o in good]], good)

    visemes: dict[str, PhonemePose] = {}
    for v in Viseme:
        if v == Viseme.SILENCE:
            visemes[v.value] = PhonemePose(v.value, v.value, n_rest, 0.0, rest)
            continue
        members = [own[k][0] for k in own if viseme_of(k) == v]
        stacked = np.concatenate(members) if members else np.zeros((0,) + rest.shape, np.float32)
        visemes[v.value] = _entry(v.value, v.value, stacked, (), rest, "rest")

    phonemes: dict[str, PhonemePose] = {}
    for key in INVENTORY:
        if key == SILENCE:
            continue
        v = viseme_of(key).value
        shapes, occs = own.get(key, (np.zeros((0,) + rest.shape, np.float32), ()))
        fallback = visemes[v]
        entry = _entry(key, v, shapes, occs, fallback.key_pose,
                       f"viseme:{v}" if fallback.backoff is None else "rest")
        phonemes[key] = entry
    return PhonemePoseDictionary(rest, phonemes, visemes)


def _entry(name: str, viseme: str, shapes: np.ndarray, occs: tuple[Occurrence, ...],
           fallback: np.ndarray, fallback_name: str) -> PhonemePose:
    count = len(shapes)
    if count >= MIN_OCCURRENCES:
        key = shapes.mean(0).astype(np.float32)
        spread = float(np.sqrt(((shapes - key) ** 2).sum(-1).mean(-1)).mean())
        return PhonemePose(name, viseme, count, spread, key, occs, None)
    spread = float(np.sqrt(((shapes - fallback) ** 2).sum(-1).mean(-1)).mean()) if count else 0.0
    return PhonemePose(name, viseme, count, spread, fallback.astype(np.float32), occs, fallback_name)


def _rest_pose(mouths: np.ndarray, usable: np.ndarray, labels: Sequence[str]
               ) -> tuple[np.ndarray, int]:
    """The person's closed, neutral mouth (the most closed interior-silence frames, averaged)
    and how many frames it averages."""
    silent = np.array([lab == SILENCE for lab in labels])
    interior = silent.copy()
    for shift in range(1, REST_GUARD_FRAMES + 1):
        interior[shift:] &= silent[:-shift]
        interior[:-shift] &= silent[shift:]
    pick = interior & usable
    if pick.sum() < MIN_OCCURRENCES:
        pick = usable.copy()
    if not pick.any():
        raise ValueError("no usable face frames to derive a rest mouth from")
    gaps = lip_gap(mouths[pick])
    closed = gaps <= np.quantile(gaps, REST_CLOSED_QUANTILE)
    return mouths[pick][closed].mean(0).astype(np.float32), int(closed.sum())
