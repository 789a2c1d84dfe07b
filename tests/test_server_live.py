"""The live endpoint (``/live``): the protocol through FastAPI's TestClient on the built-in
portrait, bad messages, the session limit, and a client that vanishes from a real server."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from talkinghead.server import ServerConfig, create_app
from talkinghead.server.live import MAX_MESSAGE_BYTES, decode_frame
from talkinghead.speech import synthesize


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(ServerConfig(data=tmp_path_factory.mktemp("live") / "data", max_live=2, max_media_s=30))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def speech():
    return synthesize("Bob made a map. Open the window.")


def _frames(ws, n: int) -> list[dict]:
    """The next ``n`` frames (headers with the decoded image and audio), skipping no message."""
    out = []
    while len(out) < n:
        m = ws.receive()
        if m.get("bytes") is None:
            raise AssertionError(f"expected a frame, got {m}")
        head, jpeg, pcm = decode_frame(m["bytes"])
        head["image"] = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        head["pcm"] = pcm
        out.append(head)
    return out


def _ready(ws) -> dict:
    ready = ws.receive_json()
    assert ready["type"] == "ready", ready
    return ready


def _end(ws) -> None:
    """Close the session as a client should, and wait until the server has let it go."""
    ws.send_json({"type": "close"})
    while ws.receive()["type"] != "websocket.close":  # frames still on their way, then the close
        pass


def _error(ws) -> dict:
    while True:  # frames keep coming while the session lives
        m = ws.receive()
        if m.get("text") is not None:
            msg = json.loads(m["text"])
            assert msg["type"] == "error"
            return msg


def test_text_in_frames_with_sound_out_and_stop(client) -> None:
    with client.websocket_connect("/live") as ws:
        ready = _ready(ws)
        assert ready["fps"] == 25 and ready["sample_rate"] == 16000 and ready["lookahead_ms"] <= 120
        idle = _frames(ws, 5)
        assert not any(f["speaking"] for f in idle) and not any(f["pcm"].any() for f in idle)
        assert idle[0]["image"].shape == (ready["height"], ready["width"], 3)
        ws.send_json({"type": "text", "text": "Hello there. Bob made a map, and the blue book is on the table."})
        got = _frames(ws, 60)
        speaking = [f for f in got if f["speaking"]]
        assert len(speaking) > 20 and any(f["pcm"].any() for f in speaking)
        assert [f["i"] for f in got] == list(range(got[0]["i"], got[0]["i"] + 60))  # none dropped
        assert all(abs(len(f["pcm"]) - 640) <= 1 for f in got)  # 40 ms of sound with every frame
        ws.send_json({"type": "interrupt"})
        after = _frames(ws, 10)
        # A frame or two may already be on its way; then idle, silent, for good.
        first_idle = next(k for k, f in enumerate(after) if not f["speaking"])
        assert first_idle <= 2 and not any(f["speaking"] or f["pcm"].any() for f in after[first_idle:])
        _end(ws)
    assert client.get("/live/sessions").json() == {"open": 0, "limit": 2}


def test_pcm_in_at_an_odd_rate_and_channel_count(client, speech) -> None:
    from talkinghead.video.audio import resample

    x = resample(speech.audio, speech.sample_rate, 44100)
    stereo = (np.stack([x, x], 1) * 20000).astype("<i2")
    with client.websocket_connect("/live") as ws:
        _ready(ws)
        ws.send_json({"type": "audio", "sample_rate": 44100, "channels": 2})
        step = 44100 // 25
        for i in range(0, len(stereo), step):
            ws.send_bytes(stereo[i:i + step].tobytes())
        ws.send_json({"type": "flush"})
        got = _frames(ws, int(speech.duration * 25) + 30)
        speaking = [f for f in got if f["speaking"]]
        assert abs(len(speaking) - speech.duration * 25) <= 3
        played = np.concatenate([f["pcm"] for f in speaking]).astype(np.float32) / 32768
        assert np.corrcoef(played[:16000], resample(speech.audio, speech.sample_rate, 16000)[:16000])[0, 1] > 0.9
        _end(ws)


@pytest.mark.parametrize(("message", "needle"), [
    ("not json", "not JSON"),
    ('["a list"]', "'type'"),
    ('{"type": "dance"}', "unknown message type"),
    ('{"type": "text", "text": ""}', "non-empty"),
    ('{"type": "text", "text": 12}', "non-empty"),
    ('{"type": "audio", "sample_rate": 4000}', "sample rate"),
    ('{"type": "audio", "sample_rate": "fast"}', "sample rate"),
    ('{"type": "audio", "channels": 0}', "channels"),
    (b"\x01\x02\x03", "whole number"),
])
def test_bad_messages_are_clear_errors_and_the_session_goes_on(client, message, needle) -> None:
    with client.websocket_connect("/live") as ws:
        _ready(ws)
        if isinstance(message, bytes):
            ws.send_bytes(message)
        else:
            ws.send_text(message)
        err = _error(ws)
        assert needle in err["error"] and err["fix"]
        assert len(_frames(ws, 3)) == 3  # still live
        _end(ws)
    assert client.get("/live/sessions").json()["open"] == 0


def test_an_oversized_message_closes_with_a_reason(client) -> None:
    with client.websocket_connect("/live") as ws:
        _ready(ws)
        ws.send_bytes(b"\0" * (MAX_MESSAGE_BYTES + 2))
        assert "more than" in _error(ws)["error"]
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_bytes()
        assert closed.value.code == 1009
    assert client.get("/live/sessions").json()["open"] == 0


@pytest.mark.parametrize(("query", "needle"), [
    ("?avatar_id=" + "0" * 32, "not ready"),
    ("?rate=9", "out of range"),
    ("?lang=fr", "unknown language"),
])
def test_a_bad_request_is_refused_with_a_reason(client, query, needle) -> None:
    with client.websocket_connect("/live" + query) as ws:
        err = ws.receive_json()
        assert err["type"] == "error" and needle in err["error"]
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    assert client.get("/live/sessions").json()["open"] == 0


def test_the_session_limit_and_no_leaks(client) -> None:
    with client.websocket_connect("/live") as a, client.websocket_connect("/live") as b:
        _ready(a)
        _ready(b)
        assert client.get("/live/sessions").json() == {"open": 2, "limit": 2}
        with client.websocket_connect("/live") as c:
            err = c.receive_json()
            assert "the most this server runs" in err["error"]
            with pytest.raises(WebSocketDisconnect) as closed:
                c.receive_json()
            assert closed.value.code == 1013
        assert len(_frames(a, 2)) == 2 and len(_frames(b, 2)) == 2  # the others are unaffected
        _end(a)
        _end(b)
    t0 = time.monotonic()
    while client.get("/live/sessions").json()["open"] and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    assert client.get("/live/sessions").json()["open"] == 0
