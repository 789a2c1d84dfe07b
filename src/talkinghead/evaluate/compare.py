"""Evaluate a generated video: against a reference video, or against its own soundtrack."""

from __future__ import annotations

import itertools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..face import FaceTracker, TrackOptions, track_frames
from ..face.landmarks import N_LANDMARKS
from ..progress import ProgressHook, no_progress
from ..speech.features import silent_frames, speech_envelope
from ..video import VideoInfo, load_audio, probe, read_frames
from . import metrics as M

if TYPE_CHECKING:  # torch is optional (the SyncNet metric)
    import torch

log = logging.getLogger(__name__)

AUDIO_RATE = 16000  # Hz, for the speech envelope


@dataclass(frozen=True, eq=False)
class Curves:
    """Per-frame series for plotting, (n,) each, at the evaluation frame rate."""

    fps: float
    opening_gen: np.ndarray  # inner-lip gap / IOD
    opening_ref: np.ndarray | None
    envelope_db: np.ndarray | None  # speech loudness of the generated video's audio, dB
    silent: np.ndarray | None  # bool, frames inside pauses


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Metric values (name → number), notes on what was adjusted, and curves for the plot."""

    metrics: dict[str, float]
    notes: tuple[str, ...]
    curves: Curves
    generated: str
    reference: str | None = None
    extra: dict = field(default_factory=dict)
    landmarks: np.ndarray | None = None  # (n, 478, 2) px of the generated video, for SyncNet

    def to_json(self) -> dict:
        return {"generated": self.generated, "reference": self.reference,
                "metrics": {k: (None if not np.isfinite(v) else round(float(v), 4))
                            for k, v in self.metrics.items()},
                "notes": list(self.notes), **self.extra}


def _track(path: Path, fps: float, n_max: int | None, options: TrackOptions,
           progress: ProgressHook, task: str) -> np.ndarray:
    """(n, 478, 2) px landmarks of ``path`` read at ``fps`` (NaN where no face)."""
    images = (f.image for f in itertools.islice(read_frames(path, fps), n_max))
    return track_frames(images, n_max, options, progress, task).landmarks


def _landmarks(tracker: FaceTracker, image: np.ndarray) -> np.ndarray:
    lm, _ = tracker.process(image)
    return np.full((N_LANDMARKS, 2), np.nan, np.float32) if lm is None else lm


def _track_pair(gen: Path, ref: Path, fps: float, n_max: int, options: TrackOptions,
                progress: ProgressHook) -> tuple[np.ndarray, np.ndarray, dict[str, list[float]]]:
    """Decode both videos in lockstep (two frames in memory at a time), track both, and score
    pixels as they pass: landmarks (n, 478, 2) of each, and per-frame PSNR/SSIM lists."""
    import cv2

    rows_g, rows_r = [], []
    pix: dict[str, list[float]] = {"psnr": [], "ssim": [], "mouth_psnr": [], "mouth_ssim": []}
    with FaceTracker(options) as tg, FaceTracker(options) as tr:
        for fg, fr in zip(read_frames(gen, fps), read_frames(ref, fps)):
            if fr.index >= n_max:
                break
            a, b = fg.image, fr.image
            rows_g.append(_landmarks(tg, a))
            rows_r.append(_landmarks(tr, b))
            if a.shape != b.shape:
                a = cv2.resize(a, (b.shape[1], b.shape[0]), interpolation=cv2.INTER_AREA)
            pix["psnr"].append(M.psnr(a, b))
            pix["ssim"].append(M.ssim(a, b))
            box = M.mouth_box(rows_r[-1], b.shape[:2])
            if box is not None:
                x0, y0, x1, y1 = box
                pix["mouth_psnr"].append(M.psnr(a[y0:y1, x0:x1], b[y0:y1, x0:x1]))
                pix["mouth_ssim"].append(M.ssim(a[y0:y1, x0:x1], b[y0:y1, x0:x1]))
            if fr.index % 25 == 24:
                progress("track", fr.index + 1, n_max)
    empty = np.zeros((0, N_LANDMARKS, 2), np.float32)
    return (np.stack(rows_g) if rows_g else empty), (np.stack(rows_r) if rows_r else empty), pix


def evaluate(generated: str | os.PathLike, reference: str | os.PathLike | None = None,
             options: TrackOptions = TrackOptions(), progress: ProgressHook = no_progress
             ) -> Evaluation:
    """Measure lip sync and quality of ``generated``.

    With a reference: mouth LMD (% IOD), opening correlation and best lag (±10 frames), jitter
    ratio, PSNR/SSIM of whole frames and mouth regions, face-found rates. Without: agreement of
    mouth opening with the speech envelope (correlation, lag), silence closure, jitter, face-found
    rate. The generated video is read at the reference's frame rate and both are trimmed to the
    shorter; notes say when that happened.

    Raises:
        InputError: unreadable videos; no face in the reference (or in the generated video
            without a reference); no audio track without a reference.
    """
    gen_info = probe(generated)
    notes: list[str] = []
    if reference is None:
        if not gen_info.has_audio:
            raise InputError(f"'{generated}' has no audio track, so lip sync cannot be judged "
                             "against speech", "give --ref REAL.mp4, or a video with its soundtrack")
        return _without_reference(Path(generated), gen_info, options, progress)
    ref_info = probe(reference)
    fps = ref_info.fps
    if abs(gen_info.fps - ref_info.fps) > 0.01:
        notes.append(f"generated video is {gen_info.fps:g} fps, reference {ref_info.fps:g} fps: "
                     f"generated resampled to {fps:g} fps")
    n = min(gen_info.n_frames, ref_info.n_frames)
    if gen_info.n_frames != ref_info.n_frames:
        notes.append(f"lengths differ ({gen_info.n_frames} vs {ref_info.n_frames} frames): "
                     f"both trimmed to {n}")
    gen, ref, pix = _track_pair(Path(generated), Path(reference), fps, n, options, progress)
    if not (~np.isnan(ref[:, 0, 0])).any():
        raise InputError(f"no face found in the reference '{reference}'",
                         "give a reference video that shows the speaker's face")
    n = len(gen)
    both = ~np.isnan(gen[:, 0, 0]) & ~np.isnan(ref[:, 0, 0])
    og, orf = M.opening(gen), M.opening(ref)
    lc = M.lag_correlation(og, orf)
    jr = M.jitter(ref[both]) if both.sum() > 2 else float("nan")
    metrics = {
        "mouth_lmd_pct_iod": M.mouth_lmd(gen[both], ref[both]) if both.any() else float("nan"),
        "opening_correlation": lc.at_zero,
        "opening_correlation_best": lc.best,
        "opening_lag_frames": float(lc.lag),
        "jitter_ratio": (M.jitter(gen[both]) / jr) if jr and np.isfinite(jr) else float("nan"),
        "psnr_db": _finite_mean(pix["psnr"]),
        "ssim": float(np.mean(pix["ssim"])) if pix["ssim"] else float("nan"),
        "mouth_psnr_db": _finite_mean(pix["mouth_psnr"]),
        "mouth_ssim": float(np.mean(pix["mouth_ssim"])) if pix["mouth_ssim"] else float("nan"),
        "face_found_generated": float(np.mean(~np.isnan(gen[:, 0, 0]))),
        "face_found_reference": float(np.mean(~np.isnan(ref[:, 0, 0]))),
        "frames": float(n),
    }
    envelope = silent = None
    if gen_info.has_audio:
        audio, _ = load_audio(generated, AUDIO_RATE)
        envelope = speech_envelope(audio, AUDIO_RATE, fps, n)
        silent = silent_frames(envelope)
    return Evaluation(metrics, tuple(notes), Curves(fps, og, orf, envelope, silent), str(generated),
                      str(reference), landmarks=gen)


def _without_reference(path: Path, info: VideoInfo, options: TrackOptions, progress: ProgressHook
                       ) -> Evaluation:
    gen = _track(path, info.fps, info.n_frames, options, progress, "track")
    found = ~np.isnan(gen[:, 0, 0])
    if not found.any():
        raise InputError(f"no face found in '{path}'", "evaluate a video that shows a face")
    audio, _ = load_audio(path, AUDIO_RATE)
    envelope = speech_envelope(audio, AUDIO_RATE, info.fps, len(gen))
    silent = silent_frames(envelope)
    og = M.opening(gen)
    lc = M.lag_correlation(og, envelope)
    metrics = {
        "audio_mouth_correlation": lc.at_zero,
        "audio_mouth_correlation_best": lc.best,
        "audio_mouth_lag_frames": float(lc.lag),
        "silence_closure": M.silence_closure(og, silent),
        "silent_frames": float(silent.sum()),
        "jitter_iod": M.jitter(gen[found]) if found.sum() > 2 else float("nan"),
        "face_found": float(found.mean()),
        "frames": float(len(gen)),
    }
    return Evaluation(metrics, (), Curves(info.fps, og, None, envelope, silent), str(path),
                      landmarks=gen)


def _finite_mean(values: list[float]) -> float:
    """Mean of PSNRs, where identical frames (inf dB) count as 100 dB so one does not swamp all."""
    if not values:
        return float("nan")
    return float(np.mean([min(v, 100.0) for v in values]))


def add_sync_scores(evaluation: Evaluation, model: torch.nn.Module, options: TrackOptions = TrackOptions(),
                    progress: ProgressHook = no_progress) -> Evaluation:
    """Add SyncNet LSE-D, LSE-C and AV offset (Wav2Lip's protocol) for the generated video.

    Args:
        evaluation: a result of :func:`evaluate` (its generated video must have audio).
        model: a loaded SyncNet (:func:`talkinghead.evaluate.syncnet.load_syncnet`).
    """
    from .syncnet import FPS, SAMPLE_RATE, face_crops, lse

    path = Path(evaluation.generated)
    if not probe(path).has_audio:
        raise InputError(f"'{path}' has no audio track, which SyncNet needs",
                         "evaluate a video with its soundtrack, or drop --syncnet")
    landmarks = evaluation.landmarks
    if landmarks is None or abs(evaluation.curves.fps - FPS) > 0.01:
        landmarks = _track(path, FPS, None, options, progress, "track for SyncNet")
    n = len(landmarks)
    frames = (f.image for f in read_frames(path, FPS) if f.index < n)
    crops = face_crops(frames, landmarks)
    audio, _ = load_audio(path, SAMPLE_RATE)
    score = lse(model, crops, audio)
    metrics = dict(evaluation.metrics, lse_d=score.lse_d, lse_c=score.lse_c,
                   av_offset=float(score.av_offset))
    return Evaluation(metrics, evaluation.notes, evaluation.curves, evaluation.generated,
                      evaluation.reference, dict(evaluation.extra, syncnet_dists=list(score.dists)),
                      evaluation.landmarks)
