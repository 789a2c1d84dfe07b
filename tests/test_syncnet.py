"""SyncNet protocol: offsets, MFCC, crops in numpy; the network with torch; real weights opt-in."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from talkinghead.errors import InputError
from talkinghead.evaluate.syncnet import EXPECTED_SHAPES, GREY, SyncScore, face_crops, mfcc_16k, offset_scores

SR = 16000


def _unit(rng: np.random.Generator, n: int, d: int = 1024) -> np.ndarray:
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _planted(shift: int, n_video: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """video_emb[f] = audio_emb[f + shift] + small noise."""
    rng = np.random.default_rng(seed)
    audio = _unit(rng, n_video + 20)
    lo = 10  # keep f + shift inside the audio for every f
    video = audio[lo + shift:lo + shift + n_video] + 0.01 * rng.standard_normal((n_video, 1024))
    return video, audio[lo:]


# ---------------------------------------------------------------- offsets (numpy, never skipped)
@pytest.mark.parametrize("shift", [4, -3, 0])
def test_offset_scores_finds_planted_shift(shift: int) -> None:
    video, audio = _planted(shift)
    dists, offset, lse_d, lse_c = offset_scores(video, audio)
    assert dists.shape == (31,)
    assert offset == shift
    assert lse_d == pytest.approx(dists.min())
    assert lse_d < 0.5  # matched: only the noise (~0.32) remains
    # unrelated unit vectors are ~sqrt(2) apart: the confidence is large and clear
    assert lse_c > 0.9
    assert lse_c == pytest.approx(np.median(dists) - dists.min())


def test_offset_scores_zero_pad_like_original() -> None:
    video, audio = _planted(2, n_video=40)
    _, offset, _, lse_c = offset_scores(video, audio[:40], zero_pad=True)
    assert offset == 2 and lse_c > 0.5
    with pytest.raises(ValueError, match="too few windows"):
        offset_scores(video[:20], audio[:20])  # 20 < 31 windows: no common valid range


def test_offset_scores_no_sync_has_low_confidence() -> None:
    rng = np.random.default_rng(1)
    _, _, _, lse_c = offset_scores(_unit(rng, 60), _unit(rng, 60))
    assert lse_c < 0.05


# ---------------------------------------------------------------- MFCC
def test_mfcc_shape_and_constant_energy_for_a_tone() -> None:
    # 1000 Hz: a 400-sample frame holds 25 whole periods and the 160-sample hop 10, so every
    # full frame is the same signal and the log-energy row (c0) must be flat.
    t = np.arange(SR) / SR
    m = mfcc_16k(0.5 * np.sin(2 * np.pi * 1000 * t))
    assert m.shape == (13, 99) and m.dtype == np.float32  # 1 + ceil((16000 - 400) / 160)
    c0 = m[0, 1:-1]  # frame 0 has the pre-emphasis start, the last is zero-padded
    assert np.ptp(c0) < 1e-4
    assert np.ptp(m[0]) > 0.1  # the padded last frame differs: the row is really energy


def _reference_frame(x: np.ndarray, k: int) -> np.ndarray:
    """python_speech_features.mfcc defaults for frame k, written independently (vectorised)."""
    y = np.concatenate([[x[0]], x[1:] - 0.97 * x[:-1]])[160 * k:160 * k + 400]
    p = np.abs(np.fft.rfft(y, 512)) ** 2 / 512
    mel = np.linspace(0, 2595 * np.log10(1 + 8000 / 700), 28)
    b = np.floor(513 * 700 * (10 ** (mel / 2595) - 1) / SR)
    i = np.arange(257)[None, :]
    up = (i - b[:-2, None]) / (b[1:-1, None] - b[:-2, None])
    down = (b[2:, None] - i) / (b[2:, None] - b[1:-1, None])
    fb = np.where(i < b[1:-1, None], up, down) * ((i >= b[:-2, None]) & (i < b[2:, None]))
    logmel = np.log(fb @ p)
    n = np.arange(26)
    c = np.array([np.sqrt((1 if q else 0.5) * 2 / 26)
                  * np.sum(logmel * np.cos(np.pi * q * (2 * n + 1) / 52)) for q in range(13)])
    c *= 1 + 11 * np.sin(np.pi * np.arange(13) / 22)
    c[0] = np.log(p.sum())
    return c


def test_mfcc_matches_hand_computed_frame() -> None:
    rng = np.random.default_rng(2)
    x = np.round(rng.standard_normal(8000) * 3000)  # int16-scale noise, as SyncNet sees it
    m = mfcc_16k(x)
    for k in (0, 17, 40):
        np.testing.assert_allclose(m[:, k], _reference_frame(x, k), rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- face crops (numpy + cv2)
def test_face_crops_box_and_missing_faces() -> None:
    frames = [np.zeros((200, 300, 3), np.uint8) for _ in range(4)]
    for f in frames:
        f[50:150, 100:200] = (255, 0, 0)  # a red "face" square
    lm = np.zeros((4, 478, 2), np.float32)
    lm[:, :, 0] = np.linspace(100, 200, 478)
    lm[:, :, 1] = np.linspace(50, 150, 478)
    lm[0] = np.nan  # no face yet -> grey
    lm[2] = np.nan  # lost -> previous crop
    crops = face_crops(iter(frames), lm, smooth=1)
    assert crops.shape == (4, 224, 224, 3) and crops.dtype == np.uint8
    assert (crops[0] == GREY).all()
    np.testing.assert_array_equal(crops[2], crops[1])
    # side 125 px centred on the square: the red square fills the middle 100/125 of the crop
    c = crops[1]
    assert (c[112, 112] == (255, 0, 0)).all()
    assert c[5, 112].sum() == 0 and c[112, 5].sum() == 0  # margin shows the black frame
    with pytest.raises(InputError):
        face_crops(iter(frames[:3]), lm)


# ---------------------------------------------------------------- the network (needs torch)
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="torch not installed: pip install torch==2.13.0")


@pytest.fixture(scope="module")
def model(torch):
    from talkinghead.evaluate.syncnet import build_syncnet

    torch.manual_seed(0)
    return build_syncnet()


def test_state_dict_layout(model) -> None:
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == EXPECTED_SHAPES
    # the table, literally
    assert shapes["netcnnaud.0.weight"] == (64, 1, 3, 3)
    assert shapes["netcnnaud.4.weight"] == (192, 64, 3, 3)
    assert shapes["netcnnaud.18.weight"] == (512, 256, 5, 4)
    assert shapes["netcnnaud.19.running_var"] == (512,)
    assert shapes["netcnnlip.0.weight"] == (96, 3, 5, 7, 7)
    assert shapes["netcnnlip.4.weight"] == (256, 96, 1, 5, 5)
    assert shapes["netcnnlip.18.weight"] == (512, 256, 1, 6, 6)
    assert shapes["netfcaud.0.weight"] == (512, 512)
    assert shapes["netfcaud.1.running_mean"] == (512,)
    assert shapes["netfclip.3.weight"] == (1024, 512)
    assert shapes["netfclip.3.bias"] == (1024,)
    assert len(shapes) == 102
    assert not model.training


def test_forward_shapes(torch, model) -> None:
    with torch.no_grad():
        assert tuple(model.netcnnaud(torch.randn(3, 1, 13, 20)).shape) == (3, 512, 1, 1)
        assert tuple(model.forward_aud(torch.randn(3, 1, 13, 20)).shape) == (3, 1024)
        lips = torch.rand(2, 3, 5, 224, 224) * 255
        assert tuple(model.netcnnlip(lips).shape) == (2, 512, 1, 1, 1)
        assert tuple(model.forward_lip(lips).shape) == (2, 1024)
        # a 7-frame clip gives its three 5-frame windows, as if stacked
        clip = torch.rand(1, 3, 7, 224, 224) * 255
        windows = torch.cat([clip[:, :, i:i + 5] for i in range(3)])
        a, b = model.forward_lip(clip), model.forward_lip(windows)
        assert tuple(a.shape) == (3, 1024)
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-4 * float(b.abs().max()))


def test_load_syncnet_checks_keys_and_shapes(torch, model, tmp_path: Path) -> None:
    from talkinghead.evaluate.syncnet import load_syncnet

    state = model.state_dict()
    good = tmp_path / "good.model"
    torch.save(state, good)
    loaded = load_syncnet(good)
    assert torch.equal(loaded.state_dict()["netfclip.3.weight"], state["netfclip.3.weight"])

    old = tmp_path / "old.model"  # pre-0.4.1 torch saved no num_batches_tracked
    torch.save({k: v for k, v in state.items() if "num_batches_tracked" not in k}, old)
    load_syncnet(old)

    missing = tmp_path / "missing.model"
    torch.save({k: v for k, v in state.items() if k != "netcnnaud.4.weight"}, missing)
    with pytest.raises(InputError, match=r"key 'netcnnaud\.4\.weight' is missing"):
        load_syncnet(missing)

    bad = dict(state)
    bad["netfcaud.3.weight"] = torch.zeros(512, 512)
    wrong = tmp_path / "wrong.model"
    torch.save(bad, wrong)
    with pytest.raises(InputError, match=r"netfcaud\.3\.weight") as info:
        load_syncnet(wrong)
    assert "not syncnet_v2.model" in str(info.value)

    extra = dict(state, **{"netfclip.9.weight": torch.zeros(1)})
    torch.save(extra, tmp_path / "extra.model")
    with pytest.raises(InputError, match=r"unexpected key 'netfclip\.9\.weight'"):
        load_syncnet(tmp_path / "extra.model")

    (tmp_path / "junk.model").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not syncnet_v2.model"):
        load_syncnet(tmp_path / "junk.model")
    with pytest.raises(InputError, match="do not exist"):
        load_syncnet(tmp_path / "absent.model")


def test_lse_runs_end_to_end_and_batches_agree(torch, model) -> None:
    from talkinghead.evaluate.syncnet import lse

    rng = np.random.default_rng(3)
    crops = rng.integers(0, 256, (9, 224, 224, 3), dtype=np.uint8)
    audio = (0.1 * rng.standard_normal(int(9 / 25 * SR))).astype(np.float32)
    a = lse(model, crops, audio, batch=2, max_offset=2, zero_pad=True)
    b = lse(model, crops, audio, batch=20, max_offset=2, zero_pad=True)
    assert isinstance(a, SyncScore) and len(a.dists) == 5
    assert -2 <= a.av_offset <= 2 and a.lse_c >= 0
    np.testing.assert_allclose(a.dists, b.dists, rtol=1e-4)
    assert torch.get_num_threads() >= 1
    with pytest.raises(InputError, match="too short"):
        lse(model, crops, audio)  # 5 windows cannot cover offsets ±15 in the common range


def test_lse_feeds_the_original_input_format(torch) -> None:
    """BGR 0-255 float frames [f, f+5) and int16-scale MFCC columns [4f, 4f+20) per window f."""
    from talkinghead.evaluate.syncnet import lse

    seen: dict[str, list] = {"lip": [], "aud": []}

    class Spy:  # stands in for the network: records its inputs, returns distinct embeddings
        def eval(self):
            return self

        def forward_lip(self, x):
            seen["lip"].append(x.clone())
            return torch.eye(1024)[: x.shape[2] - 4]

        def forward_aud(self, x):
            seen["aud"].append(x.clone())
            return torch.eye(1024)[: x.shape[0]]

    rng = np.random.default_rng(4)
    crops = rng.integers(0, 256, (12, 224, 224, 3), dtype=np.uint8)
    audio = (0.2 * rng.standard_normal(int(12 / 25 * SR))).astype(np.float32)
    lse(Spy(), crops, audio, batch=3, max_offset=1, zero_pad=True)
    lips = torch.cat([x[0].permute(1, 0, 2, 3) for x in seen["lip"][:1]])  # first clip: (T,3,H,W)
    first = seen["lip"][0]
    assert first.dtype == torch.float32 and tuple(first.shape) == (1, 3, 7, 224, 224)
    np.testing.assert_array_equal(lips[:, 0].numpy(), crops[:7, :, :, 2])  # B first
    np.testing.assert_array_equal(lips[:, 2].numpy(), crops[:7, :, :, 0])  # R last
    second = seen["lip"][1][0, :, 0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(second, crops[3, :, :, ::-1])  # next batch starts at frame 3
    aud = torch.cat(seen["aud"]).numpy()
    n_win = len(aud)
    # 0.48 s of audio = 47 MFCC columns -> 7 windows (the original's min_length - 5); video: 8
    assert n_win == 7 and aud.shape[1:] == (1, 13, 20)
    mfcc = mfcc_16k(np.round(audio.astype(np.float64) * 32768))
    for f in (0, 5, 6):
        np.testing.assert_allclose(aud[f, 0], mfcc[:, 4 * f:4 * f + 20], rtol=1e-6)


# ---------------------------------------------------------------- real weights (opt-in)
def test_real_weights_on_grid_clip(grid: Path) -> None:
    weights = os.environ.get("TALKINGHEAD_SYNCNET")
    if not weights:
        pytest.skip("syncnet_v2.model not provided: "
                    "set TALKINGHEAD_SYNCNET=/path/to/syncnet_v2.model")
    pytest.importorskip("torch", reason="torch not installed: pip install torch==2.13.0")
    from talkinghead.evaluate.syncnet import load_syncnet, lse
    from talkinghead.face import track_frames
    from talkinghead.video import load_audio, read_frames

    clip = grid / "video" / "bbaf2n.mp4"
    model = load_syncnet(weights)
    raw = track_frames(f.image for f in read_frames(clip, fps=25))
    crops = face_crops((f.image for f in read_frames(clip, fps=25)), raw.landmarks)
    audio, _ = load_audio(clip, 16000)
    score = lse(model, crops, audio)
    # GRID is recorded in sync: the minimum sits near offset 0 with a clear dip.
    assert abs(score.av_offset) <= 2, score
    assert score.lse_c > 1.0, score
    assert 3.0 < score.lse_d < 12.0, score
    # shifting the audio by 5 frames (0.2 s) moves the minimum by 5 frames
    late = lse(model, crops, np.concatenate([np.zeros(3200, np.float32), audio]))
    assert abs(late.av_offset - score.av_offset - 5) <= 1, (score, late)  # > 0: audio lags
