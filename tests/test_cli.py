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


# Every command that writes a file, with one output in a folder that does not exist, and the
# function the command calls to do its work (patched: it records being called).
OUTPUT_CASES = [
    (["tts", "hi", "-o", "{missing}/o.wav"], "talkinghead.speech", "synthesize"),
    (["tts", "hi", "-o", "{tmp}/o.wav", "--timings", "{missing}/o.json"], "talkinghead.speech", "synthesize"),
    (["align", "{tmp}/in.wav", "--text", "hi", "-o", "{missing}/o.TextGrid"], "talkinghead.speech", "align"),
    (["enroll", "{tmp}/in.mp4", "--no-audio", "-o", "{missing}/me.avatar"], "talkinghead.avatar", "enroll"),
    (["faces", "{tmp}/in.mp4", "-o", "{missing}/faces.png"], "talkinghead.face.detect", "number_faces"),
    (["say", "hi", "-o", "{missing}/o.mp4"], "talkinghead.render", "say"),
    (["say", "{tmp}/me.avatar", "hi", "-o", "{missing}/o.mp4"], "talkinghead.render", "say"),
    (["dub", "{tmp}/in.wav", "-o", "{missing}/o.mp4"], "talkinghead.render", "dub"),
    (["live", "--text", "hi", "-o", "{missing}/o.mp4"], "talkinghead.render", "open_speaker"),
    (["evaluate", "{tmp}/in.mp4", "--json", "{missing}/m.json"], "talkinghead.evaluate", "evaluate"),
    (["evaluate", "{tmp}/in.mp4", "--plot", "{missing}/m.png"], "talkinghead.evaluate", "evaluate"),
]


def _no_work(monkeypatch, module: str, name: str) -> list[str]:
    """Patch ``module.name`` (what the command calls to start its work) to record a call."""
    import importlib

    calls: list[str] = []

    def work(*args, **kwargs):
        calls.append(name)
        raise RuntimeError(f"{name} started before the output was checked")

    monkeypatch.setattr(importlib.import_module(module), name, work)
    return calls


@pytest.mark.parametrize("argv,module,work", OUTPUT_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_output_in_a_missing_folder_is_refused_before_any_work(tmp_path: Path, capsys, monkeypatch,
                                                                 argv, module, work) -> None:
    for name in ("in.wav", "in.mp4"):
        (tmp_path / name).write_bytes(b"never read")
    missing = tmp_path / "missing_dir"
    calls = _no_work(monkeypatch, module, work)
    before = sorted(tmp_path.iterdir())
    code, err = run(capsys, *[a.format(tmp=tmp_path, missing=missing) for a in argv])
    assert calls == [], err
    assert code == EXIT_BAD_INPUT, err
    assert err == (f"error: output folder '{missing}' does not exist. "
                   f"create the folder '{missing}' first, or choose another output path\n")
    assert sorted(tmp_path.iterdir()) == before


def test_unwritable_or_odd_outputs_are_refused_before_any_work(tmp_path: Path, capsys, monkeypatch) -> None:
    import os
    from types import SimpleNamespace

    from talkinghead.avatar import Avatar

    calls = _no_work(monkeypatch, "talkinghead.render", "say") + _no_work(monkeypatch, "talkinghead.evaluate", "evaluate")
    (tmp_path / "in.mp4").write_bytes(b"never read")
    (tmp_path / "a_file").write_text("")
    (tmp_path / "a_folder.mp4").mkdir()
    cases = [(["say", "hi", "-o", str(tmp_path / "a_file" / "o.mp4")], "a_file' is not a folder"),
             (["say", "hi", "-o", str(tmp_path / "a_folder.mp4")], "it is a folder"),
             (["evaluate", str(tmp_path / "in.mp4"), "--json", str(tmp_path / "m.txt")], "name the output .json")]
    for argv, needle in cases:
        code, err = run(capsys, *argv)
        assert code == EXIT_BAD_INPUT and needle in err and err.count("\n") == 1, (argv, err)
    # A folder this user may not write in (simulated: the tests may run as root, who may).
    avatar = tmp_path / "me.avatar"
    avatar.mkdir()
    monkeypatch.setattr(Avatar, "load", staticmethod(lambda path: SimpleNamespace(path=Path(path))))
    calls += _no_work(monkeypatch, "talkinghead.avatar", "coverage_table")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != avatar and Path(p) != tmp_path and real_access(p, mode))
    for argv in (["say", "hi", "-o", str(tmp_path / "o.mp4")], ["inspect", str(avatar)]):
        code, err = run(capsys, *argv)
        assert code == EXIT_BAD_INPUT and "no permission to write in the folder" in err, (argv, err)
    assert calls == []
