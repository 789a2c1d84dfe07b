"""Helpers of the service tests: a real `talkinghead serve` process, waiting for a job, the
processes it runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx


def wait_job(client, job_id: str, timeout: float = 180.0) -> dict:
    """The job once it has ended (done, failed or cancelled)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        job = client.get(f"/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`talkinghead serve` in its own process group (so a kill takes its workers too)."""

    def __init__(self, data: Path, workers: int = 2) -> None:
        self.data, self.workers, self.port = data, workers, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = data.parent / "server.log"  # its stderr: warnings and tracebacks

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "talkinghead", "-q", "serve", "--port", str(self.port), "--data", str(self.data),
             "--workers", str(self.workers)], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            try:
                if httpx.get(f"{self.url}/jobs", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie has ended: only its exit status waits to be read)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
