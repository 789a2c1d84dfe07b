"""Captions: cues timed on the phoneme timeline, the written form kept, line limits, Chinese
breaking, SRT/WebVTT files, a soft subtitle track, burned-in text below the chin, and the CLI,
live and batch paths that make them."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess

import av
import numpy as np
import pytest

from talkinghead.captions import CaptionOptions, Captions, Cue, caption_text, captions_for, make_captions
from talkinghead.captions.burn import CaptionBurner
from talkinghead.cli import main
from talkinghead.errors import InputError
from talkinghead.face import FaceTracker
from talkinghead.render import RenderOptions, say
from talkinghead.speech import TimedWord, synthesize
from talkinghead.timeline import frame_count
from talkinghead.video import read_frames
from talkinghead.video.audio import save_wav

FPS = 25.0
FRAME = 1 / FPS
ENGLISH = ("It costs $12.50, okay? Meet me at 3:15 pm on June 30, 2024! This is a rather long sentence "
           "that goes on, and on, past what two lines of a caption can hold, so it is cut into more than one cue.")
CHINESE = "我在2024年8月8号买了3本书，花了$12.50。今天天气很好，我们一起去公园散步吧，然后再去吃饭，好不好？"
_PUNCT_START = re.compile(r"^[，。！？、；：,.!?;:）」』”]")


@pytest.fixture(scope="module")
def english():
    return synthesize(ENGLISH)


@pytest.fixture(scope="module")
def chinese():
    return synthesize(CHINESE)


def _words_of(cue: Cue, speech) -> list[TimedWord]:
    """The spoken words a cue shows: those whose middle lies inside it."""
    return [w for w in speech.words if cue.start <= (w.start + w.end) / 2 < cue.end]


def test_cues_start_and_end_with_the_spoken_words_on_the_phoneme_timeline(english) -> None:
    captions = captions_for(english, FPS)
    assert len(captions.cues) >= 3
    shown = [w for c in captions.cues for w in _words_of(c, english)]
    assert shown == list(english.words)  # every word in exactly one cue, in order
    for i, cue in enumerate(captions.cues):
        words = _words_of(cue, english)
        # The cue's first frame holds the first phoneme of its first word (± 1 frame).
        first = next(p for p in english.phonemes if p.word == english.words.index(words[0]))
        assert abs(cue.start - first.start) <= FRAME + 1e-9
        assert cue.start <= first.start + 1e-9  # never after the word is heard
        assert cue.end >= words[-1].end - FRAME - 1e-9
        nxt = captions.cues[i + 1].start if i + 1 < len(captions.cues) else frame_count(english.duration, FPS) / FPS
        needed = max(1.0, sum(map(len, cue.lines)) / 17.0)
        # It ends with its last word, unless kept up for reading until the next cue (never into it).
        assert cue.end <= nxt + 1e-9
        if cue.end > words[-1].end + FRAME:
            assert math.isclose(cue.end - cue.start, needed, abs_tol=FRAME) or math.isclose(cue.end, nxt)
        for t in (cue.start, cue.end):
            assert abs(t * FPS - round(t * FPS)) < 1e-6  # on the frame grid


def test_cues_show_the_text_as_written_within_the_line_limits(english) -> None:
    captions = captions_for(english, FPS)
    assert " ".join(line for c in captions.cues for line in c.lines) == ENGLISH
    texts = [c.text for c in captions.cues]
    assert texts[0] == "It costs $12.50, okay?"  # digits stay digits; the sentence ends the cue
    assert "3:15 pm on June 30, 2024!" in texts[1].replace("\n", " ")
    for i, cue in enumerate(captions.cues):
        assert 1 <= len(cue.lines) <= 2 and all(len(x) <= 42 for x in cue.lines)
        assert cue.end - cue.start <= 7.0 + 1e-9
        last = i == len(captions.cues) - 1
        assert cue.end - cue.start >= 1.0 - 1e-9 or last
    long = [c for c in captions.cues if len(c.lines) == 2]
    assert long and all(not _PUNCT_START.match(x) for c in long for x in c.lines)


def test_a_cue_never_shows_shorter_than_its_words_take_to_read() -> None:
    # Three words said fast: 0.4 s of speech with a long caption text is kept up for reading.
    words = [TimedWord("x", 0.0, 0.15, "Supercalifragilisticexpialidocious"),
             TimedWord("y", 0.15, 0.3, "antidisestablishmentarianism,"), TimedWord("z", 0.3, 0.4, "indeed.")]
    (cue,) = make_captions(words, FPS, duration=10.0).cues
    assert cue.end - cue.start >= sum(map(len, cue.lines)) / 17.0 - FRAME
    # … but never into the next cue.
    later = [TimedWord("w", 1.0, 1.4, "Next.")]
    first, second = make_captions(words + later, FPS, duration=10.0).cues
    assert first.end <= second.start == 1.0


def test_chinese_cues_break_at_characters_and_punctuation(chinese) -> None:
    captions = captions_for(chinese, FPS)
    assert captions.language == "zho"
    joined = "".join(line for c in captions.cues for line in c.lines)
    assert joined == CHINESE  # written form: "2024年8月8号", "$12.50", no spaces added between hanzi
    for cue in captions.cues:
        assert len(cue.lines) <= 2 and all(len(x) <= 16 for x in cue.lines)
        assert all(not _PUNCT_START.match(x) for x in cue.lines)  # a mark never starts a line
    # A sentence end closes its cue; lines break between characters (no spaces inside them).
    assert captions.cues[0].text.replace("\n", "").endswith("。")
    assert any(len(c.lines) == 2 for c in captions.cues)


def test_srt_and_webvtt_files() -> None:
    captions = Captions((Cue(0.08, 3.32, ("It costs $12.50, okay?",)), Cue(3.96, 8.32, ("Meet me at 3:15 pm", "on June 30."))),
                        "eng")
    assert caption_text(captions, "srt") == ("1\n00:00:00,080 --> 00:00:03,320\nIt costs $12.50, okay?\n\n"
                                             "2\n00:00:03,960 --> 00:00:08,320\nMeet me at 3:15 pm\non June 30.\n")
    vtt = caption_text(Captions(captions.cues, "eng", recognised=True), "vtt")
    assert vtt.startswith("WEBVTT\n\nNOTE Recognised automatically")
    assert "00:00:03.960 --> 00:00:08.320\nMeet me at 3:15 pm\non June 30.\n" in vtt


def test_a_soft_subtitle_track_that_players_list(tmp_path) -> None:
    out = tmp_path / "soft.mp4"
    report = say(None, "Hello there. It costs $12.50.", out, options=RenderOptions(captions=CaptionOptions(show="soft")))
    with av.open(str(out)) as container:  # libavformat: what ffprobe lists
        (sub,) = container.streams.subtitles
        assert sub.codec_context.name == "mov_text"
        assert sub.metadata["language"] == "eng"
        cues = [(p.pts / 1000, bytes(p)[2:].decode()) for p in container.demux(sub) if p.size > 2]
    assert [t for _, t in cues] == [c.text for c in report.captions.cues] == ["Hello there.", "It costs $12.50."]
    assert [s for s, _ in cues] == pytest.approx([c.start for c in report.captions.cues], abs=1e-3)
    if shutil.which("ffprobe"):  # where FFmpeg's own tools are installed, they list it too
        listed = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name:stream_tags=language",
                                 "-of", "csv=p=0", str(out)], capture_output=True, text=True, check=True).stdout
        assert "mov_text,eng" in listed.split()


def _caption_box(with_captions: np.ndarray, without: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of where two renders of the same frame differ (the caption)."""
    diff = np.abs(with_captions.astype(int) - without.astype(int)).max(axis=2) > 40
    ys, xs = np.nonzero(diff)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def test_burned_in_captions_sit_below_the_chin(tmp_path) -> None:
    text = "Please bring me the blue book from the table."
    plain, burned = tmp_path / "plain.mp4", tmp_path / "burned.mp4"
    say(None, text, plain)
    report = say(None, text, burned, options=RenderOptions(captions=CaptionOptions(show="burn")))
    with av.open(str(burned)) as c:
        assert not c.streams.subtitles  # drawn in, not a track
    k = 30  # a frame while the caption shows
    assert report.captions.cues[0].start * FPS < k < report.captions.cues[0].end * FPS
    a = next(f.image for f in read_frames(burned) if f.index == k)
    b = next(f.image for f in read_frames(plain) if f.index == k)
    x0, y0, x1, y1 = _caption_box(a, b)
    h, w = a.shape[:2]
    assert x1 - x0 > w / 4 and y1 - y0 >= 12  # a real block of text
    assert y1 <= 0.96 * h and x0 >= 0.04 * w and x1 <= 0.96 * w  # inside the safe margins
    with FaceTracker(static=True) as tracker:
        landmarks, _ = tracker.process(a)
    assert landmarks is not None
    chin_y = landmarks[152, 1]  # FaceMesh's chin point
    assert y0 > chin_y  # below the chin, so never over the mouth


def test_the_burner_moves_a_caption_off_a_low_mouth() -> None:
    captions = Captions((Cue(0.0, 1.0, ("A caption",)),))
    frame = np.zeros((288, 360, 3), np.uint8)
    low_mouth = (150.0, 240.0, 210.0, 270.0)  # a face filling the frame: its mouth at the bottom
    box = CaptionBurner(captions, FPS).box(0, (360, 288), low_mouth)
    assert box[3] < low_mouth[1]  # moved to the top
    box = CaptionBurner(captions, FPS).box(0, (360, 288), (150.0, 120.0, 210.0, 150.0))
    assert box[1] > 150  # a mouth higher up: the caption stays at the bottom
    assert CaptionBurner(captions, FPS).draw(frame, 30) is frame  # no cue after 1 s: untouched


def test_the_cli_writes_srt_and_vtt_and_refuses_captions_without_words(tmp_path, capsys) -> None:
    srt, vtt, out = tmp_path / "a.srt", tmp_path / "a.vtt", tmp_path / "a.mp4"
    assert main(["-q", "say", "Hello there. It costs $12.50.", "-o", str(out), "--srt", str(srt), "--vtt", str(vtt),
                 "--captions", "soft"]) == 0
    assert "It costs $12.50." in srt.read_text() and vtt.read_text().startswith("WEBVTT")
    speech = synthesize("Open the window, please.")
    wav = tmp_path / "speech.wav"
    save_wav(wav, speech.audio, speech.sample_rate)
    capsys.readouterr()
    assert main(["-q", "dub", str(wav), "-o", str(tmp_path / "d.mp4"), "--srt", str(tmp_path / "d.srt")]) == 2
    err = capsys.readouterr().err
    assert "no transcript" in err and "--recognise" in err and not (tmp_path / "d.mp4").exists()
    assert main(["-q", "dub", str(wav), "-o", str(tmp_path / "d.mp4"), "--srt", str(tmp_path / "d.txt")]) == 2
    # With the transcript, the recording's captions show it as written.
    assert main(["-q", "dub", str(wav), "--text", "Open the window, please.", "-o", str(tmp_path / "d.mp4"),
                 "--vtt", str(tmp_path / "d.vtt")]) == 0
    assert "Open the window, please." in (tmp_path / "d.vtt").read_text()


def test_dub_without_a_transcript_captions_what_is_recognised_and_says_so(tmp_path, caplog) -> None:
    speech = synthesize("Open the window, please. The blue book is on the table.")
    wav = tmp_path / "speech.wav"
    save_wav(wav, speech.audio, speech.sample_rate)
    vtt = tmp_path / "r.vtt"
    assert main(["-q", "dub", str(wav), "-o", str(tmp_path / "r.mp4"), "--vtt", str(vtt), "--recognise"]) == 0
    text = vtt.read_text()
    assert "NOTE Recognised automatically" in text
    heard = " ".join(line for line in text.splitlines()[3:] if line and "-->" not in line).lower()
    assert sum(w in heard for w in ("window", "blue", "book", "table")) >= 3


def test_live_captions_follow_the_frames_as_streamed(tmp_path) -> None:
    out, vtt = tmp_path / "live.mp4", tmp_path / "live.vtt"
    assert main(["-q", "live", "--text", "Hello there. It costs $12.50.", "-o", str(out), "--vtt", str(vtt)]) == 0
    text = vtt.read_text()
    assert "Hello there." in text and "It costs $12.50." in text
    first = re.search(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) -->", text)
    start = int(first[2]) * 60 + int(first[3]) + int(first[4]) / 1000
    # The first cue starts when the sound does in the saved file (± 1 frame of speech onset).
    with av.open(str(out)) as c:
        rate = c.streams.audio[0].rate
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    loud = np.nonzero(np.abs(pcm) > 0.02)[0][0] / rate
    assert start <= loud + FRAME and loud - start < 0.4  # the word's first phoneme may be quiet
    # In the video too: a subtitle track with the same cues, or drawn into the frames as they stream.
    assert main(["-q", "live", "--text", "Hello there. It costs $12.50.", "-o", str(out), "--captions", "soft"]) == 0
    with av.open(str(out)) as c:
        (sub,) = c.streams.subtitles
        texts = [bytes(p)[2:].decode() for p in c.demux(sub) if p.size > 2]
    assert texts == ["Hello there.", "It costs $12.50."]
    burned = tmp_path / "burned.mp4"
    assert main(["-q", "live", "--text", "Hello there. It costs $12.50.", "-o", str(burned), "--captions", "burn"]) == 0
    a = next(f.image for f in read_frames(burned) if f.index == round((start + 0.3) * FPS))
    b = next(f.image for f in read_frames(out) if f.index == round((start + 0.3) * FPS))
    x0, y0, x1, y1 = _caption_box(a, b)
    assert y0 > 0.7 * a.shape[0] and x1 - x0 > a.shape[1] / 5  # a caption at the bottom, below the face


def test_batch_rows_make_caption_files_beside_their_videos(tmp_path) -> None:
    manifest = tmp_path / "m.jsonl"
    rows = [{"output": "a.mp4", "text": "Hello there. It costs $12.50.", "captions": "srt vtt soft"},
            {"output": "b.mp4", "text": "Hi.", "captions": "subtitles"}]
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out"
    assert main(["-q", "batch", str(manifest), "--out", str(out), "--workers", "1"]) == 2  # row b is wrong
    assert "It costs $12.50." in (out / "a.srt").read_text()
    assert (out / "a.vtt").read_text().startswith("WEBVTT")
    with av.open(str(out / "a.mp4")) as c:
        assert len(c.streams.subtitles) == 1
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert {r["output"]: r["status"] for r in results} == {"a.mp4": "done", "b.mp4": "failed"}
    assert "unknown captions 'subtitles'" in next(r["error"] for r in results if r["output"] == "b.mp4")
    (out / "a.vtt").unlink()  # a caption file missing: the row is made again, not skipped
    assert main(["-q", "batch", str(manifest), "--out", str(out), "--workers", "1", "--results",
                 str(tmp_path / "again.jsonl")]) == 2
    assert (out / "a.vtt").is_file()


def test_captions_need_words_or_recognition() -> None:
    from talkinghead.speech import Speech

    untimed = Speech(np.zeros(22050, np.float32), 22050, (), (), "untimed")
    with pytest.raises(InputError, match="no words to caption"):
        captions_for(untimed, FPS)
    with pytest.raises(InputError):
        CaptionOptions(show="loud")
