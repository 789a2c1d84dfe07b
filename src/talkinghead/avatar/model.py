"""The avatar on disk: a versioned ``NAME.avatar/`` directory, and loading it back."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._io import atomic_output
from ..errors import InputError
from ..face.landmarks import MOUTH
from ..motion.head import GENERIC_HEAD, HeadStyle, fit_head_style, head_stats
from ..motion.learned import MouthModel
from ..progress import ProgressHook, no_progress
from .bank import CropGeometry
from .dictionary import PhonemePoseDictionary
from .meta import AvatarMeta, MetaVersionError

if TYPE_CHECKING:
    from ..motion.plan import SequenceLookup

META_FILE = "avatar.json"
TRACKS_FILE = "tracks.npz"
DICTIONARY_FILE = "dictionary.json"
BANK_FILE = "bank.mp4"
MOUTH_MODEL_FILE = "mouth_model.npz"  # absent for pose-only avatars and very short footage
REQUIRED_FILES = (META_FILE, TRACKS_FILE, DICTIONARY_FILE, BANK_FILE)


@dataclass(frozen=True, eq=False)
class AvatarTracks:
    """Per-frame arrays over all enrolled frames (N), in bank order.

    Attributes:
        clip: (N,) int32 index into ``Avatar.meta.sources``.
        frame: (N,) int32 frame number within that source, at the avatar's fps.
        found: (N,) bool, a face was tracked.
        usable: (N,) bool, the face fit is good enough to serve as texture and shape data.
        pose: (N, 4) float32 filtered head pose [scale px/IOD, angle rad, tx px, ty px].
        canonical: (N, 478, 2) float16 pose-free landmarks, IOD units (NaN: no face).
        residual: (N,) float32 rigid-fit RMS residual, IOD units.
        phoneme: (N,) int16 index into ``labels`` of the phoneme at the frame's centre.
        labels: (L,) str, the phoneme keys ``phoneme`` indexes ('sil' among them).
        speaking: (N,) bool, the frame is inside speech (not silence).
        lip_gap: (N,) float32 inner-lip opening, IOD units (NaN: no face).
        template: (478, 2) float32 the person's canonical face.
    """

    clip: np.ndarray
    frame: np.ndarray
    found: np.ndarray
    usable: np.ndarray
    pose: np.ndarray
    canonical: np.ndarray
    residual: np.ndarray
    phoneme: np.ndarray
    labels: np.ndarray
    speaking: np.ndarray
    lip_gap: np.ndarray
    template: np.ndarray

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **{k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def load(cls, path: Path) -> AvatarTracks:
        with np.load(path, allow_pickle=False) as z:
            return cls(**{k: z[k] for k in cls.__dataclass_fields__})

    def __len__(self) -> int:
        return len(self.clip)


@dataclass(frozen=True, eq=False)
class Avatar:
    """An enrolled person.

    Attributes:
        path: the ``NAME.avatar`` directory.
        meta: the contents of ``avatar.json`` (see :class:`~talkinghead.avatar.meta.AvatarMeta`).
        tracks: per-frame data (see :class:`AvatarTracks`).
        dictionary: the phoneme-pose dictionary.
        mouth_model: the person's learnt mouth model, None when there was too little speech.
    """

    path: Path
    meta: AvatarMeta
    tracks: AvatarTracks
    dictionary: PhonemePoseDictionary
    mouth_model: MouthModel | None = None

    @property
    def fps(self) -> float:
        """Frame rate of the tracks, bank and background, frames/s."""
        return self.meta.fps

    @property
    def crop(self) -> CropGeometry:
        """Where bank crops sit in the canonical frame."""
        return self.meta.crop

    def sequence_lookup(self) -> SequenceLookup:
        """phoneme, width → the mean pose-sequence deltas (2·width + 1, N_MOUTH, 2) around its
        occurrences' centres in this footage (real dynamics for the key-pose planner), or None
        with fewer than three whole sequences."""
        mouths = self.tracks.canonical[:, MOUTH].astype(np.float32)
        cache: dict[tuple[str, int], np.ndarray | None] = {}

        def lookup(phoneme: str, width: int) -> np.ndarray | None:
            key = (phoneme, width)
            if key not in cache:
                entry = self.dictionary.phonemes.get(phoneme)
                seqs = []
                if entry is not None and entry.backoff is None:
                    for occ in entry.occurrences:
                        a, b = occ.centre - width, occ.centre + width + 1
                        if a < 0 or b > len(mouths) or self.tracks.clip[a] != self.tracks.clip[b - 1]:
                            continue
                        seg = mouths[a:b]
                        if np.isnan(seg).any():
                            continue
                        seqs.append(seg - seg[width])
                cache[key] = np.mean(seqs, axis=0) if len(seqs) >= 3 else None
            return cache[key]

        return lookup

    def head_style(self) -> HeadStyle:
        """How this person's head moves while they speak: as measured at enrollment, or (an
        avatar enrolled before that was measured) estimated from its tracked poses, clip by
        clip, with the generic speaker's relation to loudness (the sound is not at hand)."""
        if self.meta.head_motion is not None:
            return self.meta.head_motion
        t = self.tracks
        pose = np.where(t.usable[:, None], t.pose, np.nan)
        clips = [t.clip == c for c in np.unique(t.clip)]
        style = fit_head_style([head_stats(pose[c], np.zeros(int(c.sum())), self.fps) for c in clips],
                               t.canonical[t.usable])
        if style is None:
            return GENERIC_HEAD
        return dataclasses.replace(style, loudness_r=GENERIC_HEAD.loudness_r, lag_s=GENERIC_HEAD.lag_s)

    def source(self, clip: int) -> Path:
        """The video that enrolled clip ``clip`` (an index of ``tracks.clip``) came from: an
        absolute path, or (a packed avatar) one inside the avatar's folder."""
        p = Path(self.meta.sources[clip].path)
        return p if p.is_absolute() else self.path / p

    @property
    def self_contained(self) -> bool:
        """Whether every clip's footage is inside the avatar's folder (it can be moved or copied
        to another machine): see :func:`pack`."""
        return all(not Path(s.path).is_absolute() for s in self.meta.sources)

    @property
    def bank_path(self) -> Path:
        return self.path / BANK_FILE

    @classmethod
    def load(cls, path: str | os.PathLike) -> Avatar:
        """Open an avatar directory, checking its version and files.

        Raises:
            InputError: not an avatar, a file missing, or made by another format version.
        """
        p = Path(path)
        if not p.is_dir():
            raise InputError(f"avatar '{p}' does not exist", "enroll one first with `talkinghead enroll`")
        from .bank import STORE_DATA, STORE_INDEX

        missing = [f for f in REQUIRED_FILES if not (p / f).is_file()]
        if BANK_FILE in missing and (p / STORE_DATA).is_file() and (p / STORE_INDEX).is_file():
            missing.remove(BANK_FILE)  # a temporary avatar keeps only the random-access bank
        if missing:
            raise InputError(f"avatar '{p}' is incomplete (missing {', '.join(missing)})",
                             "enroll it again with `talkinghead enroll … --force`")
        try:
            meta = AvatarMeta.from_json(json.loads((p / META_FILE).read_text(encoding="utf-8")))
        except MetaVersionError as exc:
            raise InputError(f"avatar '{p}' was made by {exc}",
                             "enroll the same footage again with `talkinghead enroll … --force`") from None
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise InputError(f"avatar '{p}' has an unreadable {META_FILE} ({exc.__class__.__name__}: {exc})",
                             "enroll it again with --force") from None
        try:
            tracks = AvatarTracks.load(p / TRACKS_FILE)
            dictionary = PhonemePoseDictionary.from_json(
                json.loads((p / DICTIONARY_FILE).read_text(encoding="utf-8")))
            mouth_model = MouthModel.load(p / MOUTH_MODEL_FILE) if (p / MOUTH_MODEL_FILE).is_file() else None
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"avatar '{p}' has damaged data ({exc.__class__.__name__}: {exc})",
                             "enroll it again with --force") from None
        if len(tracks) != meta.counts.frames:
            raise InputError(f"avatar '{p}' is inconsistent: {len(tracks)} tracked frames, "
                             f"{meta.counts.frames} expected", "enroll it again with --force")
        return cls(p, meta, tracks, dictionary, mouth_model)


FOOTAGE_DIR = "footage"  # a packed avatar's copies of its source videos


def pack(path: str | os.PathLike, progress: ProgressHook = no_progress) -> int:
    """Make an avatar self-contained: copy the footage it refers to into its ``footage/`` folder
    and refer to the copies by relative path, so the folder can be moved, copied to another node
    or archived. Returns the number of videos copied (0: it already was).

    Raises:
        InputError: not an avatar, or a source video is missing (re-enroll it from the footage).
    """
    avatar = Avatar.load(path)
    p = avatar.path
    sources = list(avatar.meta.sources)
    todo = [k for k, s in enumerate(sources) if Path(s.path).is_absolute()]
    missing = [sources[k].path for k in todo if not Path(sources[k].path).is_file()]
    if missing:
        raise InputError(f"avatar '{p}' refers to footage that is gone ({Path(missing[0]).name}"
                         f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''})",
                         "enroll the person again from their videos")
    (p / FOOTAGE_DIR).mkdir(exist_ok=True)
    for n, k in enumerate(todo):
        src = Path(sources[k].path)
        rel = Path(FOOTAGE_DIR) / f"clip{k:04d}{src.suffix.lower()}"
        with atomic_output(p / rel) as tmp:
            shutil.copyfile(src, tmp)
        sources[k] = dataclasses.replace(sources[k], path=rel.as_posix())
        progress("pack", n + 1, len(todo))
    if todo:
        meta = dataclasses.replace(avatar.meta, sources=tuple(sources))
        with atomic_output(p / META_FILE) as tmp:
            tmp.write_text(json.dumps(meta.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return len(todo)
