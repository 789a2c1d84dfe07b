"""The live endpoint: one WebSocket per live session (``/live``), a thin layer over
:mod:`talkinghead.live`.

Frames go out as JPEG images with their PCM audio, one binary message per frame, rather than
H.264 in fragmented MP4 for Media Source Extensions or WebRTC:

* latency: a frame is sent the moment it is drawn; MSE players buffer whole fragments (and
  browsers hold back a second or more before they start), and an encoder with B-frames or
  look-ahead adds its own delay;
* an interruption is a frame boundary: nothing already encoded into a group of pictures has to
  play out, and no keyframe is awaited;
* CPU: a 512×512 JPEG takes a few ms, an H.264 encoder per session a good share of a core of
  the two we have; WebRTC (aiortc) adds that encoder plus ICE/DTLS for a page on the same host;
* the cost is bandwidth (about 25 × 30 kB/s at 512×512), fine on a LAN or loopback, which is
  where this server listens by default.

Protocol (version 1). Connect to ``/live?avatar_id=ID`` (no id: the built-in portrait; optional
``voice``, ``rate``, ``lang`` for text). The server sends

* text ``{"type": "ready", "fps", "sample_rate", "width", "height", "lookahead_ms", ...}`` once
  the session is open;
* a binary message per frame, on the wall clock: ``uint32 LE n`` · ``n`` bytes of JSON
  ``{"i": index, "t": seconds, "speaking": bool, "jpeg": bytes, "samples": k}`` · the JPEG ·
  ``k`` samples of int16 LE mono PCM at ``sample_rate``, which play with that frame;
* text ``{"type": "error", "error", "fix"}`` for a bad message (the session goes on) or before
  the server closes the connection.

The client sends text ``{"type": "text", "text": …}``, ``{"type": "audio", "sample_rate": Hz,
"channels": n}`` (the format of the binary messages that follow; default 16000 Hz mono),
``{"type": "flush"}``, ``{"type": "interrupt"}``, ``{"type": "close"}``, and binary messages of
int16 LE PCM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from fastapi import WebSocket, WebSocketDisconnect

from ..errors import InputError
from ..live import LIVE_RATE, LiveFrame, LiveOptions, Session, open_session
from ..live.session import MAX_RATE, MIN_RATE
from ..motion.universal import LOOK_AHEAD_S
from ..speech import TTSOptions, synthesize
from .store import Store
from .worker import speaker_files

log = logging.getLogger(__name__)

PROTOCOL = 1
MAX_MESSAGE_BYTES = 1 << 20  # one client message: 32 s of 16 kHz mono PCM
MAX_CHANNELS = 8
MAX_UNSENT_FRAMES = 50  # 2 s at 25 frames/s: a client that stops reading for longer is dropped
JPEG_QUALITY = 85
CLOSE_TIMEOUT_S = 2.0  # the longest the server tries to tell a client why it closes
_warm_voices: set[TTSOptions] = set()  # voices this process has loaded (they stay cached)
# Close codes (RFC 6455 and the registry): policy violation, too big, try again later, server error.
POLICY, TOO_BIG, TRY_LATER, SERVER_ERROR = 1008, 1009, 1013, 1011


class LiveSessions:
    """How many live sessions are open, and the most the server runs at once (each takes most of
    a core)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.open -= 1


@dataclass(frozen=True)
class _Format:
    """The PCM format of the client's binary messages."""

    sample_rate: int = LIVE_RATE
    channels: int = 1


def encode_frame(frame: LiveFrame) -> bytes:
    """One frame as the binary message the protocol describes."""
    ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(frame.image[..., ::-1]),
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    pcm = (np.clip(frame.audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    head = json.dumps({"i": frame.index, "t": round(frame.time, 4), "speaking": frame.speaking,
                       "jpeg": int(jpeg.size), "samples": len(frame.audio)}).encode()
    return struct.pack("<I", len(head)) + head + jpeg.tobytes() + pcm


def decode_frame(message: bytes) -> tuple[dict, bytes, np.ndarray]:
    """(header, JPEG bytes, int16 PCM) of a frame message: what a Python client does with one."""
    (n,) = struct.unpack_from("<I", message)
    head = json.loads(message[4:4 + n])
    jpeg = message[4 + n:4 + n + head["jpeg"]]
    pcm = np.frombuffer(message[4 + n + head["jpeg"]:], "<i2")
    return head, jpeg, pcm


class _Closing(Exception):
    """End the connection after telling the client why."""

    def __init__(self, code: int, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.code, self.problem, self.fix = code, problem, fix


async def serve_live(ws: WebSocket, store: Store, data: Path, sessions: LiveSessions,
                     max_text_chars: int, max_ahead_s: float, tts: TTSOptions) -> None:
    """Run one live session over ``ws`` until the client closes or vanishes (always released)."""
    await ws.accept()
    if not sessions.enter():
        await _close(ws, _Closing(TRY_LATER, f"{sessions.limit} live session(s) are open, the most this server runs",
                                  "close another live page, or try again in a moment"))
        return
    session: Session | None = None
    try:
        avatar_id = ws.query_params.get("avatar_id") or None
        avatar, photo = await asyncio.to_thread(speaker_files, store, data, avatar_id)
        session = await asyncio.to_thread(open_session, avatar or photo, LiveOptions(paced=True, tts=tts))
        h, w = session.face.idle(0).shape[:2]
        await ws.send_json({"type": "ready", "protocol": PROTOCOL, "fps": session.fps, "sample_rate": LIVE_RATE,
                            "width": w, "height": h, "lookahead_ms": round((LOOK_AHEAD_S + 1 / session.fps) * 1000),
                            "max_message_bytes": MAX_MESSAGE_BYTES})
        if tts not in _warm_voices:  # the voice's first load (about a second) before the first text
            _warm_voices.add(tts)
            asyncio.get_running_loop().run_in_executor(None, synthesize, "Hello.", tts)
        await _run(ws, session, max_text_chars, max_ahead_s)
        with contextlib.suppress(Exception):  # the client asked to close (or is already gone)
            await asyncio.wait_for(ws.close(1000), CLOSE_TIMEOUT_S)
    except _Closing as exc:
        await _close(ws, exc)
    except InputError as exc:
        await _close(ws, _Closing(POLICY, exc.problem, exc.fix))
    except WebSocketDisconnect:
        pass
    except Exception:  # one broken session must not take the server down (logged)
        log.exception("live session failed")
        await _close(ws, _Closing(SERVER_ERROR, "the live session failed on the server", "open a new session"))
    finally:
        if session is not None:
            session.close()
        sessions.leave()


async def _run(ws: WebSocket, session: Session, max_text_chars: int, max_ahead_s: float) -> None:
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
    unsent = threading.Semaphore(MAX_UNSENT_FRAMES)
    stalled = asyncio.Event()  # the client has not taken MAX_UNSENT_FRAMES frames

    def produce() -> None:  # a thread: the session paces itself on the wall clock
        try:
            for frame in session.frames():
                if not unsent.acquire(blocking=False):
                    loop.call_soon_threadsafe(stalled.set)
                    return
                loop.call_soon_threadsafe(outbox.put_nowait, encode_frame(frame))
        except Exception:  # logged; the sender then tells the client
            log.exception("live frames failed")
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
                loop.call_soon_threadsafe(outbox.put_nowait, None)

    async def send() -> None:
        while (message := await outbox.get()) is not None:
            await ws.send_bytes(message)  # waits while the connection's buffers are full
            unsent.release()
        if not session.closed:
            raise _Closing(SERVER_ERROR, "the live session stopped on the server", "open a new session")

    async def watch() -> None:
        await stalled.wait()
        raise _Closing(POLICY, "the client stopped reading frames", "read every message as it arrives")

    producer = threading.Thread(target=produce, name="live-frames", daemon=True)
    producer.start()
    tasks = {asyncio.create_task(send()), asyncio.create_task(watch()),
             asyncio.create_task(_receive(ws, session, max_text_chars, max_ahead_s))}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # a _Closing or a disconnect propagates
    finally:
        session.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(producer.join, 5.0)


async def _receive(ws: WebSocket, session: Session, max_text_chars: int, max_ahead_s: float) -> None:
    fmt = _Format()
    speaking: set[asyncio.Task] = set()
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("bytes")
            text = message.get("text")
            size = len(raw) if raw is not None else len((text or "").encode())
            if size > MAX_MESSAGE_BYTES:
                raise _Closing(TOO_BIG, f"a message of {size} bytes, more than {MAX_MESSAGE_BYTES}",
                               "send audio in chunks of at most a few seconds")
            try:
                if raw is not None:
                    _push_pcm(session, raw, fmt, max_ahead_s)
                    continue
                command = _command(text or "")
                kind = command["type"]
                if kind == "text":
                    words = command.get("text")
                    if not isinstance(words, str) or not words.strip():
                        raise InputError("'text' must be a non-empty string", '{"type": "text", "text": "Hello!"}')
                    if len(words) > max_text_chars:
                        raise InputError(f"the text has {len(words)} characters, more than {max_text_chars}",
                                         "send it in several messages")
                    task = asyncio.create_task(_speak(ws, session, words))
                    speaking.add(task)
                    task.add_done_callback(speaking.discard)
                elif kind == "audio":
                    fmt = _audio_format(command)
                elif kind == "flush":
                    session.flush()
                elif kind == "interrupt":
                    session.interrupt()
                elif kind == "close":
                    return
                else:
                    raise InputError(f"unknown message type {kind!r}",
                                     "use text, audio, flush, interrupt or close")
            except InputError as exc:
                await ws.send_json({"type": "error", "error": exc.problem, "fix": exc.fix})
    finally:
        for task in speaking:
            task.cancel()


async def _speak(ws: WebSocket, session: Session, words: str) -> None:
    try:
        await asyncio.to_thread(session.push_text, words)
    except InputError as exc:
        if not session.closed:
            with contextlib.suppress(Exception):
                await ws.send_json({"type": "error", "error": exc.problem, "fix": exc.fix})


def _command(text: str) -> dict:
    try:
        command = json.loads(text)
    except ValueError:
        raise InputError("a text message that is not JSON", 'send {"type": "text", "text": "…"}') from None
    if not isinstance(command, dict) or not isinstance(command.get("type"), str):
        raise InputError("a message without a 'type'", 'send {"type": "text", "text": "…"}')
    return command


def _audio_format(command: dict) -> _Format:
    rate, channels = command.get("sample_rate", LIVE_RATE), command.get("channels", 1)
    if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_RATE <= rate <= MAX_RATE:
        raise InputError(f"audio sample rate {rate!r}", f"use an integer {MIN_RATE}–{MAX_RATE} Hz")
    if not isinstance(channels, int) or isinstance(channels, bool) or not 1 <= channels <= MAX_CHANNELS:
        raise InputError(f"{channels!r} audio channels", f"use 1–{MAX_CHANNELS}")
    return _Format(rate, channels)


def _push_pcm(session: Session, raw: bytes, fmt: _Format, max_ahead_s: float) -> None:
    frame_bytes = 2 * fmt.channels
    if len(raw) % frame_bytes:
        raise InputError(f"{len(raw)} bytes is not a whole number of {fmt.channels}-channel int16 samples",
                         "send int16 little-endian PCM, channels interleaved")
    if session.queued_s > max_ahead_s:
        raise InputError(f"more than {max_ahead_s:g} s of speech is waiting to be played",
                         "push audio about as fast as it plays")
    pcm = np.frombuffer(raw, "<i2").reshape(-1, fmt.channels)
    session.push_audio(pcm if fmt.channels > 1 else pcm[:, 0], fmt.sample_rate)


async def _close(ws: WebSocket, reason: _Closing) -> None:
    async def tell() -> None:
        await ws.send_json({"type": "error", "error": reason.problem, "fix": reason.fix})
        await ws.close(reason.code, reason.problem[:120])

    # The client may be gone, or not reading (then sending waits): give up after a while.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(tell(), CLOSE_TIMEOUT_S)
