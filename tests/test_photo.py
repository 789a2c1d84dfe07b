"""Talking photo: generic visemes, blinks and sway, the procedural interior, the portrait loader,
and `say` without an avatar end to end (re-tracked for sync). Needs no GRID data."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from talkinghead.cli import main
from talkinghead.errors import InputError
from talkinghead.evaluate.timeline import timeline_sync, track_video
from talkinghead.face import MOUTH, lip_gap, mouth_width
from talkinghead.face.landmarks import LIPS_INNER
from talkinghead.face.pose import eye_frame
from talkinghead.motion.idle import IdleOptions, blinks, head_sway
from talkinghead.motion.visemes import SETTINGS, articulate, generic_key_pose, neutral_mouth
from talkinghead.phonemes import Viseme
from talkinghead.render.interior import MouthLook, draw_interior
from talkinghead.render.photo import MIN_FACE_PX, check_photo, load_portrait, max_photo_pixels, render_photo
from talkinghead.speech import synthesize
from talkinghead.video import load_audio, probe

from .media import one_bit_png

EXIT_BAD_INPUT = 2
FPS = 25.0


@pytest.fixture(scope="module")
def portrait():
    return load_portrait(None)


def test_builtin_portrait_is_framed_for_output(portrait) -> None:
    h, w = portrait.image.shape[:2]
    assert min(h, w) >= 512 and h % 2 == 0 and w % 2 == 0
    assert portrait.iod >= 80  # the small face of the 512-px photo is enlarged
    assert portrait.faces == 1 and portrait.source == "astronaut"


def test_generic_visemes_follow_articulation(portrait) -> None:
    canonical = eye_frame(portrait.landmarks[None].astype(np.float64))[0][MOUTH]  # IOD units
    rest = neutral_mouth(canonical)
    assert lip_gap(rest) < 0.005 and lip_gap(canonical) > 0.05  # the smiling mouth closes at rest
    shape = {v: articulate(rest, a) for v, a in SETTINGS.items()}
    gap = {v: float(lip_gap(m)) for v, m in shape.items()}
    assert gap[Viseme.BILABIAL] == 0 and gap[Viseme.SILENCE] == 0
    assert gap[Viseme.OPEN_VOWEL] > gap[Viseme.MID_VOWEL] > gap[Viseme.SPREAD_VOWEL] > gap[Viseme.ALVEOLAR]
    assert mouth_width(shape[Viseme.ROUNDED_VOWEL]) < mouth_width(rest) < mouth_width(shape[Viseme.SPREAD_VOWEL])
    lookup = generic_key_pose(rest)
    assert lip_gap(lookup("f")) < 0.5 * lip_gap(lookup("ɑ"))  # lower lip to the upper teeth
    assert np.array_equal(lookup("sil"), lookup("sil")) and lip_gap(lookup("sil")) < 1e-6


def test_blinks_and_head_sway_stay_in_bounds() -> None:
    n = int(60 * FPS)
    closure = blinks(n, FPS)
    shut = np.flatnonzero(closure >= 0.99)
    assert len(shut) >= 10  # a minute: 10-30 blinks
    gaps_s = np.diff(shut) / FPS
    assert gaps_s.min() >= 2.0 - 0.2 and gaps_s.max() <= 6.0 + 0.2
    runs = np.diff(np.flatnonzero(np.diff(np.r_[0, closure > 0, 0])))[::2] / FPS  # blink lengths
    assert runs.max() <= 0.2
    sway = head_sway(n, FPS, IdleOptions())
    assert np.abs(sway[:, 0]).max() <= 2.0 and np.abs(sway[:, 0]).max() > 0.5
    assert np.abs(np.diff(sway[:, 0], 2)).max() < 0.01  # smooth: degrees per frame²


def test_interior_never_shows_outside_the_inner_lips() -> None:
    image = np.full((120, 160, 3), 180, np.uint8)
    t = np.linspace(0, np.pi, 11)
    upper = np.stack([80 - 40 * np.cos(t), 60 - 8 * np.sin(t)], 1)  # right corner → left corner
    lower = np.stack([80 + 40 * np.cos(t[1:-1]), 60 + 22 * np.sin(t[1:-1])], 1)
    inner = np.vstack([upper, lower])
    assert len(inner) == len(LIPS_INNER)
    look = MouthLook((230.0, 225.0, 210.0), (50.0, 20.0, 20.0), (160.0, 70.0, 75.0))
    out = image.copy()
    draw_interior(out, inner, look, iod_px=90.0)
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 1)
    near = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(bool)  # the anti-aliased rim
    assert np.array_equal(out[~near], image[~near])
    inside = out[cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)].astype(int)
    assert (inside.mean(1) > 200).any()  # teeth
    assert (inside.mean(1) < 60).any()  # the dark cavity
    closed = image.copy()
    flat = np.vstack([upper, upper[1:-1][::-1]])  # lips touching: no interior, only a soft seam
    draw_interior(closed, flat, look, iod_px=90.0)
    assert closed.astype(int).min() >= 180 * 0.65


def test_say_without_an_avatar_talks_in_sync(tmp_path, capsys) -> None:
    """The built-in default end to end through the CLI; the output re-tracked."""
    out = tmp_path / "demo.mp4"
    text = "Bob eats apples. Mom made a map in the morning."
    assert main(["say", text, "-o", str(out)]) == 0
    info = probe(out)
    audio, rate = load_audio(out)
    assert min(info.width, info.height) >= 512
    assert abs(len(audio) / rate - info.n_frames / info.fps) <= 1 / info.fps + 0.03  # AAC priming
    # The same sentence through the API, re-tracked against its own phoneme timeline.
    speech = synthesize(text)
    render_photo(load_portrait(None), speech, tmp_path / "api.mp4")
    landmarks, fps = track_video(tmp_path / "api.mp4")
    m = timeline_sync(landmarks, speech.phonemes, fps, load_portrait(None).landmarks)
    assert m["face_found"] == 1.0
    assert m["opening_vs_expected"] >= 0.8
    assert m["pause_closure"] >= 0.95
    assert m["bilabial_closure"] >= 0.9
    assert m["still_drift_px_max"] <= 3.0


def _save(image: np.ndarray, path) -> None:
    Image.fromarray(image).save(path)


def test_photo_inputs(tmp_path, caplog) -> None:
    astronaut = data.astronaut()
    # Several faces: the largest is animated, with a warning.
    small = cv2.resize(astronaut, None, fx=0.6, fy=0.6)
    two = np.full((512, 900, 3), 200, np.uint8)
    two[:, :512] = astronaut
    two[100:100 + small.shape[0], 560:560 + small.shape[1]] = small
    _save(two, tmp_path / "two.png")
    with caplog.at_level(logging.WARNING):
        p = load_portrait(tmp_path / "two.png")
    assert p.faces == 2 and "2 faces" in caplog.text
    assert p.iod >= 80
    # An animated GIF: its first frame.
    frames = [Image.fromarray(astronaut), Image.fromarray(np.full_like(astronaut, 90))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    assert load_portrait(tmp_path / "anim.gif").faces == 1
    # A tiny face: refused, naming the minimum.
    tiny = np.full((512, 512, 3), 200, np.uint8)
    tiny[:154, :154] = cv2.resize(astronaut, (154, 154), interpolation=cv2.INTER_AREA)
    _save(tiny, tmp_path / "tiny.png")
    with pytest.raises(InputError, match=f"at least {MIN_FACE_PX} px"):
        load_portrait(tmp_path / "tiny.png")
    # No face.
    _save(np.tile(np.linspace(0, 255, 256, dtype=np.uint8)[None, :, None], (256, 1, 3)), tmp_path / "grad.png")
    with pytest.raises(InputError, match="no face"):
        load_portrait(tmp_path / "grad.png")
    # Not an image at all.
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(InputError, match="not an image"):
        load_portrait(tmp_path / "notes.jpg")


def test_photo_bad_input_through_the_cli(tmp_path, capsys) -> None:
    out = tmp_path / "x.mp4"
    (tmp_path / "notes.jpg").write_text("not a picture")
    cases = [
        ["say", "hello", "--photo", str(tmp_path / "missing.jpg"), "-o", str(out)],
        ["say", "hello", "--photo", str(tmp_path / "notes.jpg"), "-o", str(out)],
        ["say", "!!!", "-o", str(out)],
        ["say", "some.avatar", "hello", "--photo", str(tmp_path / "notes.jpg"), "-o", str(out)],
    ]
    for argv in cases:
        assert main(argv) == EXIT_BAD_INPUT, argv
        err = capsys.readouterr().err
        assert err.startswith("error:") and "Traceback" not in err
        assert not out.exists()


def _blank_png(path: Path, width: int, height: int) -> Path:
    path.write_bytes(one_bit_png(width, height))
    return path


def test_huge_photo_is_refused_from_its_header(tmp_path, monkeypatch) -> None:
    """Over PIL's bomb limit (2x and 1-2x) and over our own cap: InputError naming the size and
    the size to scale to, with no pixel decoded and no warning; a big photo under the cap passes."""
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("check_photo decoded pixels")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    limit = max_photo_pixels()
    assert limit <= Image.MAX_IMAGE_PIXELS
    cases = [(20000, 20000, "400 megapixels"),  # over 2x PIL's limit: Image.open raises
             (12000, 8000, "96 megapixels"),  # 1-2x PIL's limit: Image.open only warns
             (9000, 6000, "54 megapixels")]  # under PIL's limit, over ours
    for w, h, size in cases:
        path = _blank_png(tmp_path / f"{w}x{h}.png", w, h)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # PIL's DecompressionBombWarning must not escape
            with pytest.raises(InputError) as info:
                check_photo(path)
        message = info.value.message
        assert f"{w}×{h} px ({size})" in message and f"{limit / 1e6:.3g} megapixels" in message, message
        sw, sh = (int(d) for d in message.split("at most ")[1].split(" px")[0].split("×"))
        assert sw * sh <= limit and sw / sh == pytest.approx(w / h, rel=1e-3), message
    assert check_photo(_blank_png(tmp_path / "big.png", 8000, 6000)) == (8000, 6000)  # 48 MP: fine
    with pytest.raises(InputError, match="only 10×4000 px"):
        check_photo(_blank_png(tmp_path / "thin.png", 10, 4000))


def test_huge_photo_through_the_cli_is_bad_input(tmp_path, capsys) -> None:
    out = tmp_path / "o.mp4"
    for w, h in ((20000, 20000), (12000, 8000)):
        huge = _blank_png(tmp_path / "huge.png", w, h)
        assert main(["-q", "say", "--photo", str(huge), "hi", "-o", str(out)]) == EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"error: photo '{huge}' is {w}×{h} px"), err
        assert "scale it down to at most" in err and not out.exists()
