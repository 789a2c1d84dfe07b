"""``avatar.json``: what an enrolled avatar is made of, as typed records with their JSON form.

The JSON layout is the avatar format's (``FORMAT_VERSION``); the version is checked once, in
:meth:`AvatarMeta.from_json`, and every reader uses the fields, not the JSON keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..motion.head import HeadStyle
from .bank import CropGeometry

FORMAT_VERSION = 3  # bump when the files change meaning; loading then asks to enroll again


class MetaVersionError(ValueError):
    """``avatar.json`` was written by another format version."""

    def __init__(self, version: object) -> None:
        super().__init__(f"format version {version}, this talkinghead reads version {FORMAT_VERSION}")
        self.version = version


@dataclass(frozen=True)
class SourceClip:
    """One enrolled video.

    Attributes:
        path: absolute path of the video (frames are read from it: avatars refer to their footage).
        frames: frames taken from it, at the avatar's fps.
        width, height: its frame size, px.
        source_fps: its own frame rate, frames/s.
        duration: its length, s.
        transcript: what was said in it (given, or recognised), or None.
        words: aligned words (0 without a transcript).
        transcript_source: "given" (by the user), "recognised" (heard by pocketsphinx, English),
            or "none" (nothing recognised, or a pose-only avatar: the clip lends its mouth
            shapes, textures and sound, but no phoneme timings).
    """

    path: str
    frames: int
    width: int
    height: int
    source_fps: float
    duration: float
    transcript: str | None
    words: int
    transcript_source: str = "given"


@dataclass(frozen=True)
class Counts:
    """Frames over all clips: enrolled, with a face found, usable as texture/shape data, inside
    speech; and the number of clips."""

    frames: int
    found: int
    usable: int
    speaking: int
    clips: int


@dataclass(frozen=True)
class Coverage:
    """How much of the phoneme inventory the footage showed.

    Attributes:
        phonemes_with_own_pose: phonemes whose key pose comes from their own occurrences.
        phonemes_backed_off: phonemes that borrow their viseme class's (or the neutral) pose.
        occurrences: aligned phoneme occurrences in all.
    """

    phonemes_with_own_pose: int
    phonemes_backed_off: tuple[str, ...]
    occurrences: int


@dataclass(frozen=True)
class Quality:
    """How well the face was tracked: median rigid-fit residual (IOD units) and the share of
    frames with a face."""

    rigid_residual_iod_median: float
    found_rate: float


@dataclass(frozen=True)
class AvatarMeta:
    """The contents of ``avatar.json``.

    Attributes:
        fps: the avatar's frame rate, frames/s (tracks, bank and background are at it).
        frame_size: (width, height) px of the first clip.
        pose_only: enrolled without sound or transcripts (no dictionary data, no mouth model).
        sources: the enrolled clips, in track order (``AvatarTracks.clip`` indexes them).
        skipped: (path, reason) of clips that could not be enrolled.
        counts, coverage, quality: see their classes.
        crop: where bank crops sit in the canonical frame.
        mouth_model_frames: frames the per-person mouth model was fitted on (0: no model).
        head_motion: how the person's head moves with their speech (None: not measured, e.g.
            an avatar enrolled before it was; renders then estimate it from the tracked poses,
            :meth:`~talkinghead.avatar.model.Avatar.head_style`).
        created: ISO 8601 local time of enrollment.
        enroll_seconds: wall time of enrollment, s.
        format_version: the avatar format (always ``FORMAT_VERSION`` once loaded).
    """

    fps: float
    frame_size: tuple[int, int]
    pose_only: bool
    sources: tuple[SourceClip, ...]
    skipped: tuple[tuple[str, str], ...]
    counts: Counts
    coverage: Coverage
    quality: Quality
    crop: CropGeometry
    mouth_model_frames: int
    created: str
    enroll_seconds: float
    format_version: int = FORMAT_VERSION
    head_motion: HeadStyle | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "created": self.created,
            "fps": self.fps,
            "frame_size": list(self.frame_size),
            "pose_only": self.pose_only,
            "sources": [vars(s) for s in self.sources],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "counts": vars(self.counts),
            "coverage": {**vars(self.coverage), "phonemes_backed_off": list(self.coverage.phonemes_backed_off)},
            "quality": vars(self.quality),
            "crop": self.crop.to_json(),
            "background": {"kind": "reference",
                           "note": "frames are read from the source videos listed in 'sources'"},
            "enroll_seconds": self.enroll_seconds,
            "mouth_model": {"frames": self.mouth_model_frames},
            **({"head_motion": self.head_motion.to_json()} if self.head_motion is not None else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AvatarMeta:
        """Raises MetaVersionError for another format version, KeyError/TypeError/ValueError for
        a damaged file."""
        version = d.get("format_version") if isinstance(d, dict) else None
        if version != FORMAT_VERSION:
            raise MetaVersionError(version)
        coverage = d["coverage"]
        return cls(
            fps=float(d["fps"]),
            frame_size=(int(d["frame_size"][0]), int(d["frame_size"][1])),
            pose_only=bool(d["pose_only"]),
            sources=tuple(SourceClip(**s) for s in d["sources"]),
            skipped=tuple((s["path"], s["reason"]) for s in d["skipped"]),
            counts=Counts(**d["counts"]),
            coverage=Coverage(int(coverage["phonemes_with_own_pose"]), tuple(coverage["phonemes_backed_off"]),
                              int(coverage["occurrences"])),
            quality=Quality(**d["quality"]),
            crop=CropGeometry.from_json(d["crop"]),
            mouth_model_frames=int(d.get("mouth_model", {}).get("frames", 0)),
            created=str(d["created"]),
            enroll_seconds=float(d["enroll_seconds"]),
            format_version=int(version),
            head_motion=HeadStyle.from_json(d["head_motion"]) if "head_motion" in d else None,
        )
