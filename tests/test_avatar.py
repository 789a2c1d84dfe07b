"""Avatar stage: enrollment of real GRID footage, the dictionary's sanity, inspect, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from talkinghead.avatar import Avatar, AvatarMeta, ClipInput, EnrollOptions, clips_from, coverage_table, enroll
from talkinghead.cli import main
from talkinghead.errors import InputError
from talkinghead.face import MOUTH, lip_gap, mouth_width
from talkinghead.face.landmarks import LOWER_LIP_INNER, UPPER_LIP_INNER
from talkinghead.speech import synthesize
from talkinghead.video import VideoWriter, read_frames

EXIT_BAD_INPUT = 2


@pytest.fixture(scope="module")
def enrolled(grid, grid_clips, tmp_path_factory):
    """16 GRID clips spread over the corpus (48 s of footage), enrolled through the API."""
    out = tmp_path_factory.mktemp("avatars") / "s1.avatar"
    videos = [grid / "video" / f"{c}.mp4" for c in grid_clips[3::15][:16]]
    seen: list[tuple[str, float, float]] = []
    report = enroll(clips_from(videos, align_dir=grid / "align"), out,
                    progress=lambda task, done, total: seen.append((task, done, total)))
    return report, seen


def test_enrollment_makes_a_valid_avatar(enrolled) -> None:
    report, seen = enrolled
    avatar = Avatar.load(report.avatar.path)
    m = avatar.meta
    assert m.counts.clips == 16 and not report.skipped
    assert len(avatar.tracks) == m.counts.frames == 16 * 75
    assert avatar.tracks.found.mean() >= 0.99
    assert m.quality.rigid_residual_iod_median < 0.04
    # How the head moves while speaking was measured (GRID s1 sits still: slow, small motion).
    h = m.head_motion
    assert h is not None and 0.005 < h.speed_iod_s < 0.2 and 0.002 < h.range_iod < 0.1
    assert np.isfinite(h.loudness_r) and abs(h.lag_s) <= 0.4 and 0.015 < h.brow_raise_iod < 0.1  # he raises them at times
    assert "head motion while speaking" in coverage_table(avatar)
    # avatar.json round-trips through its record unchanged
    assert AvatarMeta.from_json(json.loads((avatar.path / "avatar.json").read_text())) == m
    assert AvatarMeta.from_json(m.to_json()) == m
    bank = list(read_frames(avatar.bank_path))
    assert len(bank) == len(avatar.tracks) and bank[0].image.shape == (160, 160, 3)
    # progress reached the end of both tasks
    assert max(d for t, d, n in seen if t == "track") == max(n for t, d, n in seen if t == "track")
    assert [d for t, d, n in seen if t == "align"][-1] == 16


def test_bank_crops_line_up_with_their_landmarks(enrolled) -> None:
    """The darkest band of a crop (the mouth opening) lies between the lip landmarks."""
    avatar = enrolled[0].avatar
    gaps = avatar.tracks.lip_gap
    k = int(np.nanargmax(gaps))  # the widest-open mouth
    crop = next(f.image for f in read_frames(avatar.bank_path) if f.index == k)
    mouth = avatar.crop.to_crop(avatar.tracks.canonical[k, MOUTH].astype(np.float32))
    upper, lower = mouth[UPPER_LIP_INNER], mouth[LOWER_LIP_INNER]
    x = int(round((upper[0] + lower[0]) / 2))
    column = crop[:, x].astype(float).mean(1)
    darkest = int(np.argmin(column[int(upper[1]) - 10: int(lower[1]) + 10])) + int(upper[1]) - 10
    assert upper[1] - 3 <= darkest <= lower[1] + 3


def test_dictionary_is_phonetically_sane(enrolled) -> None:
    d = enrolled[0].avatar.dictionary
    bilabial = [lip_gap(d.phonemes[k].key_pose) for k in ("p", "b", "m") if d.phonemes[k].backoff is None]
    open_vowels = [lip_gap(d.phonemes[k].key_pose) for k in ("ɑ", "æ", "ʌ", "aɪ", "aʊ")
                   if d.phonemes[k].backoff is None]
    assert bilabial and open_vowels
    assert max(bilabial) < min(open_vowels)
    rounded = [mouth_width(d.phonemes[k].key_pose) for k in ("u", "oʊ") if d.phonemes[k].backoff is None]
    spread = [mouth_width(d.phonemes[k].key_pose) for k in ("i", "eɪ") if d.phonemes[k].backoff is None]
    assert rounded and spread
    assert max(rounded) < min(spread)
    assert lip_gap(d.rest) < min(bilabial) + 0.02  # rest = closed mouth
    # every inventory phoneme answers, seen or not
    assert d.key_pose("ʒ").shape == (len(MOUTH), 2)


def test_inspect_prints_coverage_and_writes_contact_sheet(enrolled, capsys) -> None:
    avatar = enrolled[0].avatar
    assert main(["inspect", str(avatar.path)]) == 0
    out = capsys.readouterr().out
    assert "bilabial" in out and "own data" in out and "keyposes.png" in out
    png = avatar.path / "keyposes.png"
    import cv2

    sheet = cv2.imread(str(png))
    assert sheet is not None and sheet.shape[1] == 8 * 160 and sheet.shape[0] >= 2 * 182


def test_load_refuses_other_versions_and_damage(enrolled, tmp_path) -> None:
    import shutil

    copy = tmp_path / "old.avatar"
    shutil.copytree(enrolled[0].avatar.path, copy)
    meta = json.loads((copy / "avatar.json").read_text())
    meta["format_version"] = 0
    (copy / "avatar.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="enroll the same footage again"):
        Avatar.load(copy)
    (copy / "bank.mp4").unlink()
    for name in ("bank.jpg.bin", "bank.jpg.idx.npy"):  # without its random-access copy either
        (copy / name).unlink()
    with pytest.raises(InputError, match="incomplete"):
        Avatar.load(copy)


# ---------------------------------------------------------------- bad input through the CLI

def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["-q", *argv])
    return code, capsys.readouterr().err


def _video(path: Path, frames, audio=None) -> Path:
    with VideoWriter(path, 25, audio=audio, sample_rate=22050) as w:
        for f in frames:
            w.write(f)
    return path


def test_enroll_refuses_a_video_without_a_face(tmp_path: Path, capsys) -> None:
    speech = synthesize("Hello there, my friend.")
    n = int(speech.duration * 25)
    rng = np.random.default_rng(0)
    video = _video(tmp_path / "noface.mp4", (rng.integers(0, 255, (96, 128, 3), np.uint8) for _ in range(n)),
                   speech.audio)
    code, err = run(capsys, "enroll", str(video), "--text", "Hello there, my friend.", "-o",
                    str(tmp_path / "x.avatar"))
    assert code == EXIT_BAD_INPUT and "no face" in err and err.strip().endswith("match them")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noface.mp4"]


def test_enroll_refuses_a_video_without_sound_unless_pose_only(tmp_path: Path, capsys, grid, grid_clips) -> None:
    frames = [f.image for f in read_frames(grid / "video" / f"{grid_clips[0]}.mp4")]
    video = _video(tmp_path / "mute.mp4", frames)
    code, err = run(capsys, "enroll", str(video), "--text", "bin blue at f two now", "-o",
                    str(tmp_path / "x.avatar"))
    assert code == EXIT_BAD_INPUT and "no audio track" in err and "--no-audio" in err
    assert not (tmp_path / "x.avatar").exists()
    code, err = run(capsys, "enroll", str(video), "--no-audio", "-o", str(tmp_path / "pose.avatar"))
    assert code == 0, err
    avatar = Avatar.load(tmp_path / "pose.avatar")
    assert avatar.meta.pose_only and avatar.tracks.found.all()


def test_enroll_skips_a_mismatched_clip_and_lists_it(tmp_path: Path, capsys, grid, grid_clips) -> None:
    good, bad = grid_clips[0], grid_clips[100]
    tsv = tmp_path / "t.tsv"
    words = " ".join(line.split()[2] for line in (grid / "align" / f"{good}.align").read_text().splitlines()
                     if line.split()[2] not in ("sil", "sp"))
    tsv.write_text(f"{good}.mp4\t{words}\n{bad}\tthe quick brown fox jumps over the lazy dog\n")
    out = tmp_path / "two.avatar"
    code, err = run(capsys, "enroll", str(grid / "video" / f"{good}.mp4"), str(grid / "video" / f"{bad}.mp4"),
                    "--transcripts", str(tsv), "-o", str(out))
    assert code == 0, err
    assert f"skipped {grid / 'video' / f'{bad}.mp4'}" in err and "does not match" in err
    avatar = Avatar.load(out)
    assert avatar.meta.counts.clips == 1 and avatar.meta.skipped[0][0].endswith(f"{bad}.mp4")


def test_enroll_refuses_corrupt_files_and_existing_outputs(tmp_path: Path, capsys, grid, grid_clips) -> None:
    corrupt = tmp_path / "broken.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    code, err = run(capsys, "enroll", str(corrupt), "--text", "hello", "-o", str(tmp_path / "a.avatar"))
    assert code == EXIT_BAD_INPUT and "broken.mp4" in err and len(err.strip().splitlines()) == 1
    existing = tmp_path / "taken.avatar"
    existing.mkdir()
    clip = str(grid / "video" / f"{grid_clips[0]}.mp4")
    code, err = run(capsys, "enroll", clip, "--text", "bin blue at f two now", "-o", str(existing))
    assert code == EXIT_BAD_INPUT and "already exists" in err and "--force" in err
    code, err = run(capsys, "enroll", clip, "--text", "bin blue at f two now", "-o", str(existing), "--force")
    assert code == 0, err
    assert Avatar.load(existing).meta.counts.clips == 1
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_transcript_sources_are_checked(tmp_path: Path, grid) -> None:
    vids = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    with pytest.raises(InputError, match="one transcript but there are 2 videos"):
        clips_from(vids, text="hello")
    assert [c.transcript for c in clips_from(vids)] == [None, None]  # none: recognised at enrollment
    with pytest.raises(InputError, match="no alignment file"):
        clips_from(vids, align_dir=grid / "align")
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a.mp4\thello there\nb hello without a tab\n")
    with pytest.raises(InputError, match="line 2"):
        clips_from(vids, transcripts=tsv)
    with pytest.raises(InputError, match="does not exist"):
        enroll([ClipInput(vids[0], None)], tmp_path / "o.avatar")
    with pytest.raises(InputError, match="already exists"):
        enroll(clips_from([vids[0]], text="x"), tmp_path, EnrollOptions())


def test_enroll_without_a_transcript_recognises_the_speech(tmp_path: Path) -> None:
    from talkinghead.avatar import coverage_table

    fixture = Path(__file__).resolve().parent / "fixtures" / "speaker.mp4"
    said = (Path(__file__).resolve().parent / "fixtures" / "speaker.txt").read_text().lower()
    avatar = enroll(clips_from([fixture]), tmp_path / "me.avatar").avatar
    (source,) = avatar.meta.sources
    assert source.transcript_source == "recognised" and source.words >= 25
    heard = set(source.transcript.split())
    assert len(heard & set(re.findall(r"[a-z]+", said))) >= 0.7 * len(heard)  # mostly the words said
    assert avatar.mouth_model is not None and avatar.meta.coverage.phonemes_with_own_pose >= 12
    assert "recognised (English, no transcript given)" in coverage_table(avatar)


def test_a_clip_where_no_words_are_heard_still_enrolls(tmp_path: Path) -> None:
    from talkinghead.video import VideoWriter, read_frames

    fixture = Path(__file__).resolve().parent / "fixtures" / "speaker.mp4"
    quiet = tmp_path / "quiet.mp4"
    noise = np.random.default_rng(0).normal(0, 1e-4, 16000 * 4).astype(np.float32)
    with VideoWriter(quiet, 25.0, audio=noise, sample_rate=16000) as w:
        for f, _ in zip(read_frames(fixture), range(100)):
            w.write(f.image)
    avatar = enroll(clips_from([quiet]), tmp_path / "q.avatar").avatar
    (source,) = avatar.meta.sources
    assert source.transcript_source == "none" and source.words == 0 and avatar.meta.counts.usable > 90
