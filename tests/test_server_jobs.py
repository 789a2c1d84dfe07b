"""The job runner on a real server process: workers that end with the server (kill -9 and
SIGTERM), one owner per job across a restart, cancel, and nothing left behind (uploads, partial
outputs, the footage of a failed enrollment, a disk limit)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from talkinghead.server import ServerConfig, create_app
from talkinghead.server.store import Store

from .media import png
from .serving import alive, children, wait_job

LONG_TEXT = " ".join(["This long lecture keeps going for quite a while."] * 40)
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")


def _wait_dead(pids: list[int], timeout: float = 15.0) -> list[int]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.2)
    return [p for p in pids if alive(p)]


def _running(c: httpx.Client, job_id: str, past: float = 0.0) -> dict:
    """Wait until the job runs (and its progress is past ``past``)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 90:
        job = c.get(f"/jobs/{job_id}").json()
        if job["state"] == "running" and job["progress"] > past:
            return job
        assert job["state"] in ("queued", "running"), job
        time.sleep(0.1)
    raise AssertionError("the job did not start")


def _partials(data: Path) -> list[Path]:
    return [p for p in (data / "videos").iterdir() if ".partial." in p.name]


@linux_only
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_workers_end_with_the_server_and_the_restart_owns_the_job(server, how) -> None:
    server.start()
    with httpx.Client(base_url=server.url, timeout=10) as c:
        made = c.post("/videos", json={"text": LONG_TEXT}).json()
        _running(c, made["job"]["id"], past=0.02)
        workers = children(server.proc.pid)
        assert workers, "the server has no worker processes"
    os.kill(server.proc.pid, how)  # the server only, not its process group
    server.proc.wait(30)
    assert _wait_dead(workers) == [], "a worker outlived its server"
    server.start()
    with httpx.Client(base_url=server.url, timeout=10) as c:
        job = c.get(f"/jobs/{made['job']['id']}").json()
        assert job["state"] == "failed" and "server stopped" in job["error"], job
        time.sleep(2.0)  # a worker still running would write progress, or overwrite the error
        assert c.get(f"/jobs/{made['job']['id']}").json() == job
        assert c.get(f"/videos/{made['video_id']}.mp4").status_code == 404
    assert _partials(server.data) == []


def test_a_client_that_vanishes_mid_upload_leaves_nothing(server) -> None:
    import socket

    server.start()
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall((f"POST /videos HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                   "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000\r\n\r\n"
                   "--b\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
                   "Content-Type: audio/wav\r\n\r\nRIFF\x00\x00\x00\x00WAVEfmt ").encode() + bytes(20000))
        s.close()
    time.sleep(1.0)
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.get("/jobs").json() == []
    assert list((server.data / "uploads").iterdir()) == []
    assert "Traceback" not in server.log.read_text()  # an expected event, not an internal error


def test_one_owner_writes_a_job(tmp_path) -> None:
    store = Store(tmp_path / "t.db")
    from talkinghead.server.params import JobKind, VideoRequest

    job = store.add_job(JobKind.VIDEO, VideoRequest(None, "hi", None), result_id="a" * 32)
    assert store.claim(job.id, "first") and not store.claim(job.id, "second")
    assert store.update_job(job.id, "first", progress=0.5)
    assert store.fail_interrupted() == [job.id]  # what a restarted server does
    assert not store.update_job(job.id, "first", progress=0.9)  # the old worker can no longer write
    assert not store.finish(job.id, "first", "done")
    after = store.job(job.id)
    assert (after.state, after.progress, after.owner) == ("failed", 0.5, None)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data = tmp_path_factory.mktemp("jobs") / "data"
    app = create_app(ServerConfig(data=data, workers=1, max_upload_mb=5, max_media_s=30))
    with TestClient(app) as c:
        c.data_dir = data
        yield c


def _speech_wav(path: Path) -> Path:
    from talkinghead.speech import synthesize
    from talkinghead.video import save_wav

    speech = synthesize("Good morning.")
    save_wav(path, speech.audio, speech.sample_rate)
    return path


def test_cancel_a_running_and_a_queued_job(client) -> None:
    running = client.post("/videos", json={"text": LONG_TEXT}).json()
    queued = client.post("/videos", json={"text": "Next in line."}).json()
    _running(client, running["job"]["id"])
    assert client.get(f"/jobs/{queued['job']['id']}").json()["queue_position"] == 1
    r = client.post(f"/jobs/{queued['job']['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    r = client.post(f"/jobs/{running['job']['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert client.post(f"/jobs/{running['job']['id']}/cancel").status_code == 409  # already ended
    # The cancelled job's worker was replaced: the next job runs, and the cancelled one left nothing.
    after = client.post("/videos", json={"text": "After the cancel."}).json()
    done = wait_job(client, after["job"]["id"])
    assert done["state"] == "done", done["error"]
    assert client.get(f"/jobs/{running['job']['id']}").json()["state"] == "cancelled"
    assert _partials(client.data_dir) == []
    assert not (client.data_dir / "videos" / f"{running['video_id']}.mp4").exists()


def test_uploads_are_removed_when_the_request_fails_or_the_job_ends(client, tmp_path) -> None:
    uploads = client.data_dir / "uploads"
    wav = _speech_wav(tmp_path / "s.wav").read_bytes()
    for bad in ({"rate": "99"}, {"avatar_id": "0" * 32}, {"avatar_id": "../x"}, {"lang": "xx"}):
        r = client.post("/videos", files={"audio": ("s.wav", wav, "audio/wav")}, data=bad)
        assert r.status_code in (404, 422), (bad, r.json())
        assert list(uploads.iterdir()) == [], bad
    made = client.post("/videos", files={"audio": ("s.wav", wav, "audio/wav")}).json()
    assert wait_job(client, made["job"]["id"])["state"] == "done"
    assert list(uploads.iterdir()) == []
    # A failed enrollment keeps its reason, not its upload.
    r = client.post("/avatars", files={"photo": ("blank.png", png(np.zeros((64, 64, 3), np.uint8)), "image/png")})
    job = wait_job(client, r.json()["job"]["id"])
    assert job["state"] == "failed"
    a = client.get(f"/avatars/{r.json()['avatar_id']}").json()
    assert a["state"] == "failed" and a["error"] == job["error"]
    assert not (client.data_dir / "avatars" / r.json()["avatar_id"]).exists()


def test_a_full_disk_refuses_new_work(tmp_path) -> None:
    app = create_app(ServerConfig(data=tmp_path / "data", max_disk_gb=1e-6))  # about 1 kB
    (tmp_path / "data" / "videos" / "old.bin").write_bytes(bytes(4096))
    with TestClient(app) as c:
        r = c.post("/videos", json={"text": "hello"})
        assert r.status_code == 507 and "--max-disk-gb" in r.json()["detail"]["fix"]
        assert c.get("/jobs").json() == []


def test_a_batch_through_the_service(client) -> None:
    from skimage import data as skdata

    photo = client.post("/avatars", files={"photo": ("me.png", png(skdata.astronaut()), "image/png")}).json()
    assert wait_job(client, photo["job"]["id"])["state"] == "done"
    manifest = ("output,speaker,text,rate\n"
                "hello.mp4,,Hello there.,\n"
                f"fr/photo.mp4,{photo['avatar_id']},Bob made a map.,1.2\n"
                f"ghost.mp4,{'e' * 32},Nobody is here.,\n"
                "fast.mp4,,Too fast.,9\n")
    r = client.post("/batches", files={"manifest": ("lessons.csv", manifest.encode(), "text/csv")})
    assert r.status_code == 202, r.json()
    job = wait_job(client, r.json()["job"]["id"])
    assert job["state"] == "done", job["error"]
    assert job["batch_url"] == f"/batches/{r.json()['batch_id']}"
    got = client.get(job["batch_url"]).json()
    status = {row["output"]: row["status"] for row in got["rows"]}
    assert status == {"hello.mp4": "done", "fr/photo.mp4": "done", "ghost.mp4": "failed", "fast.mp4": "failed"}
    errors = " ".join(row["error"] for row in got["rows"] if row["error"])
    assert "out of range" in errors and "e" * 32 in errors and str(client.data_dir) not in errors
    video = next(row for row in got["rows"] if row["output"] == "fr/photo.mp4")
    assert client.get(video["video_url"]).headers["content-type"] == "video/mp4"
    assert client.get(f"{job['batch_url']}/files/..%2F..%2Ftalkinghead.db").status_code == 404
    # What no row can do here is refused at once.
    r = client.post("/batches", files={"manifest": ("m.csv", b"output,audio\na.mp4,s.wav\n", "text/csv")})
    assert r.status_code == 422 and "POST /videos" in r.json()["detail"]["fix"]
    assert client.post("/batches", files={"manifest": ("m.txt", b"x", "text/plain")}).status_code == 422


def test_serve_with_ray_makes_videos_and_fans_a_batch_out(tmp_path) -> None:
    pytest.importorskip("ray", reason="the Ray extra is not installed (pip install 'talkinghead[ray]')")
    app = create_app(ServerConfig(data=tmp_path / "data", ray="local"))
    with TestClient(app) as c:
        manifest = "output,text\none.mp4,Hello from Ray.\ntwo.mp4,Bob made a map.\n"
        r = c.post("/batches", files={"manifest": ("m.csv", manifest.encode(), "text/csv")})
        job = wait_job(c, r.json()["job"]["id"], timeout=240)
        assert job["state"] == "done", job["error"]
        rows = c.get(job["batch_url"]).json()["rows"]
        assert [row["status"] for row in rows] == ["done", "done"]
        workers = {row["worker"] for row in rows}
        assert app.state.runner.pids()[0] not in {int(w.split(":")[1]) for w in workers}  # made by Ray actors
        # A single video job goes to Ray too: to the actor of the worker that took it.
        video = wait_job(c, c.post("/videos", json={"text": "One video on Ray."}).json()["job"]["id"], timeout=240)
        assert video["state"] == "done", video["error"]
        assert c.get(video["video_url"]).content[4:8] == b"ftyp"
        import ray

        names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
        assert f"talkinghead-rows-{app.state.runner.pids()[0]}" in names, names
    assert not ray.is_initialized()  # the instance the server started ends with it
