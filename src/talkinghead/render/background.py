"""Background plan: which real frames (and head poses) lie behind the rendered mouth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..avatar.model import Avatar
from ..face import MOUTH, head_shape
from ..timeline import CLOSED_LIPS_IOD
from ..video.interpolate import source_positions

WINDOW_FRAMES = 100  # at most this many consecutive source frames are used (and held in memory)
MOTION_WEIGHT = 2.0  # how much head motion (IOD per frame) counts against a window
ROLL_WEIGHT = 0.5  # per degree the window's head roll lies from the footage's median roll
HEAD_WEIGHT = 50.0  # per IOD the window's head shape (turn, tip) lies from the footage's median
MISSING_WEIGHT = 10.0  # per share of the window's frames without a usable face (only when no window is whole)


@dataclass(frozen=True, eq=False)
class BackgroundPlan:
    """Per output frame: the source frame to show and its head pose and mouth.

    Attributes:
        source: the video the frames come from.
        source_frames: (n,) int frame numbers within ``source`` at the avatar's fps.
        pose: (n, 4) filtered head pose of each (NaN: no face, the frame passes through).
        mouth: (n, N_MOUTH, 2) canonical mouth of each background frame.
        head: (n, len(HEAD_SHAPE), 2) head shape of each (:func:`~talkinghead.face.head_shape`),
            IOD units: the mouth model draws the mouth for this turn and tip of the head.
        next_frames, fraction: for an output at another frame rate than the footage's, each
            frame lies ``fraction`` (n,) of the way from ``source_frames`` to ``next_frames``
            (n,) and is interpolated; None: every frame is a source frame.
    """

    source: Path
    source_frames: np.ndarray
    pose: np.ndarray
    mouth: np.ndarray
    head: np.ndarray
    next_frames: np.ndarray | None = None
    fraction: np.ndarray | None = None

    def at_rate(self, n: int, out_fps: float, source_fps: float) -> BackgroundPlan:
        """This plan (one entry per source frame, at ``source_fps``) shown at ``out_fps``: ``n``
        output frames, each between two planned source frames (``source_frames`` and
        ``next_frames`` at ``fraction`` of the way, for :class:`~talkinghead.video.interpolate.
        FlowInterpolator`), with pose, mouth and head interpolated alike. The same rate gives
        the plan itself (its first ``n`` entries). Needs ``len(self)`` ≥ the last output frame's
        source position + 2 (:func:`source_frames_needed`)."""
        if abs(out_fps - source_fps) < 1e-9:
            return self if len(self) == n else _take(self, np.arange(n))
        pos = source_positions(n, out_fps, source_fps)
        i = np.minimum(np.floor(pos).astype(int), len(self) - 1)
        j = np.minimum(i + 1, len(self) - 1)
        t = pos - i
        t[i == j] = 0.0
        lo, hi = _take(self, i), _take(self, j)
        w = t[:, None]
        pose = (1 - w) * lo.pose + w * hi.pose
        # A frame without a face beside one with a face: the nearer one's pose (NaN passes through).
        pose = np.where(np.isnan(pose), np.where((t < 0.5)[:, None], lo.pose, hi.pose), pose)
        wm = t[:, None, None].astype(np.float32)
        return BackgroundPlan(self.source, lo.source_frames, pose, (1 - wm) * lo.mouth + wm * hi.mouth,
                              (1 - t[:, None, None]) * lo.head + t[:, None, None] * hi.head,
                              hi.source_frames, t)

    def __len__(self) -> int:
        return len(self.source_frames)


def source_frames_needed(n: int, out_fps: float, source_fps: float) -> int:
    """How many planned source frames ``n`` output frames at ``out_fps`` span (see
    :meth:`BackgroundPlan.at_rate`)."""
    if n <= 0:
        return 0
    if abs(out_fps - source_fps) < 1e-9:
        return n
    return int(np.floor(source_positions(n, out_fps, source_fps)[-1])) + 2


def _take(plan: BackgroundPlan, idx: np.ndarray) -> BackgroundPlan:
    return BackgroundPlan(plan.source, plan.source_frames[idx], plan.pose[idx], plan.mouth[idx], plan.head[idx])


def ping_pong(length: int, n: int) -> np.ndarray:
    """(n,) indices 0…length−1 forwards then backwards, repeated: no jump at the turns."""
    if length <= 1:
        return np.zeros(n, int)
    cycle = np.r_[np.arange(length), np.arange(length - 2, 0, -1)]
    return cycle[np.arange(n) % len(cycle)]


def plan_background(avatar: Avatar, n: int | None, window: int = WINDOW_FRAMES) -> BackgroundPlan:
    """Pick one stretch of enrollment footage with steady head, closed jaw and the person's usual
    head pose, and ping-pong it.

    One continuous stretch, reversed at its ends, never shows a cut; a closed jaw behind the
    rendered mouth cannot peek out below it. The whole output keeps the stretch's head pose, and
    the mouth goes with it: a stretch tilted 2° from how the person usually holds their head
    makes every mouth shape look tilted (a few degrees move lip points by a good part of the
    difference between two sentences' mouths), and a head turned or
    tipped away from the usual shows the mouth from another angle all through.

    ``n`` output frames; None gives exactly one cycle (forwards, then back to the frame after the
    first), which repeats without a jump: a live session's idle loop.
    """
    t = avatar.tracks
    heads = head_shape(t.canonical)  # (N, len(HEAD_SHAPE), 2)
    typical_roll = float(np.nanmedian(t.pose[t.usable, 1])) if t.usable.any() else 0.0  # rad
    typical_head = np.nanmedian(heads[t.usable], axis=0) if t.usable.any() else None
    best, best_score = None, -np.inf
    for clip in np.unique(t.clip):
        idx = np.flatnonzero(t.clip == clip)
        w = min(window, len(idx))
        usable = t.usable[idx]
        closed = np.nan_to_num(t.lip_gap[idx], nan=1.0) < CLOSED_LIPS_IOD
        pose = t.pose[idx]
        scale = np.nanmedian(pose[:, 0]) or 1.0
        step = np.r_[0, np.linalg.norm(np.diff(np.nan_to_num(pose[:, 2:4]), axis=0), axis=1) / scale]
        for s in range(0, len(idx) - w + 1, max(1, w // 4)):
            sl = slice(s, s + w)
            missing = 1.0 - usable[sl].mean()  # frames the tracker lost or doubted: shown untouched
            if missing == 1.0:
                continue
            good = idx[sl][usable[sl]]
            roll_off = abs(np.degrees(np.nanmean(t.pose[good, 1]) - typical_roll))
            head_off = float(np.sqrt(((heads[good].mean(0) - typical_head) ** 2).sum(-1).mean()))
            score = (closed[sl].mean() - MOTION_WEIGHT * step[s + 1: s + w].mean() + 0.001 * w
                     - ROLL_WEIGHT * roll_off - HEAD_WEIGHT * head_off - MISSING_WEIGHT * missing)
            if score > best_score:
                best, best_score = idx[sl], score
    if best is None:
        raise ValueError("the avatar has no stretch of usable frames for a background")
    if n is None:  # one whole cycle, forwards and back: looped, it never jumps
        n = 2 * len(best) - 2 if len(best) > 1 else 1
    order = best[ping_pong(len(best), n)]
    source = avatar.source(int(t.clip[order[0]]))
    pose = t.pose[order].astype(np.float64)
    pose[~t.usable[order]] = np.nan  # no face to draw on: the frame passes through
    return BackgroundPlan(source, t.frame[order].astype(int), pose,
                          t.canonical[order][:, MOUTH].astype(np.float32), heads[order])


def plan_in_order(avatar: Avatar, n: int) -> BackgroundPlan:
    """A dub of an existing video: its own frames in order (ping-pong if the speech is longer).
    Frames without a usable face (a face-less shot, a scene cut away: the tracker may follow a
    ghost of the face for a few frames after a cut, which its fit residual gives away) get no
    pose: they pass through untouched."""
    t = avatar.tracks
    order = ping_pong(len(t), n)
    source = avatar.source(0)
    pose = t.pose[order].astype(np.float64)
    pose[~t.usable[order]] = np.nan
    return BackgroundPlan(source, t.frame[order].astype(int), pose,
                          t.canonical[order][:, MOUTH].astype(np.float32), head_shape(t.canonical[order]))
