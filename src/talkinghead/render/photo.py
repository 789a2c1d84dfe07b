"""Talking photo: one portrait → a talking video, with geometry and a procedural mouth interior.

Per frame: generic-viseme targets for the lips and jaw (the key-pose motion planner), eyelids
from the blink schedule and a small idle head sway; a thin-plate-spline warp of the face region
from the portrait's landmarks to the frame's (everything outside the head stays put); the mouth
interior painted inside the new inner-lip contour.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from ..captions import CaptionOptions, captions_in_video, mouth_box
from ..errors import InputError
from ..face.detect import detect_largest_face
from ..face.landmarks import (
    BROWS,
    EYE_CORNERS,
    EYE_SURROUND,
    FACE_OVAL,
    LEFT_EYE_LOWER,
    LEFT_EYE_OUTER,
    LEFT_EYE_UPPER,
    LIPS_INNER,
    MOUTH,
    NOSE,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_OUTER,
    RIGHT_EYE_UPPER,
)
from ..face.pose import eye_frame
from ..motion import MotionOptions, MouthMethod, MouthSpace, plan_motion, plan_universal
from ..motion.head import GENERIC_HEAD, loudness, plan_head, question_ends
from ..motion.idle import IdleOptions, blinks, head_sway
from ..motion.style import SpeakingStyle, articulate
from ..motion.visemes import generic_key_pose, generic_mouths, neutral_mouth
from ..progress import ProgressHook, no_progress
from ..speech import Speech
from ..timeline import check_fps, frame_count
from ..video import VideoWriter
from .interior import MouthLook, draw_interior, mouth_look
from .report import RenderReport

log = logging.getLogger(__name__)

MIN_FACE_PX = 64  # narrowest face (outline width, px) a portrait may show
MIN_PHOTO_SIDE_PX = 16  # a photo's shortest side, px
# Most pixels a portrait may have. Loading one holds about 13 bytes per pixel at the peak (the
# decoded RGB and its copies before it is framed down to the output size): ~0.8 GB at 50 MP.
# That is every common camera's full resolution; the video is at most MAX_SHORT_SIDE_PX on its
# short side, so more pixels only cost memory. PIL's own limit (89.5 MP), where lower, wins.
MAX_PHOTO_PIXELS = 50_000_000
MIN_SHORT_SIDE_PX = 512  # output frames are at least this big on their short side
MAX_SHORT_SIDE_PX = 720  # …and at most this (large photos are scaled down for speed)
TARGET_IOD_PX = 88  # a smaller face is cropped around and enlarged until its eyes are this far apart
GRID_STEP_PX = 5  # the warp is solved on a coarse grid, then upsampled
PHOTO_FPS = 25.0  # frames/s
BUILTIN = "astronaut"  # skimage.data.astronaut(): public-domain portrait inside scikit-image

_EYE_UPPER = np.concatenate([RIGHT_EYE_UPPER, LEFT_EYE_UPPER])
_EYE_LOWER = np.concatenate([RIGHT_EYE_LOWER, LEFT_EYE_LOWER])
SOURCE_MOUTH_MARGIN_IOD = 0.025  # the portrait's own mouth opening is filled this far past its contour
_CLOSED_LID = 0.75  # a shut eye's lid line sits this far from the upper to the lower lid


# Generic visemes have no real dynamics to blend in, so every phoneme gets its shape: a key on
# each phoneme (held from its first to its last frame when it lasts 3+ frames) and the lips
# closed in every pause, however short: the re-tracked opening follows the phonemes' expected
# openness much better so (benchmarks/RESULTS.md, "Design decisions").
PHOTO_MOTION = MotionOptions(min_key_dist=1, rest_pause_s=0.0, hold_phonemes=True, method=MouthMethod.KEYPOSES)


@dataclass(frozen=True)
class PhotoOptions:
    """Talking-photo settings.

    Attributes:
        fps: output frame rate, frames/s.
        motion: key-pose motion settings (its fps is replaced by ``fps``); see PHOTO_MOTION.
        idle: blinks and head sway (the sway only without ``head_motion``).
        crf: x264 quality of the output (lower = better).
        style: speaking style (articulation, head motion, blink rate) as multipliers.
        head_motion: the head moves with the speech (a generic speaker's head motion,
            :data:`~talkinghead.motion.head.GENERIC_HEAD`); False: the idle sway.
        seed: picks one of the many head paths that fit the speech.
        captions: captions of the words (see :attr:`RenderOptions.captions`), or None.
    """

    fps: float = PHOTO_FPS
    motion: MotionOptions = field(default_factory=lambda: PHOTO_MOTION)
    idle: IdleOptions = field(default_factory=IdleOptions)
    crf: int = 20
    style: SpeakingStyle = field(default_factory=SpeakingStyle)
    head_motion: bool = True
    seed: int = 0
    captions: CaptionOptions | None = None

    def __post_init__(self) -> None:
        check_fps(self.fps)


@dataclass(frozen=True, eq=False)
class Portrait:
    """A portrait framed for output.

    Attributes:
        image: (H, W, 3) uint8 RGB, the output frame size (short side ≥ 512 px).
        landmarks: (478, 2) float32 px of the face in ``image``.
        source: where it came from (a path, or 'astronaut' for the built-in).
        faces: how many faces the photo showed (the largest is used).
    """

    image: np.ndarray
    landmarks: np.ndarray
    source: str
    faces: int

    @property
    def iod(self) -> float:
        """Inter-ocular distance, px."""
        return float(np.linalg.norm(self.landmarks[LEFT_EYE_OUTER] - self.landmarks[RIGHT_EYE_OUTER]))


def load_portrait(photo: str | os.PathLike | None = None) -> Portrait:
    """Read a portrait (None: the built-in one), find its face and frame it for output.

    A small face is cropped around and enlarged; a huge photo is scaled down.

    Raises:
        InputError: not an image, too many pixels (:func:`check_photo`), no face, a face under
            MIN_FACE_PX wide.
    """
    image, source = _read_image(photo)
    landmarks, faces = detect_largest_face(image)
    if landmarks is None:
        raise InputError(f"no face found in '{source}'",
                         "give a photo where one face looks roughly at the camera")
    if faces > 1:
        log.warning("'%s' shows %d faces; animating the largest", source, faces)
    width = float(np.ptp(landmarks[FACE_OVAL, 0]))
    if width < MIN_FACE_PX:
        raise InputError(f"the face in '{source}' is only {width:.0f} px wide",
                         f"give a photo where the face is at least {MIN_FACE_PX} px wide")
    framed, to_framed = _frame(image, landmarks)
    # Landmarks again on the framed image: finer than scaling the old ones.
    again, _ = detect_largest_face(framed)
    if again is None:
        again = (landmarks @ to_framed[:, :2].T + to_framed[:, 2]).astype(np.float32)
    return Portrait(framed, again, source, faces)


def check_photo(photo: str | os.PathLike) -> tuple[int, int]:
    """Check a portrait file from its header alone (no pixels are decoded): call it on an upload.

    Returns:
        (width, height) in px.

    Raises:
        InputError: the file is missing or not an image PIL reads; it has more than
            :func:`max_photo_pixels` pixels (PIL's decompression-bomb range included); or a side
            shorter than MIN_PHOTO_SIDE_PX.
    """
    import warnings

    from PIL import Image, UnidentifiedImageError

    path = Path(photo)
    if not path.is_file():
        raise InputError(f"photo '{path}' does not exist", "check the path")
    size: tuple[int, int] | None
    try:
        # Past PIL's own limit Image.open warns (1-2x) or refuses (over 2x) before saying the size.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                size = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        size = _header_size(path)
        if size is None:
            raise InputError(f"photo '{path}' has more pixels than PIL's decompression-bomb limit",
                             f"scale it down to at most {_megapixels(max_photo_pixels())} megapixels") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"'{path}' is not an image this tool can read ({exc.__class__.__name__})",
                         "give a JPEG or PNG portrait") from None
    w, h = size
    limit = max_photo_pixels()
    if w * h > limit:
        k = math.sqrt(limit / (w * h))
        raise InputError(f"photo '{path}' is {w}×{h} px ({_megapixels(w * h)} megapixels), more than the "
                         f"{_megapixels(limit)} megapixels a portrait may have",
                         f"scale it down to at most {int(w * k)}×{int(h * k)} px "
                         f"(the video is at most {MAX_SHORT_SIDE_PX} px on its short side)")
    if min(w, h) < MIN_PHOTO_SIDE_PX:
        raise InputError(f"'{path}' is only {w}×{h} px", "give a real portrait")
    return w, h


def max_photo_pixels() -> int:
    """The most pixels a portrait may have: MAX_PHOTO_PIXELS, or PIL's decompression-bomb limit
    (``PIL.Image.MAX_IMAGE_PIXELS``) where that is lower."""
    from PIL import Image

    pil = Image.MAX_IMAGE_PIXELS
    return MAX_PHOTO_PIXELS if pil is None else min(MAX_PHOTO_PIXELS, int(pil))


def _megapixels(pixels: int) -> str:
    """'50', '50.4', '400': megapixels to one decimal, without a trailing '.0'."""
    return f"{pixels / 1e6:.1f}".removesuffix(".0")


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file's header as PIL's format plugins read it, without the
    decompression-bomb check that stops ``Image.open`` first; None if no plugin reads it."""
    from PIL import Image

    Image.init()
    with open(path, "rb") as fp:
        prefix = fp.read(16)
        for fmt in Image.ID:
            factory, accept = Image.OPEN[fmt]
            result = accept(prefix) if accept is not None else True
            if isinstance(result, str) or not result:  # a str: PIL's "not this format" note
                continue
            fp.seek(0)
            try:
                return factory(fp, str(path)).size
            except Exception:  # noqa: BLE001 - not this format: try the next, as Image.open does
                continue
    return None


def _read_image(photo: str | os.PathLike | None) -> tuple[np.ndarray, str]:
    if photo is None:
        from skimage import data

        return np.ascontiguousarray(data.astronaut()[..., :3]), BUILTIN
    from PIL import Image

    path = Path(photo)
    check_photo(path)  # before decoding: a pixel bomb is refused from its header
    try:
        with Image.open(path) as im:
            im.seek(0)  # an animated GIF or a multi-page file: its first frame
            rgb = np.asarray(im.convert("RGB"))
    except (OSError, ValueError) as exc:  # e.g. a truncated file: the header was fine
        raise InputError(f"'{path}' is not an image this tool can read ({exc.__class__.__name__})",
                         "give a JPEG or PNG portrait") from None
    return np.ascontiguousarray(rgb), str(path)


def _frame(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop/scale so the face is big enough and the short side lies in [512, 720] px.

    Returns the framed image and the (2, 3) affine from the input to it."""
    h, w = image.shape[:2]
    iod = float(np.linalg.norm(landmarks[LEFT_EYE_OUTER] - landmarks[RIGHT_EYE_OUTER]))
    zoom = max(1.0, TARGET_IOD_PX / max(iod, 1.0))
    cw, ch = w / zoom, h / zoom  # crop window: same aspect as the photo
    centre = landmarks[FACE_OVAL].mean(0)
    x0 = float(np.clip(centre[0] - cw / 2, 0, w - cw))
    y0 = float(np.clip(centre[1] - 0.45 * ch, 0, h - ch))
    short = float(np.clip(min(cw, ch) * zoom, MIN_SHORT_SIDE_PX, MAX_SHORT_SIDE_PX))
    scale = short / min(cw, ch)
    out_w, out_h = int(round(cw * scale / 2)) * 2, int(round(ch * scale / 2)) * 2
    m = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]])
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    framed = cv2.warpAffine(image, m, (out_w, out_h), flags=interp, borderMode=cv2.BORDER_REFLECT)
    return framed, m


class PhotoAnimator:
    """Renders frames of one portrait for given mouth shapes, blink closures and head sway."""

    def __init__(self, portrait: Portrait) -> None:
        self.portrait = portrait
        lm = portrait.landmarks.astype(np.float64)
        self.landmarks = lm
        self.iod = portrait.iod
        self.canonical = eye_frame(lm[None])[0]  # (478, 2) IOD units
        r, l_ = lm[RIGHT_EYE_OUTER], lm[LEFT_EYE_OUTER]
        axis = l_ - r
        self.pose = np.array([np.linalg.norm(axis), np.arctan2(axis[1], axis[0]), *((r + l_) / 2)])
        self.rest_mouth = neutral_mouth(self.canonical[MOUTH])  # (N_MOUTH, 2) closed lips
        self.look: MouthLook = mouth_look(portrait.image, portrait.landmarks, self.iod)
        self.source = self._close_source_mouth(portrait.image, lm, self.iod)

        h, w = portrait.image.shape[:2]
        oval = lm[FACE_OVAL]
        fw, fh = np.ptp(oval[:, 0]), np.ptp(oval[:, 1])
        self.centre = oval.mean(0)
        x0 = int(max(0, oval[:, 0].min() - 0.45 * fw))
        x1 = int(min(w, oval[:, 0].max() + 0.45 * fw))
        y0 = int(max(0, oval[:, 1].min() - 0.45 * fh))
        y1 = int(min(h, oval[:, 1].max() + 0.4 * fh))
        self.roi = (x0, y0, x1, y1)
        gx = np.arange(x0, x1 + GRID_STEP_PX, GRID_STEP_PX, dtype=np.float64)
        gy = np.arange(y0, y1 + GRID_STEP_PX, GRID_STEP_PX, dtype=np.float64)
        self.grid_shape = (len(gy), len(gx))
        gxx, gyy = np.meshgrid(gx, gy)
        self.grid = np.stack([gxx.ravel(), gyy.ravel()], 1)
        # How much of the head sway each grid point takes: 1 on the head, 0 at the ROI's edge.
        weight = np.zeros((h, w), np.float32)
        axes = (int(0.5 * fw * 1.25), int(0.5 * fh * 1.35))
        cv2.ellipse(weight, (int(self.centre[0]), int(self.centre[1] - 0.08 * fh)), axes, 0, 0, 360, 1.0, -1)
        weight = cv2.GaussianBlur(weight, (0, 0), 0.12 * fw)
        self.sway_weight = weight[np.clip(gyy, 0, h - 1).astype(int), np.clip(gxx, 0, w - 1).astype(int)].ravel()
        # Warp controls. Fixed: brows, nose, eye surroundings, the upper face outline, a ring
        # around the head and the ROI's border. Moving: lips + jaw, eyelids.
        upper_oval = FACE_OVAL[np.isin(FACE_OVAL, MOUTH, invert=True)]
        ring = self.centre + (oval - self.centre) * 1.35
        bx = np.linspace(x0, x1, 9)
        by = np.linspace(y0, y1, 9)
        border = np.array([(x, y) for x in bx for y in (y0, y1)] + [(x, y) for y in by[1:-1] for x in (x0, x1)])
        fixed_idx = np.concatenate([BROWS, NOSE, EYE_SURROUND, upper_oval])
        from .warp import ThinPlate

        self.warp = ThinPlate(np.vstack([lm[fixed_idx], ring, border]), self.grid)
        self.moving_idx = np.concatenate([MOUTH, _EYE_UPPER, _EYE_LOWER, EYE_CORNERS])

    @staticmethod
    def _close_source_mouth(image: np.ndarray, lm: np.ndarray, iod: float) -> np.ndarray:
        """The portrait with its own mouth opening (and the dark edge the landmarks leave
        around it) filled from the lips, so no real teeth can leak in where the warp samples
        near the lips."""
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(lm[LIPS_INNER]).astype(np.int32)], 255)
        if mask.sum() < 255 * 4:
            return image
        r = max(1, int(round(SOURCE_MOUTH_MARGIN_IOD * iod)))
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
        return cv2.inpaint(image, mask, r + 2, cv2.INPAINT_TELEA)

    def target_landmarks(self, mouth: np.ndarray, blink: float) -> np.ndarray:
        """(478, 2) px landmarks of a frame before head sway: ``mouth`` (N_MOUTH, 2) canonical,
        eyelids closed by ``blink`` (0–1)."""
        canon = self.canonical.copy()
        canon[MOUTH] = mouth
        if blink > 0:
            up, lo = canon[_EYE_UPPER], canon[_EYE_LOWER]
            line = up + _CLOSED_LID * (lo - up)
            canon[_EYE_UPPER] = up + blink * (line - up)
            canon[_EYE_LOWER] = lo + blink * (line - lo)
        s, th, tx, ty = self.pose
        c, sn = s * np.cos(th), s * np.sin(th)
        return canon @ np.array([[c, sn], [-sn, c]]) + (tx, ty)

    def render(self, mouth: np.ndarray, blink: float, sway: np.ndarray) -> np.ndarray:
        """One frame.

        Args:
            mouth: (N_MOUTH, 2) canonical target lips and jaw, IOD units.
            blink: eyelid closure 0–1.
            sway: (3,) [rotation deg, shift x IOD, shift y IOD] of the head.

        Returns:
            (H, W, 3) uint8 RGB.
        """
        target = self.target_landmarks(mouth, blink)
        idx = self.moving_idx
        disp = self.landmarks[idx] - target[idx]  # backward: where each target point comes from
        local = self.warp.field(target[idx], disp)  # (m, 2) at grid points (pre-sway frame)
        # Head sway: a similarity about the face centre, faded out away from the head.
        angle = np.deg2rad(sway[0])
        c, s = np.cos(angle), np.sin(angle)
        shift = np.asarray(sway[1:3], np.float64) * self.iod
        d = self.grid - self.centre - shift
        inv = np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]], 1) + self.centre
        q = self.grid + self.sway_weight[:, None] * (inv - self.grid)
        # The local field at q (it was solved on the grid): bilinear lookup in grid units.
        gh, gw = self.grid_shape
        x0, y0, x1, y1 = self.roi
        fq = (q - (x0, y0)) / GRID_STEP_PX
        local_img = local.reshape(gh, gw, 2)
        lq = cv2.remap(local_img, fq[:, 0].reshape(gh, gw).astype(np.float32),
                       fq[:, 1].reshape(gh, gw).astype(np.float32), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        src = (q.reshape(gh, gw, 2) + lq).astype(np.float32)
        full = cv2.resize(src, ((gw - 1) * GRID_STEP_PX + 1, (gh - 1) * GRID_STEP_PX + 1),
                          interpolation=cv2.INTER_LINEAR)[: y1 - y0, : x1 - x0]
        frame = self.portrait.image.copy()
        frame[y0:y1, x0:x1] = cv2.remap(self.source, full[..., 0], full[..., 1], cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REFLECT)
        # The interior goes inside the inner lips where they now are (after the sway).
        inner = target[LIPS_INNER] - self.centre
        inner = np.stack([c * inner[:, 0] - s * inner[:, 1], s * inner[:, 0] + c * inner[:, 1]], 1)
        inner += self.centre + shift
        draw_interior(frame, inner, self.look, self.iod)
        return frame


def render_photo(portrait: Portrait, speech: Speech, output: str | os.PathLike,
                 options: PhotoOptions = PhotoOptions(), progress: ProgressHook = no_progress,
                 seconds: dict[str, float] | None = None) -> RenderReport:
    """Speech → mp4 of the portrait saying it (audio muxed, starts at 0): timed phonemes drive
    generic key poses; an untimed recording drives the universal audio→mouth model in the
    portrait's generic mouth space."""
    seconds = dict(seconds or {})
    t0 = time.perf_counter()
    motion = replace(options.motion, fps=options.fps, method=MouthMethod.KEYPOSES)
    anim = PhotoAnimator(portrait)
    n = frame_count(speech.duration, options.fps)
    captions, burner, track = captions_in_video(speech, options.fps, n, options.captions)
    mouth = mouth_box(portrait.landmarks[MOUTH])  # the head sways a little: the burner keeps a margin
    if speech.timed:
        plan = plan_motion(speech.phonemes, speech.duration, generic_key_pose(anim.rest_mouth), motion)
    else:
        # A portrait's rest pose is closed lips: pauses seal them (no slightly parted rest).
        plan = plan_universal((speech.audio, speech.sample_rate), speech.duration,
                              MouthSpace.fit(generic_mouths(anim.rest_mouth)),
                              replace(motion, silence_gap_iod=0.0))
    plan = replace(plan, mouth=articulate(plan.mouth, options.style.articulation))
    n = len(plan)
    lo, hi = options.idle.blink_interval_s
    b = options.style.blinks
    blink = blinks(n, options.fps, replace(options.idle, blink_interval_s=(lo / b, hi / b)))
    if options.head_motion:
        sway = plan_head(loudness(speech.audio, speech.sample_rate, options.fps, n), options.fps,
                         GENERIC_HEAD.scaled(options.style.head), options.seed, questions=question_ends(speech.words))
    else:
        sway = head_sway(n, options.fps, options.idle)
    seconds["plan"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    h, w = portrait.image.shape[:2]
    with VideoWriter(output, options.fps, (w, h), audio=speech.audio, sample_rate=speech.sample_rate,
                     crf=options.crf, subtitles=track) as writer:
        for f in range(n):
            image = anim.render(plan.mouth[f], float(blink[f]), sway[f])
            writer.write(image if burner is None else burner.draw(image, f, mouth))
            if f % 25 == 24 or f == n - 1:
                progress("render", f + 1, n)
    seconds["render"] = time.perf_counter() - t1
    return RenderReport(Path(output), n, n / options.fps, seconds, captions)
