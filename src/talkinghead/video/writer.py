"""Streaming video encode with PyAV: H.264 + AAC into mp4, written atomically."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .._io import atomic_output

if TYPE_CHECKING:
    import av

    from ..captions import Captions

log = logging.getLogger(__name__)

# Suffixes whose FFmpeg muxer takes H.264 + AAC as is; anything else is written as mp4.
_MUXABLE = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
_AAC_FRAME = 1024  # samples per AAC frame, used until the opened encoder reports its own
_SUBTITLE_TIME_BASE = Fraction(1, 1000)  # ms
# x264's SIMD code for its macroblock tree is not bit-exact across instruction sets (its AVX2 and
# AVX-512 versions round differently from its SSE2 one), and on AVX-512 CPUs it varied from run to
# run at some frame sizes (GRID's 360x288 among them): the same frames came out slightly
# different. With cpu-independent, x264 does that arithmetic the same way on every CPU (the rest
# keeps its SIMD), so the same frames make the same video on every x86-64 machine, at a cost too
# small to measure (benchmarks/x264_params.py).
X264_PARAMS = "cpu-independent=1"
# Frames converted and waiting for the encoder thread: enough to ride out a slow frame on either
# side, few enough that memory does not notice (4 × 1080p ≈ 12 MB of I420).
_QUEUE_FRAMES = 4
# The minimal ASS script header FFmpeg's mov_text encoder reads its default style from.
_ASS_HEADER = """[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Sans,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


class _Aborted(Exception):
    """Thrown into atomic_output to make it discard the temporary file."""


def _rate(fps: float) -> Fraction:
    """Frame rate as an exact fraction: 25 -> 25/1, 29.97 -> 2997/100, 30000/1001 stays NTSC."""
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Streaming H.264 (yuv420p) + AAC mp4 writer; output appears only on success (atomic rename).

    Frames are encoded as they are written, so memory stays bounded by the encoder's look-ahead.
    The encoder and muxer run in a thread of their own (x264 and the muxer release the GIL), so
    encoding one frame overlaps with drawing the next; :meth:`write` returns once the frame is
    converted and queued (at most a few frames wait).
    The audio track (given up front) is encoded alongside, interleaved with the video by time.

    Args:
        path: output file (``.mp4``; ``.mov``/``.mkv`` also work). Its folder must exist.
        fps: frame rate, frames/s; fractional rates (29.97) are kept exactly.
        size: (width, height) pixels of every frame; None takes it from the first frame. Odd
            dimensions are cropped by one pixel (right/bottom) because yuv420p needs even ones.
        audio: (n,) float32 mono in [-1, 1], or None for a silent file. Its full length is kept,
            so the file may run longer than the video. An empty array opens the audio track for
            samples given with each frame (:meth:`write`'s ``audio``: a stream).
        sample_rate: of ``audio``, Hz.
        crf: x264 constant rate factor (0 lossless … 51 worst; 18 is visually lossless).
        preset: x264 speed/size preset (ultrafast … veryslow).
        subtitles: captions to carry as a soft subtitle track (mov_text, tagged with their
            language and title; players switch it on and off), or None.

    Attributes:
        frames_written: frames given to :meth:`write` so far (queued or encoded).

    Use as a context manager: leaving the block normally closes (finishes) the file, an
    exception aborts it and nothing is left behind.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int] | None = None,
                 audio: np.ndarray | None = None, sample_rate: int = 22050,
                 crf: int = 18, preset: str = "veryfast", subtitles: Captions | None = None) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if size is not None and (len(size) != 2 or min(size) < 2):
            raise ValueError(f"size must be (width, height) of at least 2 pixels, got {size}")
        if audio is not None:
            audio = np.asarray(audio)
            if audio.ndim != 1:
                raise ValueError(f"audio must be (n,) mono samples, got shape {audio.shape}")
            if not sample_rate > 0:
                raise ValueError(f"sample_rate must be positive, got {sample_rate}")
            audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
        self.path = Path(path)
        self.fps = float(fps)
        self.frames_written = 0
        self._rate = _rate(fps)
        self._size = tuple(int(v) for v in size) if size is not None else None  # (w, h) input
        self._audio = audio  # samples not yet encoded, the first at index self._audio_base
        self._audio_base = 0
        self._sample_rate = int(sample_rate)
        self._audio_pos = 0  # samples encoded so far
        self._crf = int(crf)
        self._preset = preset
        self._container = None
        self._video = None
        self._audio_stream = None
        self._subtitles = subtitles
        self._subtitle_stream = None
        self._closed = False
        self._jobs: queue.Queue | None = None  # (frame, audio) for the encoder thread; None ends it
        self._worker: threading.Thread | None = None
        self._failed: BaseException | None = None  # what stopped the encoder thread, if anything
        # The temporary file lives as long as the writer: hold atomic_output open across calls.
        self._stack = contextlib.ExitStack()
        self._tmp: Path = self._stack.enter_context(atomic_output(self.path))

    # -- lifetime -------------------------------------------------------------------------------

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _start(self, width: int, height: int) -> None:
        """Open the container and streams for frames of (width, height) pixels (even)."""
        import av

        from .._threads import codec_threads

        self._container = av.open(str(self._tmp), "w",
                                  format=_MUXABLE.get(self.path.suffix.lower(), "mp4"))
        options = {"crf": str(self._crf), "preset": self._preset, "x264-params": X264_PARAMS}
        if codec_threads():
            options["threads"] = str(codec_threads())
        video = self._container.add_stream("libx264", rate=self._rate, options=options)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        # One tick per frame: pts are frame numbers (the muxer picks its own timescale).
        video.codec_context.time_base = 1 / self._rate
        self._video = video
        if self._audio is not None:
            stream = self._container.add_stream("aac", rate=self._sample_rate)
            stream.codec_context.layout = "mono"
            stream.codec_context.format = "fltp"
            self._audio_stream = stream
        if self._subtitles is not None:
            stream = self._container.add_stream("mov_text")
            # The encoder is opened only for its sample description (the track's default style);
            # cues are muxed as ready-made samples (see _mux_subtitles).
            stream.codec_context.subtitle_header = _ASS_HEADER.encode()
            stream.time_base = _SUBTITLE_TIME_BASE
            stream.metadata["language"] = self._subtitles.language
            stream.metadata["title"] = self._subtitles.title
            self._subtitle_stream = stream
        self._jobs = queue.Queue(_QUEUE_FRAMES)
        self._worker = threading.Thread(target=self._encode_jobs, name=f"encode {self.path.name}", daemon=True)
        self._worker.start()

    def _encode_jobs(self) -> None:
        """The encoder thread: encode and mux queued frames in order until None arrives. After
        a failure it keeps taking jobs (so :meth:`write` never blocks on a full queue) but skips
        them; the failure is raised in the caller's thread by the next write or close."""
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._failed is None:
                try:
                    self._encode_frame(*job)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._failed = exc

    def _stop_worker(self) -> None:
        """Let the encoder thread finish what is queued and wait for it."""
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join()
            self._worker = None

    def set_subtitles(self, captions: Captions) -> None:
        """Replace the cues the subtitle track carries (a stream whose words are known only at
        its end); the writer must have been opened with ``subtitles`` (the track's language and
        title are those given then)."""
        if self._subtitles is None:
            raise ValueError("this writer has no subtitle track: open it with subtitles=")
        self._subtitles = captions

    def _mux_subtitles(self) -> None:
        """Mux every cue as a 3GPP timed-text sample: a 16-bit big-endian length, then UTF-8."""
        import av

        for cue in self._subtitles.cues:
            data = cue.text.encode("utf-8")
            packet = av.Packet(len(data).to_bytes(2, "big") + data)
            packet.stream = self._subtitle_stream
            packet.time_base = _SUBTITLE_TIME_BASE
            packet.pts = packet.dts = round(cue.start * 1000)
            packet.duration = max(1, round(cue.end * 1000) - packet.pts)
            self._container.mux(packet)

    def close(self) -> Path:
        """Flush the encoders, finish the file and move it into place. Returns the path.

        Raises:
            ValueError: no frame was written (an mp4 needs at least one).
            Exception: whatever stopped the encoder thread (an ``OSError`` for a full disk, say);
                the file is then removed.
        """
        if self._closed:
            return self.path
        try:
            if self._container is None:
                raise ValueError(f"no frames were written to '{self.path}'")
            self._stop_worker()
            if self._failed is not None:
                raise self._failed
            for packet in self._video.encode(None):
                self._container.mux(packet)
            if self._audio_stream is not None:
                self._encode_audio(self._audio_base + len(self._audio), flush=True)
            if self._subtitle_stream is not None:
                self._mux_subtitles()
            self._container.close()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._stack.close()  # success: the temporary file is renamed to self.path
        log.debug("wrote %s: %d frames at %s fps", self.path, self.frames_written, self._rate)
        return self.path

    def abort(self) -> None:
        """Stop writing and delete the temporary file; ``path`` is left untouched."""
        if self._closed:
            return
        self._closed = True
        self._failed = self._failed or _Aborted()  # the thread skips whatever is still queued
        self._stop_worker()
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.close()
        # Tell atomic_output the block failed: it removes the temporary file, renames nothing.
        self._stack.__exit__(_Aborted, _Aborted(), None)

    # -- data -----------------------------------------------------------------------------------

    def write(self, image: np.ndarray, audio: np.ndarray | None = None) -> None:
        """Queue one frame for the encoder thread.

        Args:
            image: (H, W, 3) uint8 RGB, the same size as the first frame (or ``size``).
            audio: (k,) float32 samples that follow the audio so far (a writer opened with an
                empty ``audio`` array: the sound arrives with the frames; memory stays bounded).

        Raises:
            ValueError: wrong shape, dtype or size, or the writer is closed.
            Exception: whatever stopped the encoder thread on an earlier frame.
        """
        import av

        if self._closed:
            raise ValueError(f"writer for '{self.path}' is closed")
        if self._failed is not None:
            raise self._failed
        if audio is not None:
            if self._audio is None:
                raise ValueError("this writer has no audio track: open it with audio=np.zeros(0)")
            audio = np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0)
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"frames must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
        h, w = image.shape[:2]
        if self._size is None:
            if min(w, h) < 2:
                raise ValueError(f"frames must be at least 2x2 pixels, got {w}x{h}")
            self._size = (w, h)
        if (w, h) != self._size:
            raise ValueError(f"frame is {w}x{h} pixels but the video is {self._size[0]}x"
                             f"{self._size[1]}: all frames must have the same size")
        # yuv420p subsamples chroma 2x2, so x264 needs even sizes: drop an odd last row/column.
        even_w, even_h = w - w % 2, h - h % 2
        if self._container is None:
            self._start(even_w, even_h)
        if (even_w, even_h) != (w, h):
            image = image[:even_h, :even_w]
        # Converted here rather than inside encode(), whose converter spreads over every core; by
        # OpenCV, whose RGB → I420 (BT.601, limited range, as swscale's) takes half swscale's time.
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YUV_I420),
                                           format="yuv420p")
        frame.pts = self.frames_written
        frame.time_base = 1 / self._rate
        self.frames_written += 1
        self._jobs.put((frame, audio))

    def _encode_frame(self, frame: av.VideoFrame, audio: np.ndarray | None) -> None:
        """Encode one converted frame and the audio up to its end (the encoder thread)."""
        if audio is not None:
            self._audio = np.concatenate([self._audio, audio])
        for packet in self._video.encode(frame):
            self._container.mux(packet)
        if self._audio_stream is not None:
            # Keep the audio up to the end of this frame, so the two streams interleave by time.
            end = int((frame.pts + 1) / self._rate * self._sample_rate)
            self._encode_audio(min(end, self._audio_base + len(self._audio)), flush=False)

    def _encode_audio(self, until: int, flush: bool) -> None:
        """Encode whole AAC frames of audio up to sample ``until``; with ``flush`` also the tail."""
        import av

        stream = self._audio_stream
        step = stream.codec_context.frame_size or _AAC_FRAME
        while until - self._audio_pos >= step or (flush and self._audio_pos < until):
            chunk = self._audio[self._audio_pos - self._audio_base:min(self._audio_pos + step, until) - self._audio_base]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate = self._sample_rate
            frame.pts = self._audio_pos
            frame.time_base = Fraction(1, self._sample_rate)
            for packet in stream.encode(frame):
                self._container.mux(packet)
            self._audio_pos += len(chunk)
            step = stream.codec_context.frame_size or _AAC_FRAME  # known once the codec is open
        # What is encoded is not needed again.
        self._audio = self._audio[self._audio_pos - self._audio_base:]
        self._audio_base = self._audio_pos
        if flush:
            for packet in stream.encode(None):
                self._container.mux(packet)
