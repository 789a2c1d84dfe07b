"""The CLI through main(argv): outputs, and bad input → one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkinghead.cli import main
from talkinghead.speech import synthesize
from talkinghead.video import load_audio, save_wav

EXIT_BAD_INPUT = 2


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["-q", *argv])
    return code, capsys.readouterr().err


def test_tts_writes_wav_and_json_timings(tmp_path: Path, capsys) -> None:
    wav, js = tmp_path / "out.wav", tmp_path / "out.json"
    code, err = run(capsys, "tts", "Testing 1, 2, 3.", "-o", str(wav), "--timings", str(js))
    assert code == 0, err
    audio, rate = load_audio(wav)
    timings = json.loads(js.read_text())
    assert rate == timings["sample_rate"] == 22050
    assert abs(timings["phonemes"][-1]["end"] - len(audio) / rate) <= 0.01
    assert [w["text"] for w in timings["words"]] == ["Testing", "one", "two", "three"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.wav"]


def test_tts_chinese_from_text_file(tmp_path: Path, capsys) -> None:
    src = tmp_path / "t.txt"
    src.write_text("气温25度。", encoding="utf-8")
    code, err = run(capsys, "tts", "--text-file", str(src), "--lang", "zh", "-o", str(tmp_path / "zh.wav"),
                    "--timings", str(tmp_path / "zh.TextGrid"))
    assert code == 0, err
    from praatio import textgrid

    tg = textgrid.openTextgrid(str(tmp_path / "zh.TextGrid"), includeEmptyIntervals=False)
    assert "".join(e.label for e in tg.getTier("words").entries) == "气温二十五度"


def test_align_writes_textgrid_that_praat_reads(tmp_path: Path, capsys) -> None:
    from praatio import textgrid

    text = "Please call Stella."
    speech = synthesize(text)
    wav = save_wav(tmp_path / "in.wav", speech.audio, speech.sample_rate)
    out = tmp_path / "in.TextGrid"
    code, err = run(capsys, "align", str(wav), "--text", text, "-o", str(out))
    assert code == 0, err
    tg = textgrid.openTextgrid(str(out), includeEmptyIntervals=False)
    assert [e.label for e in tg.getTier("words").entries] == ["please", "call", "stella"]
    assert len(tg.getTier("phones").entries) >= 10


def test_voices_lists_espeak_and_piper(capsys) -> None:
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "piper" in out and " cmn " in out


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    speech = synthesize("Nice to meet you.")
    return save_wav(tmp_path / "speech.wav", speech.audio, speech.sample_rate)


BAD_TTS = [
    (["tts", ""], "nothing to speak"),
    (["tts", "   \n "], "nothing to speak"),
    (["tts", "😀🎉"], "unsupported"),
    (["tts", "hello", "--voice", "nosuchvoice"], "unknown voice 'nosuchvoice'"),
    (["tts", "hello", "--voice", "missing.onnx"], "does not exist"),
    (["tts", "hello", "--rate", "9"], "rate"),
]


@pytest.mark.parametrize("argv,needle", BAD_TTS)
def test_tts_bad_input_one_line_exit_2_no_file(tmp_path: Path, capsys, argv, needle) -> None:
    out = tmp_path / "o.wav"
    code, err = run(capsys, *argv, "-o", str(out), "--timings", str(tmp_path / "o.json"))
    assert code == EXIT_BAD_INPUT
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_tts_bad_output_names(tmp_path: Path, capsys) -> None:
    code, err = run(capsys, "tts", "hi", "-o", str(tmp_path / "o.mp3"))
    assert code == EXIT_BAD_INPUT and ".wav" in err
    code, err = run(capsys, "tts", "hi", "-o", str(tmp_path / "nodir" / "o.wav"))
    assert code == EXIT_BAD_INPUT and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_align_bad_input_one_line_exit_2_no_file(tmp_path: Path, capsys, speech_wav: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not audio at all\n" * 50)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(speech_wav.read_bytes()[:60] + b"\xff" * 10)
    cases = [
        ([str(tmp_path / "missing.wav"), "--text", "hi"], "does not exist"),
        ([str(notes), "--text", "hi"], "no audio stream"),
        ([str(corrupt), "--text", "hi"], "ms of audio"),
        ([str(speech_wav), "--text", "   "], "nothing to speak"),
        ([str(speech_wav), "--text", "the budget committee approved seven new hospitals yesterday "
          "after a long debate about taxes"], "does not"),
        ([str(speech_wav), "--text-file", str(tmp_path / "nope.txt")], "does not exist"),
    ]
    before = set(tmp_path.iterdir())
    for argv, needle in cases:
        code, err = run(capsys, "align", *argv, "-o", str(tmp_path / "o.json"))
        assert code == EXIT_BAD_INPUT, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], (argv, err)
    code, err = run(capsys, "align", str(speech_wav), "--text", "nice", "-o", str(tmp_path / "o.csv"))
    assert code == EXIT_BAD_INPUT and ".TextGrid" in err
    assert set(tmp_path.iterdir()) == before


def test_python_dash_m_entry_point() -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "talkinghead", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "tts" in r.stdout and "align" in r.stdout
