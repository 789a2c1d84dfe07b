"""Batch: the manifest's rows and their errors, a 22-row batch on the local pool and on a local
Ray instance with identical outputs, a run killed halfway and resumed, and an avatar that still
works after it is packed and moved."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from talkinghead.avatar import Avatar, pack
from talkinghead.batch import BatchOptions, read_manifest, run_batch
from talkinghead.cli import main
from talkinghead.errors import InputError

FIXTURE = Path(__file__).resolve().parent / "fixtures"
SENTENCES = ["Bob made a map.", "The blue book is on the table.", "Good morning.", "Seven green frogs.",
             "Thank you for watching.", "We meet again on Friday."]


def test_manifest_rows_and_what_is_wrong_with_them(tmp_path) -> None:
    (tmp_path / "s.wav").write_bytes(b"RIFF")
    (tmp_path / "face.png").write_bytes(b"\x89PNG")
    (tmp_path / "m.csv").write_text(
        "output,speaker,text,audio,rate,lang\n"
        "a.mp4,,Hello.,,,\n"
        "fr/b.mp4,face.png,Bonjour.,,1.5,auto\n"
        "c.mp4,,,s.wav,,\n"
        ",,No output.,,,\n"
        "d.mp4,,,,,\n"
        "e.mp4,,Too fast.,,9,\n"
        "../f.mp4,,Escapes.,,,\n"
        "a.mp4,,Twice.,,,\n"
        "g.mp4,missing.avatar,Nobody.,,,\n"
        "h.mp4,,Hi.,,,xx\n"
        "i.mov,,Hi.,,,\n", encoding="utf-8")
    rows, bad = read_manifest(tmp_path / "m.csv")
    assert [(r.index, r.output) for r in rows] == [(1, "a.mp4"), (2, "fr/b.mp4"), (3, "c.mp4")]
    assert rows[1].speaker == str((tmp_path / "face.png").resolve()) and rows[1].rate == 1.5
    assert rows[2].audio == str((tmp_path / "s.wav").resolve()) and rows[2].text is None
    reasons = {b.index: b.error for b in bad}
    assert set(reasons) == {4, 5, 6, 7, 8, 9, 10, 11}
    for index, words in {4: "no output", 5: "nothing to say", 6: "out of range", 7: "relative .mp4",
                         8: "also row 1", 9: "does not exist", 10: "unknown language", 11: "relative .mp4"}.items():
        assert words in reasons[index], (index, reasons[index])
    (tmp_path / "m.jsonl").write_text('{"output": "a.mp4", "text": "Hi", "rate": 1.2}\n[1, 2]\n{"output": "b.mp4", '
                                      '"text": "Hi", "colour": "red"}\nnot json\n', encoding="utf-8")
    rows, bad = read_manifest(tmp_path / "m.jsonl")
    assert [r.output for r in rows] == ["a.mp4"] and rows[0].rate == 1.2
    assert [(b.index, "JSON object" in b.error or "unknown column" in b.error) for b in bad] == \
        [(2, True), (3, True), (4, True)]
    with pytest.raises(InputError, match="no 'output' column"):
        (tmp_path / "x.csv").write_text("text\nhello\n")
        read_manifest(tmp_path / "x.csv")


def _decoded(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with av.open(str(path)) as c:
        video = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    with av.open(str(path)) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=-1)
    return video, audio


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Path:
    """Two avatars (the fixture speaker at 25 and at 20 frames/s, the second packed), a recording,
    and a 22-row manifest mixing them with the built-in portrait, text and audio, and one bad row."""
    from talkinghead.speech import synthesize
    from talkinghead.video import save_wav

    d = tmp_path_factory.mktemp("batch")
    text = (FIXTURE / "speaker.txt").read_text().strip()
    assert main(["-q", "enroll", str(FIXTURE / "speaker.mp4"), "--text", text, "-o", str(d / "one.avatar")]) == 0
    assert main(["-q", "enroll", str(FIXTURE / "speaker.mp4"), "--text", text, "--fps", "20", "--pack",
                 "-o", str(d / "two.avatar")]) == 0
    speech = synthesize("This recording is spoken by someone else.")
    save_wav(d / "speech.wav", speech.audio, speech.sample_rate)
    lines = ["output,speaker,text,audio,rate"]
    speakers = ["one.avatar", "two.avatar", ""]
    for k in range(21):
        who = speakers[k % 3]
        if k % 4 == 3:
            lines.append(f"r{k:02d}.mp4,{who},,speech.wav,")
        else:
            lines.append(f"r{k:02d}.mp4,{who},{SENTENCES[k % len(SENTENCES)]},,{1.0 + 0.1 * (k % 3)}")
    lines.append("bad.mp4,nobody.avatar,This speaker does not exist.,,")
    (d / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def test_a_batch_on_the_local_pool_then_resumed_after_a_kill(people, tmp_path) -> None:
    out = tmp_path / "out"
    # A run killed halfway: the CLI in its own process group, killed with its workers.
    proc = subprocess.Popen([sys.executable, "-m", "talkinghead", "-q", "batch", str(people / "manifest.csv"),
                             "--out", str(out), "--workers", "2"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while len(list(out.glob("r*.mp4"))) < 8:
        assert time.monotonic() - t0 < 300 and proc.poll() is None, "the batch did not get going"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("r*.mp4")}
    assert 8 <= len(before) < 21
    seen = []
    report = run_batch(people / "manifest.csv", out, BatchOptions(workers=2), on_result=seen.append)
    assert report.count("skipped") == len(before)  # nothing finished was made again
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("r*.mp4") if p.name in before} == before
    assert report.count("done") == 21 - len(before) and report.count("failed") == 1
    assert len(seen) == 22 and not list(out.rglob(".*.partial.*"))
    bad = next(r for r in report.results if r.status == "failed")
    assert bad.output == "bad.mp4" and "does not exist" in bad.error
    lines = [json.loads(x) for x in Path(report.results_path).read_text().splitlines()]
    assert [x["index"] for x in lines] == list(range(1, 23))
    assert {x["status"] for x in lines} == {"done", "skipped", "failed"}
    done = [x for x in lines if x["status"] == "done"]
    assert all(x["duration_s"] > 0.5 and x["wall_s"] > 0 and x["worker"] for x in done)
    # A second rerun has nothing left to do.
    again = run_batch(people / "manifest.csv", out, BatchOptions(workers=1))
    assert again.count("skipped") == 21 and again.count("done") == 0


def test_the_same_batch_on_ray_makes_identical_videos(people, tmp_path) -> None:
    ray = pytest.importorskip("ray", reason="the Ray extra is not installed (pip install 'talkinghead[ray]')")
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert run_batch(people / "manifest.csv", local, BatchOptions(workers=2)).count("done") == 21
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        report = run_batch(people / "manifest.csv", on_ray, BatchOptions(workers=2, ray="auto",
                                                                         results=str(tmp_path / "ray.csv")))
    finally:
        ray.shutdown()
    assert report.count("done") == 21 and report.count("failed") == 1
    assert "status" in (tmp_path / "ray.csv").read_text().splitlines()[0]
    workers = {r.worker for r in report.results if r.status == "done"}
    assert len(workers) == 2  # both actors worked
    for k in range(21):
        a, b = _decoded(local / f"r{k:02d}.mp4"), _decoded(on_ray / f"r{k:02d}.mp4")
        assert a[0].shape == b[0].shape and np.array_equal(a[0], b[0]), k
        assert np.array_equal(a[1], b[1]), k


def test_a_packed_avatar_works_after_moving_it(tmp_path) -> None:
    shutil.copy(FIXTURE / "speaker.mp4", tmp_path / "me.mp4")
    text = (FIXTURE / "speaker.txt").read_text().strip()
    assert main(["-q", "enroll", str(tmp_path / "me.mp4"), "--text", text, "-o", str(tmp_path / "me.avatar")]) == 0
    assert not Avatar.load(tmp_path / "me.avatar").self_contained
    assert main(["-q", "say", str(tmp_path / "me.avatar"), "Bob made a map.", "-o", str(tmp_path / "before.mp4")]) == 0
    assert pack(tmp_path / "me.avatar") == 1 and pack(tmp_path / "me.avatar") == 0
    (tmp_path / "me.mp4").unlink()  # the footage it was enrolled from is gone
    elsewhere = tmp_path / "another" / "machine"
    elsewhere.mkdir(parents=True)
    shutil.move(tmp_path / "me.avatar", elsewhere / "me.avatar")
    assert Avatar.load(elsewhere / "me.avatar").self_contained
    assert main(["-q", "say", str(elsewhere / "me.avatar"), "Bob made a map.", "-o", str(tmp_path / "after.mp4")]) == 0
    a, b = _decoded(tmp_path / "before.mp4"), _decoded(tmp_path / "after.mp4")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_an_unpacked_avatar_whose_footage_is_gone_says_so(tmp_path, capsys) -> None:
    shutil.copy(FIXTURE / "speaker.mp4", tmp_path / "me.mp4")
    text = (FIXTURE / "speaker.txt").read_text().strip()
    assert main(["-q", "enroll", str(tmp_path / "me.mp4"), "--text", text, "-o", str(tmp_path / "me.avatar")]) == 0
    (tmp_path / "me.mp4").unlink()
    assert main(["pack", str(tmp_path / "me.avatar")]) == 2
    assert "footage that is gone (me.mp4)" in capsys.readouterr().err


def test_inputs_and_outputs_by_url(people, tmp_path) -> None:
    pytest.importorskip("fsspec")
    manifest = people / "url.csv"
    manifest.write_text("output,speaker,text,audio\n"
                        "a.mp4,one.avatar,Bob made a map.,\n"
                        "sub/b.mp4,two.avatar,,speech.wav\n"
                        "c.mp4,,Hello from a URL.,\n", encoding="utf-8")
    out = f"file://{tmp_path}/bucket/videos"
    report = run_batch(f"file://{manifest}", out, BatchOptions(workers=1))
    assert [r.status for r in report.results] == ["done"] * 3, report.results
    made = tmp_path / "bucket" / "videos"
    assert sorted(p.relative_to(made).as_posix() for p in made.rglob("*.mp4")) == ["a.mp4", "c.mp4", "sub/b.mp4"]
    assert _decoded(made / "sub" / "b.mp4")[0].shape[0] > 25
    assert report.results_path == f"{out}/results.jsonl" and (made / "results.jsonl").is_file()
    again = run_batch(f"file://{manifest}", out, BatchOptions(workers=1))
    assert again.count("skipped") == 3


def _pools_after_budget(threads: int) -> tuple[list[int], int, int, int]:
    import cv2
    import numpy  # noqa: F401 - loaded before the budget, as in any worker that imported talkinghead
    from threadpoolctl import threadpool_info

    from talkinghead._threads import codec_threads, onnx_session_options, set_budget

    set_budget(threads)
    return ([p["num_threads"] for p in threadpool_info()], cv2.getNumThreads(),
            onnx_session_options().intra_op_num_threads, codec_threads())


def test_a_workers_share_of_the_cores_limits_every_pool() -> None:
    # Two workers whose pools each spread over both cores fight over them (one SVD took 30 ×
    # longer); a worker's budget must reach numpy's BLAS although numpy was loaded first.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        blas, cv, onnx, codec = pool.submit(_pools_after_budget, 1).result()
    assert blas and all(n == 1 for n in blas), blas
    assert (cv, onnx, codec) == (1, 1, 1)
