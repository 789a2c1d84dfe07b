"""Speech stage: TTS timings (piper, espeak), forced alignment on real and synthetic speech."""

from __future__ import annotations

import numpy as np
import pytest

from talkinghead.errors import AlignmentError, InputError
from talkinghead.phonemes import INVENTORY, SILENCE, Viseme, viseme_of
from talkinghead.speech import AlignOptions, TTSOptions, align, synthesize
from talkinghead.speech.features import speech_envelope
from talkinghead.speech.timeline import Span, build_timeline
from talkinghead.video import load_audio

from .conftest import grid_words

TOLERANCE_S = 0.010  # acceptance: phonemes end within 10 ms of the audio


def assert_contiguous(speech) -> None:
    ph = speech.phonemes
    assert ph, "no phonemes"
    assert ph[0].start == 0.0
    for a, b in zip(ph, ph[1:]):
        assert a.end == pytest.approx(b.start, abs=1e-9), (a, b)
        assert a.end > a.start
    assert abs(ph[-1].end - speech.duration) <= TOLERANCE_S
    for p in ph:
        assert p.phoneme in INVENTORY, p


def spoken(speech) -> list[str]:
    return [p.phoneme for p in speech.phonemes if p.phoneme != SILENCE]


# ---------------------------------------------------------------- timeline

def test_timeline_fills_gaps_splits_multi_key_spans_and_merges_silence() -> None:
    spans = [Span(("p",), 0.1, 0.2), Span(("i", "ɛ"), 0.2, 0.4), Span((), 0.4, 0.5), Span(("m",), 0.45, 0.6)]
    tl = build_timeline(spans, 1.0)
    assert [p.phoneme for p in tl] == [SILENCE, "p", "i", "ɛ", SILENCE, "m", SILENCE]
    assert tl[2].end == pytest.approx(0.3)
    assert tl[4].start == pytest.approx(0.4) and tl[4].end == pytest.approx(0.5)  # overlap cut
    assert tl[-1].end == 1.0


# ---------------------------------------------------------------- TTS

@pytest.fixture(scope="module")
def english():
    return synthesize("Hello, world! On May 3rd, 2024 I paid $12.50 for 3 books.")


def test_english_tts_timings_cover_the_audio(english) -> None:
    assert english.sample_rate == 22050
    assert english.audio.dtype == np.float32 and english.duration > 2.0
    assert_contiguous(english)
    assert english.source.startswith("piper:")


def test_english_tts_reads_numbers_and_pauses_at_punctuation(english) -> None:
    words = [w.text for w in english.words]
    assert words[:2] == ["Hello", "world"]
    for expected in ("twenty", "twelve", "dollars", "fifty", "cents", "three", "books"):
        assert expected in words, words
    # the comma after "Hello" is a silence of the pause table's length at least
    hello_end = english.words[0].end
    gap = [p for p in english.phonemes if p.phoneme == SILENCE and abs(p.start - hello_end) < 0.05]
    assert gap and gap[0].duration >= 0.2
    # a bilabial closure for "b" of books and "p" of paid
    assert {"b", "p"} <= set(spoken(english))


def test_word_spans_hold_their_phonemes(english) -> None:
    for p in english.phonemes:
        if p.word is not None:
            w = english.words[p.word]
            mid = (p.start + p.end) / 2
            assert w.start - 0.01 <= mid <= w.end + 0.01, (p, w)


def test_chinese_tts_reads_digits_in_chinese_with_visemes() -> None:
    speech = synthesize("今天是2024年5月3日，气温25度。")
    assert_contiguous(speech)
    assert speech.source == "espeak:cmn"
    assert "".join(w.text for w in speech.words) == "今天是二零二四年五月三日气温二十五度"
    visemes = {viseme_of(p) for p in spoken(speech)}
    assert Viseme.POSTALVEOLAR in visemes  # 今 j, 气 q, 是 sh
    assert len(visemes) >= 5


def test_mixed_chinese_english_uses_both_voices() -> None:
    speech = synthesize("我用Python写代码")
    assert_contiguous(speech)
    assert "piper" in speech.source and "espeak:cmn" in speech.source
    assert [w.text for w in speech.words] == ["我", "用", "Python", "写", "代", "码"]


def test_rate_changes_duration() -> None:
    slow = synthesize("The quick brown fox jumps over the lazy dog.", TTSOptions(rate=0.8))
    fast = synthesize("The quick brown fox jumps over the lazy dog.", TTSOptions(rate=1.6))
    assert fast.duration / slow.duration < 0.7
    assert_contiguous(fast)


LONG_TEXT = ("Good morning. The weather is fine today, and the sea is calm. We sail at noon; "
             "bring a coat, a hat and some bread. See you soon!")


def test_synthesis_reports_progress_in_phrases() -> None:
    from talkinghead.text import analyze

    calls: list[tuple[str, float, float | None]] = []
    speech = synthesize(LONG_TEXT, progress=lambda task, done, total: calls.append((task, done, total)))
    n = len(analyze(LONG_TEXT).phrases)
    assert n >= 5 and speech.duration > 5.0
    assert {task for task, _, _ in calls} == {"speech"}
    assert [done for _, done, _ in calls] == list(range(n + 1))  # 0 first, then one per phrase
    assert {total for _, _, total in calls} == {n}


def test_say_reports_speech_progress_before_rendering(tmp_path) -> None:
    """The synthesis of a long text is not silent: `say` hands its hook to the TTS, and the hook
    has seen all of the speech by the time rendering starts."""
    from talkinghead.render import RenderReport, Speaker, say

    calls: list[tuple[str, float, float | None]] = []
    seen_before_render: list[tuple[str, float, float | None]] = []

    class Recorder(Speaker):  # a speaker that renders nothing: only what the hook saw so far
        fps = 25.0

        def speak(self, speech, output, options=None, progress=None, seconds=None, recorded=False):
            seen_before_render.extend(calls)
            return RenderReport(output, 0, speech.duration, dict(seconds or {}))

    say(Recorder(), LONG_TEXT, tmp_path / "o.mp4", progress=lambda *call: calls.append(call))
    speech_calls = [c for c in seen_before_render if c[0] == "speech"]
    assert speech_calls and speech_calls[0][1] == 0 and speech_calls[-1][1] == speech_calls[-1][2] >= 5


def test_espeak_voice_for_english_and_unknown_voice_lists_voices() -> None:
    speech = synthesize("Bring 2 maps.", TTSOptions(voice="en-gb"))
    assert speech.source == "espeak:en"
    assert_contiguous(speech)
    with pytest.raises(InputError) as err:
        synthesize("hello", TTSOptions(voice="nosuchvoice"))
    assert "nosuchvoice" in err.value.message and "cmn" in err.value.message and "en-US" in err.value.message


def test_piper_voice_file_is_accepted(tmp_path) -> None:
    from talkinghead.speech.piper_backend import default_voice_path

    speech = synthesize("Good morning.", TTSOptions(voice=str(default_voice_path())))
    assert speech.source == "piper:en_US-joe-medium"
    assert_contiguous(speech)
    lonely = tmp_path / "voice.onnx"
    lonely.write_bytes(default_voice_path().read_bytes()[:100])
    with pytest.raises(InputError, match="no config file"):
        synthesize("Good morning.", TTSOptions(voice=str(lonely)))


def test_same_text_gives_the_same_speech(english) -> None:
    again = synthesize("Hello, world! On May 3rd, 2024 I paid $12.50 for 3 books.")
    assert np.array_equal(again.audio, english.audio)
    assert again.phonemes == english.phonemes


def test_repeatable_noise_is_standard_normal_white_and_keeps_the_shape() -> None:
    import onnxruntime
    from onnx import TensorProto, checker, helper

    from talkinghead.speech.piper_backend import replace_random_noise

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["a", "b", "c"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b", "c"])
    graph = helper.make_graph([helper.make_node("RandomNormalLike", ["x"], ["y"], dtype=1)], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    assert replace_random_noise(model) == 1
    checker.check_model(model)
    assert not [n for n in model.graph.node if n.op_type.startswith("Random")]
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    z = session.run(None, {"x": np.zeros((1, 192, 1000), np.float32)})[0]
    assert z.shape == (1, 192, 1000) and z.dtype == np.float32
    assert np.array_equal(z, session.run(None, {"x": np.ones((1, 192, 1000), np.float32)})[0])
    flat = z.ravel()
    assert abs(flat.mean()) < 0.01 and abs(flat.std() - 1) < 0.01
    assert abs((np.abs(flat) > 2).mean() - 0.0455) < 0.003  # normal tails, not uniform ones
    for lag in (1, 2, 1000):  # neighbours along time and across channels are unrelated
        assert abs(np.corrcoef(flat[:-lag], flat[lag:])[0, 1]) < 0.01


def test_speech_envelope_measures_each_frames_own_samples() -> None:
    rate = 16000
    t = np.arange(rate) / rate
    audio = np.where(t < 0.5, 0.5 * np.sin(2 * np.pi * 200 * t), 0.0)  # 0.5 s tone, 0.5 s silence
    env = speech_envelope(audio, rate, 25.0, 30)  # 5 frames past the audio's end
    assert env.shape == (30,)
    assert np.allclose(env[:12], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.05)  # -9.03 dB
    assert abs(env[12] - 20 * np.log10(0.5 / 2)) < 0.05  # half tone, half silence: -12.04 dB
    assert np.array_equal(env[13:], np.full(17, -100.0))
    # A frame count shorter than the audio: the last frame still sees only its own 40 ms.
    assert np.allclose(speech_envelope(audio, rate, 25.0, 12), env[:12])
    assert np.allclose(speech_envelope(audio.astype(np.float32), rate, 30.0, 3),
                       speech_envelope(audio, rate, 30.0, 3), atol=1e-4)
    assert speech_envelope(audio, rate, 25.0, 0).shape == (0,)


@pytest.mark.parametrize("rate", [0.1, 5.0])
def test_rate_out_of_range(rate: float) -> None:
    with pytest.raises(InputError, match="rate"):
        synthesize("hello", TTSOptions(rate=rate))


# ---------------------------------------------------------------- alignment

def test_align_recovers_tts_word_timings(english) -> None:
    result = align((english.audio, english.sample_rate), "Hello, world! On May 3rd, 2024 I paid $12.50 for 3 books.")
    assert [w.text.lower() for w in result.words] == [w.text.lower() for w in english.words]
    err = [abs(a.start - b.start) for a, b in zip(result.words, english.words)]
    err += [abs(a.end - b.end) for a, b in zip(result.words, english.words)]
    assert np.mean(err) < 0.05, err
    assert_contiguous(result)
    # Both know what each word was written as (captions show it): the same forms, "$12.50" once.
    assert [w.written for w in result.words] == [w.written for w in english.words]
    assert [w.written for w in result.words if w.written][-5:] == ["paid", "$12.50", "for", "3", "books."]


def test_align_handles_any_rate_and_channels(tmp_path, english) -> None:
    import wave

    from talkinghead.video import resample

    stereo = np.stack([resample(english.audio, 22050, 44100)] * 2, axis=1)
    path = tmp_path / "stereo44k.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes((stereo * 32767).astype("<i2").tobytes())
    a = align(path, "Hello, world! On May 3rd, 2024 I paid $12.50 for 3 books.")
    b = align((english.audio, english.sample_rate), "Hello, world! On May 3rd, 2024 I paid $12.50 for 3 books.")
    assert a.sample_rate == 44100
    assert max(abs(x.start - y.start) for x, y in zip(a.words, b.words)) <= 0.02


def test_align_out_of_dictionary_words_via_g2p() -> None:
    text = "Zorblax met Quibbleton in Frobnitzville."
    speech = synthesize(text)
    result = align((speech.audio, speech.sample_rate), text)
    assert [w.text for w in result.words] == ["zorblax", "met", "quibbleton", "in", "frobnitzville"]
    assert result.words[0].end - result.words[0].start > 0.2


def test_align_real_grid_clips_accurately(grid, grid_clips) -> None:
    errors = []
    for clip in grid_clips[:: len(grid_clips) // 6][:6]:
        ref = grid_words(clip)
        speech = align(grid / "video" / f"{clip}.mp4", " ".join(w for w, _, _ in ref))
        assert [w.text for w in speech.words] == [w for w, _, _ in ref]
        errors += [abs(w.start - r[1]) for w, r in zip(speech.words, ref)]
        errors += [abs(w.end - r[2]) for w, r in zip(speech.words, ref)]
        assert_contiguous(speech)
    assert np.mean(errors) < 0.040, np.mean(errors)  # benchmark measures ≤ 25 ms on 50 clips


def test_align_long_audio_in_chunks(grid, grid_clips) -> None:
    parts, ref, offset = [], [], 0.0
    for clip in grid_clips[:14]:  # 42 s > the 30 s chunk length
        audio, rate = load_audio(grid / "video" / f"{clip}.mp4", 16000)
        ref += [(w, a + offset, b + offset) for w, a, b in grid_words(clip)]
        parts.append(audio)
        offset += len(audio) / rate
    seen = []
    speech = align((np.concatenate(parts), 16000), " ".join(w for w, _, _ in ref),
                   progress=lambda task, done, total: seen.append((task, done, total)))
    assert speech.metadata["chunks"] >= 2
    assert seen[-1][1] == seen[-1][2] == speech.metadata["chunks"]
    err = [abs(w.start - r[1]) for w, r in zip(speech.words, ref)]
    assert [w.text for w in speech.words] == [w for w, _, _ in ref]
    assert np.mean(err) < 0.040


def test_align_rejects_mismatched_transcripts(grid, grid_clips) -> None:
    clip = grid / "video" / f"{grid_clips[0]}.mp4"
    words = [w for w, _, _ in grid_words(grid_clips[0])]
    with pytest.raises(AlignmentError, match="does not .*match"):
        align(clip, "the quick brown fox jumps over the lazy dog again and again")
    with pytest.raises(AlignmentError, match="does not .*match"):
        align(clip, words[0])  # most of what is said is missing
    with pytest.raises(AlignmentError, match="does not .*match"):
        align(clip, "please call stella")


def test_align_rejects_bad_input(tmp_path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        align(tmp_path / "missing.wav", "hello")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
    with pytest.raises(InputError, match="cannot read audio"):
        align(junk, "hello")
    with pytest.raises(InputError, match="chunk"):
        align(junk, "hello", AlignOptions(chunk_seconds=1))


def test_read_grid_align(grid, grid_clips, tmp_path) -> None:
    from talkinghead.speech.corpus import read_grid_align

    words = read_grid_align(grid / "align" / "bbaf2n.align")
    assert [w.text for w in words] == ["bin", "blue", "at", "f", "two", "now"]
    assert words[0].start == pytest.approx(0.95) and words[-1].end == pytest.approx(2.12)
    bad = tmp_path / "bad.align"
    bad.write_text("0 100 sil\nnot an alignment line\n")
    with pytest.raises(InputError, match="line 2"):
        read_grid_align(bad)


def test_words_espeak_left_untimed_give_their_written_form_to_the_next() -> None:
    from talkinghead.speech.espeak_backend import _fill_merged_words
    from talkinghead.text import Phrase, Word

    spaced = Phrase("fr", "bonjour le monde", (Word("bonjour", "bonjour", (), "Bonjour"), Word("le", "le", (), "le"),
                                               Word("monde", "monde", (), "monde.")))
    (word, start, end), = _fill_merged_words(spaced, [], {2: [0.1, 0.5]}, 0)[1]
    assert (word.written, start, end) == ("Bonjour le monde.", 0.1, 0.5)  # words keep their spaces
    hanzi = Phrase("zh", "二零二四年", tuple(Word(c, "2024", (), w) for c, w in zip("二零二四年", ["2024", "", "", "", "年"])))
    assert [w.written for w, _, _ in _fill_merged_words(hanzi, [], {4: [0.1, 0.5]}, 0)[1]] == ["2024年"]
