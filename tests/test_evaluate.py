"""Evaluate stage: metric arithmetic, and the acceptance checks on real GRID footage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from talkinghead.cli import main
from talkinghead.errors import InputError
from talkinghead.evaluate import evaluate
from talkinghead.evaluate import metrics as M
from talkinghead.speech.features import silent_frames
from talkinghead.video import VideoWriter, load_audio, read_frames

EXIT_BAD_INPUT = 2
REENCODE_CRF = 23  # an ordinary delivery quality


def test_lag_correlation_finds_a_planted_shift() -> None:
    rng = np.random.default_rng(0)
    ref = np.convolve(rng.normal(size=200), np.ones(5) / 5, mode="same")
    late = np.r_[np.full(3, ref[0]), ref[:-3]]  # generated is 3 frames late
    r = M.lag_correlation(late, ref)
    assert r.lag == 3 and r.best > 0.99 and r.at_zero < r.best
    assert M.lag_correlation(ref, ref).lag == 0


def test_pixel_metrics_on_identical_and_different_images() -> None:
    rng = np.random.default_rng(1)
    a = np.repeat(np.repeat(np.linspace(40, 200, 80)[None, :, None], 64, 0), 3, 2).astype(np.uint8)
    assert M.psnr(a, a) == float("inf") and M.ssim(a, a) == pytest.approx(1.0)
    b = np.clip(a.astype(int) + rng.integers(-20, 20, a.shape), 0, 255).astype(np.uint8)
    assert 20 < M.psnr(a, b) < 40 and M.ssim(a, b) < 0.95


def test_silent_frames_need_a_real_pause() -> None:
    env = np.r_[np.full(10, -60.0), np.full(20, -15.0), np.full(3, -60.0), np.full(20, -15.0)]
    silent = silent_frames(env)
    assert silent[:10].all() and not silent[10:30].any() and not silent[30:33].any()


def _clip(grid, grid_clips, k: int = 0) -> Path:
    return grid / "video" / f"{grid_clips[k]}.mp4"


def _rewrite(src: Path, dst: Path, *, delay: int = 0, fps: float = 25.0, crf: int = REENCODE_CRF,
             audio: bool = True) -> Path:
    frames = [f.image for f in read_frames(src, fps)]
    if delay:
        frames = [frames[0]] * delay + frames[:-delay]
    sound = load_audio(src, 22050)[0] if audio else None
    with VideoWriter(dst, fps, audio=sound, sample_rate=22050, crf=crf) as w:
        for f in frames:
            w.write(f)
    return dst


def test_identical_clip_scores_perfectly(grid, grid_clips) -> None:
    clip = _clip(grid, grid_clips)
    m = evaluate(clip, clip).metrics
    assert m["mouth_lmd_pct_iod"] == 0.0 and m["opening_correlation"] == pytest.approx(1.0)
    assert m["opening_lag_frames"] == 0 and m["ssim"] == pytest.approx(1.0)


def test_delay_reencode_and_mismatch(grid, grid_clips, tmp_path) -> None:
    clip = _clip(grid, grid_clips)
    delayed = evaluate(_rewrite(clip, tmp_path / "late.mp4", delay=3), clip).metrics
    assert delayed["opening_lag_frames"] == 3
    copy = evaluate(_rewrite(clip, tmp_path / "copy.mp4"), clip).metrics
    other = evaluate(_clip(grid, grid_clips, 120), clip).metrics
    # re-encoding moves the tracker a little; another sentence's real mouth moves it a lot
    assert copy["mouth_lmd_pct_iod"] < 0.6  # noise floor: 0.42 ± 0.05 % IOD (benchmarks/RESULTS.md)
    assert copy["mouth_lmd_pct_iod"] < 0.5 * other["mouth_lmd_pct_iod"]
    assert copy["opening_correlation"] > 0.9 > other["opening_correlation"]
    assert copy["psnr_db"] > 30 > other["psnr_db"]


def test_without_reference_judges_audio_against_mouth(grid, grid_clips) -> None:
    m = evaluate(_clip(grid, grid_clips)).metrics
    assert m["face_found"] == 1.0 and m["silent_frames"] >= 10
    assert m["silence_closure"] > 0.5
    assert m["audio_mouth_correlation_best"] > 0.2


def test_frame_rate_and_length_differences_are_resolved_and_said(grid, grid_clips, tmp_path) -> None:
    clip = _clip(grid, grid_clips)
    fast = _rewrite(clip, tmp_path / "30fps.mp4", fps=30.0)
    result = evaluate(fast, clip)
    assert any("resampled to 25" in n for n in result.notes)
    assert result.metrics["opening_correlation"] > 0.8  # still the same speech
    short = tmp_path / "short.mp4"
    with VideoWriter(short, 25) as w:
        for f in read_frames(clip):
            if f.index == 50:
                break
            w.write(f.image)
    result = evaluate(short, clip)
    assert any("trimmed to 50" in n for n in result.notes) and result.metrics["frames"] == 50


def test_cli_table_json_plot_and_bad_input(grid, grid_clips, tmp_path, capsys) -> None:
    clip = _clip(grid, grid_clips)
    js, png = tmp_path / "m.json", tmp_path / "m.png"
    assert main(["-q", "evaluate", str(clip), "--ref", str(clip), "--json", str(js), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "mouth LMD" in out and "opening lag" in out
    assert json.loads(js.read_text())["metrics"]["mouth_lmd_pct_iod"] == 0.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    rng = np.random.default_rng(2)
    faceless = tmp_path / "noface.mp4"
    with VideoWriter(faceless, 25) as w:
        for _ in range(30):
            w.write(rng.integers(0, 255, (96, 128, 3), np.uint8))
    mute = _rewrite(clip, tmp_path / "mute.mp4", audio=False)
    cases = [(["evaluate", str(clip), "--ref", str(faceless)], "no face found in the reference"),
             (["evaluate", str(mute)], "no audio track"),
             (["evaluate", str(clip), "--json", str(tmp_path / "m.txt")], "name the output .json"),
             (["evaluate", str(tmp_path / "missing.mp4")], "does not exist")]
    for argv, needle in cases:
        code = main(["-q", *argv])
        err = capsys.readouterr().err
        assert code == EXIT_BAD_INPUT and needle in err and len(err.strip().splitlines()) == 1, (argv, err)
    with pytest.raises(InputError):
        evaluate(faceless)


def test_syncnet_scores_join_the_evaluation(grid, grid_clips, tmp_path, capsys) -> None:
    """With (here: untrained) weights the LSE numbers appear; without --syncnet they do not."""
    torch = pytest.importorskip("torch", reason="torch not installed: pip install torch==2.13.0")
    from talkinghead.evaluate.syncnet import build_syncnet

    weights = tmp_path / "syncnet_untrained.model"
    torch.manual_seed(0)
    torch.save(build_syncnet().state_dict(), weights)
    clip = _clip(grid, grid_clips)
    assert main(["-q", "evaluate", str(clip), "--syncnet", str(weights), "--json", str(tmp_path / "s.json")]) == 0
    m = json.loads((tmp_path / "s.json").read_text())["metrics"]
    assert {"lse_d", "lse_c", "av_offset"} <= set(m) and m["lse_d"] > 0 and -15 <= m["av_offset"] <= 15
    assert main(["-q", "evaluate", str(clip), "--json", str(tmp_path / "n.json")]) == 0
    assert "lse_d" not in json.loads((tmp_path / "n.json").read_text())["metrics"]
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"not a model")
    capsys.readouterr()
    assert main(["-q", "evaluate", str(clip), "--syncnet", str(bad)]) == EXIT_BAD_INPUT
    assert "syncnet" in capsys.readouterr().err.lower()


def test_digital_silence_is_silent_and_a_breath_is_not() -> None:
    assert silent_frames(np.full(30, -100.0)).all()  # no level range at all: still silence
    env = np.r_[np.full(10, -70.0), np.full(10, -32.0), np.full(20, -15.0), np.full(10, -70.0)]
    silent = silent_frames(env)
    assert silent[:10].all() and not silent[10:40].any() and silent[40:].all()
