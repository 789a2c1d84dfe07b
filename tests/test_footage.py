"""Footage as it comes (issue 17): a phone's rotation metadata, variable frame rate, a video
stream that starts after its sound, a scene cut to a face-less shot, two faces. Each clip is made
here from the committed fixture with PyAV, then read, evaluated or re-voiced (`dub --video`)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from skimage import data as skdata

from talkinghead.evaluate import evaluate
from talkinghead.render import dub
from talkinghead.video import VideoWriter, load_audio, probe, read_frames

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "speaker.mp4"
SECONDS = 6.0  # of the fixture used: enough speech to measure sync, quick to re-voice


def _write_clip(path: Path, frames: list[np.ndarray], times: list[float], audio: np.ndarray, rate: int,
                rotation: int = 0) -> Path:
    """An mp4 of RGB ``frames`` stored as given at presentation ``times`` (s; uneven = VFR), with
    display rotation metadata ``rotation`` (degrees counterclockwise) and mono AAC ``audio`` from 0."""
    with av.open(str(path), "w") as out:
        h, w = frames[0].shape[:2]
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.codec_context.time_base = v.time_base = Fraction(1, 1000)
        v.options = {"crf": "16"}
        if rotation:
            v.set_display_rotation(rotation)
        a = out.add_stream("aac", rate=rate)
        a.layout = "mono"
        for image, t in zip(frames, times):
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            f.pts, f.time_base = int(round(t * 1000)), Fraction(1, 1000)
            out.mux(v.encode(f))
        out.mux(v.encode())
        for i in range(0, len(audio), 1024):
            f = av.AudioFrame.from_ndarray(audio[None, i:i + 1024].astype(np.float32), format="flt", layout="mono")
            f.sample_rate, f.pts, f.time_base = rate, i, Fraction(1, rate)
            out.mux(a.encode(f))
        out.mux(a.encode())
    return path


@pytest.fixture(scope="module")
def source():
    frames = [f.image for f in read_frames(FIXTURE)][: int(SECONDS * 25)]
    audio, rate = load_audio(FIXTURE)
    return frames, [k / 25 for k in range(len(frames))], audio[: int(SECONDS * rate)], rate


@pytest.fixture(scope="module")
def speech(source, tmp_path_factory):
    """The clips' own sound, to re-voice them with: the universal model follows this voice closely
    on this face, so the re-voiced mouth's lag behind the sound is well measured."""
    from talkinghead.video.audio import save_wav

    return save_wav(tmp_path_factory.mktemp("speech") / "speech.wav", source[2], source[3])


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _seconds(audio: Path) -> float:
    samples, rate = load_audio(audio)
    return len(samples) / rate


def _lag(path: Path) -> float:
    return evaluate(path).metrics["audio_mouth_lag_frames"]


@pytest.fixture(scope="module")
def reference(source, speech, tmp_path_factory) -> Path:
    """The same speech re-voicing the plain clip (constant rate, upright, one face, no cut)."""
    folder = tmp_path_factory.mktemp("plain")
    clip = _write_clip(folder / "plain.mp4", *source)
    dub(None, speech, folder / "out.mp4", video=clip)
    return folder / "out.mp4"


def _in_step(out: Path, reference: Path) -> None:
    """``out``'s mouth moves with the reference re-voicing's (same speech): in sync within ±1
    frame. (Compared with each other rather than each with the sound: the sound → mouth lag of a
    short clip is measured to ±2 frames, the mouth → mouth lag much more finely.)"""
    m = evaluate(out, reference).metrics
    assert abs(m["opening_lag_frames"]) <= 1 and m["opening_correlation_best"] > 0.3, m


def test_a_rotated_phone_clip_is_read_and_revoiced_upright(source, speech, reference, tmp_path) -> None:
    frames, times, audio, rate = source
    tall = [np.vstack([f, np.full((64, 256, 3), 120, np.uint8)]) for f in frames]  # 256 wide, 320 tall
    stored = [np.rot90(f, -1) for f in tall]  # the sensor's landscape frames, shown turned back
    clip = _write_clip(tmp_path / "phone.mp4", stored, times, audio, rate, rotation=90)
    info = probe(clip)
    assert (info.width, info.height, info.rotation) == (256, 320, 90)
    first = next(read_frames(clip)).image
    assert first.shape == (320, 256, 3) and _psnr(first, tall[0]) > 35  # upright, not sideways
    out = tmp_path / "out.mp4"
    dub(None, speech, out, video=clip)
    shown = probe(out)
    assert (shown.width, shown.height, shown.rotation) == (256, 320, 0)
    assert abs(shown.duration - _seconds(speech)) < 0.1
    top = next(read_frames(out)).image[:90]  # the eyes and brow: not re-drawn
    assert _psnr(top, tall[0][:90]) > 30
    _in_step(out, reference)


def test_variable_frame_rate_comes_out_constant_and_in_sync(source, speech, reference, tmp_path) -> None:
    frames, times, audio, rate = source
    keep = [k for k in range(len(frames)) if k % 4 != 3]  # a dropped frame in every four: 40 / 80 ms steps
    clip = _write_clip(tmp_path / "vfr.mp4", [frames[k] for k in keep], [times[k] for k in keep], audio, rate)
    info = probe(clip)
    assert info.variable_rate and info.fps == 25.0  # its base rate, not the 18.75 frames/s average
    assert abs(_lag(clip) - _lag(FIXTURE)) <= 1  # read at a constant rate, the sound still fits
    out = tmp_path / "out.mp4"
    dub(None, speech, out, video=clip)
    shown = probe(out)
    assert not shown.variable_rate and shown.fps == 25.0 and abs(shown.duration - _seconds(speech)) < 0.1
    _in_step(out, reference)


def test_a_video_stream_that_starts_after_its_sound_stays_in_sync(source, tmp_path) -> None:
    frames, times, audio, rate = source
    # The first 5 frames are missing: the picture starts 0.2 s into the sound, at its true time.
    clip = _write_clip(tmp_path / "late.mp4", frames[5:], times[5:], audio, rate)
    got = [f.image for f in read_frames(clip)]
    assert len(got) == len(frames) and all(np.array_equal(got[k], got[5]) for k in range(5))
    assert abs(_lag(clip) - _lag(FIXTURE)) <= 1


def test_a_scene_cut_to_a_faceless_shot_passes_through(source, speech, reference, tmp_path) -> None:
    frames, times, audio, rate = source
    coffee = cv2.resize(skdata.coffee(), (256, 256), interpolation=cv2.INTER_AREA)
    cut = [coffee if 100 <= k < 130 else f for k, f in enumerate(frames)]
    clip = _write_clip(tmp_path / "cut.mp4", cut, times, audio, rate)
    out = tmp_path / "out.mp4"
    dub(None, speech, out, video=clip)
    # The codec's own noise, for comparison: the clip's decoded frames through the same writer.
    decoded = [f.image for f in read_frames(clip)]
    plain = tmp_path / "plain.mp4"
    with VideoWriter(plain, 25.0) as w:
        for image in decoded:
            w.write(image)
    made = [f.image for f in read_frames(out)]
    again = [f.image for f in read_frames(plain)]
    assert abs(probe(out).duration - _seconds(speech)) < 0.1
    ours = [_psnr(made[k], decoded[k]) for k in range(100, 130)]
    codec = [_psnr(again[k], decoded[k]) for k in range(100, 130)]
    assert min(ours) > min(codec) - 1.0  # untouched: only the encoder's noise
    # The face before the cut is re-voiced in sync (measured there: the shot without a face has
    # no mouth to measure).
    sound, rate = load_audio(out)
    for name, images in (("before", made[:100]), ("reference_before", [f.image for f in read_frames(reference)][:100])):
        with VideoWriter(tmp_path / f"{name}.mp4", 25.0, audio=sound[: 4 * rate], sample_rate=rate) as w:
            for image in images:
                w.write(image)
    _in_step(tmp_path / "before.mp4", tmp_path / "reference_before.mp4")


def _two_faces(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The speaker (256 px) and, beside it, the speaker again smaller (176 px) and a second
    later: two people talking, the second one smaller."""
    two = []
    for k, f in enumerate(frames):
        canvas = np.full((256, 448, 3), 90, np.uint8)
        canvas[:, :256] = f
        canvas[40:216, 264:440] = cv2.resize(frames[(k + 25) % len(frames)], (176, 176), interpolation=cv2.INTER_AREA)
        two.append(canvas)
    return two


def test_with_two_faces_the_largest_is_revoiced_and_the_other_left_alone(source, speech, reference,
                                                                       tmp_path) -> None:
    frames, times, audio, rate = source
    clip = _write_clip(tmp_path / "two.mp4", _two_faces(frames), times, audio, rate)
    out = tmp_path / "out.mp4"
    dub(None, speech, out, video=clip)
    made = [f.image for f in read_frames(out)]
    decoded = [f.image for f in read_frames(clip)]
    right = [_psnr(m[:, 264:], d[:, 264:]) for m, d in zip(made, decoded)]
    left_mouth = [_psnr(m[100:145, 95:165], d[100:145, 95:165]) for m, d in zip(made, decoded)]
    assert min(right) > 35 and np.median(left_mouth) < min(right) - 3  # the small face untouched, the large re-voiced
    _in_step(out, reference)


def test_face_2_is_revoiced_and_face_1_left_alone(source, speech, tmp_path, capsys) -> None:
    from talkinghead.cli import main

    frames, times, audio, rate = source
    clip = _write_clip(tmp_path / "two.mp4", _two_faces(frames), times, audio, rate)
    sheet = tmp_path / "faces.png"
    assert main(["faces", str(clip), "-o", str(sheet)]) == 0
    assert "2 face(s)" in capsys.readouterr().out and cv2.imread(str(sheet)).shape == (256, 448, 3)
    out = tmp_path / "out.mp4"
    assert main(["-q", "dub", "--video", str(clip), str(speech), "--face", "2", "-o", str(out)]) == 0
    made = [f.image for f in read_frames(out)]
    decoded = [f.image for f in read_frames(clip)]
    left = [_psnr(m[:, :256], d[:, :256]) for m, d in zip(made, decoded)]
    right_mouth = [_psnr(m[105:145, 325:380], d[105:145, 325:380]) for m, d in zip(made, decoded)]
    assert min(left) > 35 and np.median(right_mouth) < min(left) - 3  # face 2 re-voiced, face 1 not
    assert main(["-q", "dub", str(speech), "--face", "2", "-o", str(tmp_path / "x.mp4")]) == 2  # no --video
