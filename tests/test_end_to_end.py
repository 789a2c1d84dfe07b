"""Enroll, say and dub end to end on the committed footage (tests/fixtures/speaker.mp4), so they
run in a fresh clone without ../shared: the built-in portrait speaking a known English text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkinghead.avatar import Avatar, clips_from, enroll
from talkinghead.cli import main
from talkinghead.errors import InputError
from talkinghead.evaluate import evaluate
from talkinghead.face import lip_gap
from talkinghead.render import AvatarSpeaker, PhotoSpeaker, dub, open_speaker, say
from talkinghead.speech import synthesize
from talkinghead.video import load_audio, probe, read_frames
from talkinghead.video.audio import save_wav

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEAKER = FIXTURES / "speaker.mp4"
TRANSCRIPT = (FIXTURES / "speaker.txt").read_text().strip()
NEW_WORDS = "Open the window, please. The blue book is on the table."


@pytest.fixture(scope="module")
def avatar(tmp_path_factory) -> Avatar:
    return enroll(clips_from([SPEAKER], text=TRANSCRIPT), tmp_path_factory.mktemp("e2e") / "me.avatar").avatar


@pytest.fixture(scope="module")
def new_speech(tmp_path_factory) -> Path:
    """Another sentence in the bundled voice, as a recording (wav)."""
    speech = synthesize(NEW_WORDS)
    path = tmp_path_factory.mktemp("e2e-audio") / "new.wav"
    save_wav(path, speech.audio, speech.sample_rate)
    return path


def test_the_fixture_is_small_and_what_its_script_says() -> None:
    info = probe(SPEAKER)
    assert SPEAKER.stat().st_size < 1_000_000 and info.has_audio
    assert (info.width, info.height, info.fps) == (256, 256, 25.0) and info.n_frames >= 250


def test_enrollment_learns_the_person_from_the_committed_footage(avatar) -> None:
    t = avatar.tracks
    assert t.usable.mean() > 0.9  # a face on (nearly) every frame
    assert avatar.mouth_model is not None  # enough speech for the per-person model
    phonemes = avatar.dictionary.phonemes
    own = [k for k, v in phonemes.items() if v.backoff is None]
    assert len(own) >= 15 and "m" in own
    # Bilabials close the mouth, open vowels open it: the dictionary read the footage right.
    assert lip_gap(avatar.dictionary.key_pose("m")) < 0.75 * lip_gap(avatar.dictionary.key_pose("æ"))


def test_say_makes_the_enrolled_person_speak_new_words(avatar, tmp_path) -> None:
    out = tmp_path / "say.mp4"
    report = say(avatar, NEW_WORDS, out)
    info = probe(out)
    audio, rate = load_audio(out)
    assert report.frames == info.n_frames and abs(info.duration - len(audio) / rate) < 0.1
    m = evaluate(out).metrics
    assert m["face_found"] == 1.0
    assert m["audio_mouth_correlation_best"] > 0.4  # the lips follow the new speech


@pytest.mark.parametrize("transcript", [NEW_WORDS, None])
def test_dub_a_recording_with_or_without_its_transcript(avatar, new_speech, tmp_path, transcript) -> None:
    out = tmp_path / "dub.mp4"
    dub(avatar, new_speech, out, transcript)
    m = evaluate(out).metrics
    assert m["face_found"] == 1.0 and m["audio_mouth_correlation_best"] > 0.4


def test_dub_video_re_voices_the_footage_keeping_its_frames(new_speech, tmp_path) -> None:
    out = tmp_path / "revoiced.mp4"
    report = dub(None, new_speech, out, video=SPEAKER)
    audio, rate = load_audio(new_speech)
    assert report.frames == round(len(audio) / rate * 25)
    source = next(iter(read_frames(SPEAKER))).image.astype(np.float64)
    made = next(iter(read_frames(out))).image.astype(np.float64)
    assert np.abs(made[:100] - source[:100]).mean() < 4  # above the mouth: the video's own frame
    m = evaluate(out).metrics
    assert m["face_found"] == 1.0 and m["audio_mouth_correlation_best"] > 0.4


def test_the_cli_enrolls_and_says_through_main(tmp_path, capsys) -> None:
    avatar_dir = tmp_path / "cli.avatar"
    assert main(["enroll", str(SPEAKER), "--text", TRANSCRIPT, "-o", str(avatar_dir)]) == 0
    out = tmp_path / "cli.mp4"
    assert main(["say", str(avatar_dir), "Good morning.", "-o", str(out)]) == 0
    assert probe(out).n_frames > 10
    assert main(["say", str(avatar_dir), "Good morning.", "-o", str(tmp_path / "x.avi")]) == 2
    assert "name the output .mp4" in capsys.readouterr().err


def test_one_speaker_opened_once_speaks_many_times(avatar, new_speech, tmp_path) -> None:
    with open_speaker(avatar) as speaker:
        assert isinstance(speaker, AvatarSpeaker) and speaker.fps == avatar.fps
        first = say(speaker, "Good morning.", tmp_path / "a.mp4")
        second = dub(speaker, new_speech, tmp_path / "b.mp4")
    assert first.frames > 10 and second.frames > first.frames
    with open_speaker(video=SPEAKER, near=tmp_path / "c.mp4") as speaker:  # a video re-voiced
        assert speaker.video is not None and speaker.avatar is speaker.video
        folder = speaker.video.path.parent
        assert folder.parent == tmp_path and folder.is_dir()
    assert not folder.exists()  # the on-the-fly enrollment is gone with the speaker
    with open_speaker() as speaker:
        assert isinstance(speaker, PhotoSpeaker) and speaker.portrait.source == "astronaut"


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"avatar": SPEAKER, "photo": SPEAKER}, "an avatar or a photo"),
    ({"video": SPEAKER, "photo": SPEAKER}, "--video or a photo"),
])
def test_contradictory_speakers_are_refused(kwargs, needle) -> None:
    with pytest.raises(InputError, match=needle), open_speaker(**kwargs):
        pass


def test_bank_crops_come_from_the_random_access_store(avatar, tmp_path, monkeypatch) -> None:
    import shutil

    from talkinghead.avatar import Avatar
    from talkinghead.avatar.bank import STORE_DATA, STORE_INDEX, BankStore
    from talkinghead.render.pipeline import bank_crops

    assert (avatar.path / STORE_INDEX).is_file()  # written at enrollment
    wanted = {0, 7, len(avatar.tracks) - 1}
    stored = bank_crops(avatar, wanted)
    copy = tmp_path / "old.avatar"  # an avatar enrolled before the store: built on first use
    shutil.copytree(avatar.path, copy)
    (copy / STORE_DATA).unlink()
    (copy / STORE_INDEX).unlink()
    old = Avatar.load(copy)
    monkeypatch.setattr(BankStore, "open", classmethod(lambda cls, folder, bank: None))
    decoded = bank_crops(old, wanted)  # where no store can be written: decoded from bank.mp4
    monkeypatch.undo()
    assert not (copy / STORE_INDEX).exists()
    rebuilt = bank_crops(old, wanted)
    assert (copy / STORE_INDEX).is_file()
    import cv2

    for j in wanted:
        assert bytes(decoded[j]) == bytes(rebuilt[j])  # both from bank.mp4
        # The store written at enrollment holds the cut itself (no video codec in between): the
        # same picture as bank.mp4's, within that codec's noise.
        a, b = (cv2.imdecode(x, cv2.IMREAD_COLOR).astype(float) for x in (stored[j], decoded[j]))
        assert 10 * np.log10(255.0**2 / max(np.mean((a - b) ** 2), 1e-9)) > 38
