"""What the writer's x264 parameters (`video.writer.X264_PARAMS`, cpu-independent) cost and buy.

Usage: python benchmarks/x264_params.py [--frames 150] [--repeats 3] [--json out.json]

Frames of a GRID clip (360x288), of GRID mouth crops scaled to 160x160 (the size of an avatar's
bank) and of the first wild clips are encoded by x264 as `VideoWriter` opens it (crf 18,
veryfast), with x264's own parameters and with `X264_PARAMS`: the size, PSNR against the frames
and encode time of each (medians of --repeats), and whether the same frames encoded --repeats
times in one process, and once more as on a CPU with nothing beyond SSE2, give the same bitstream
(x86-64 only; x264's assembly switched off altogether is no reference: its plain-C path itself
varies from run to run at some frame sizes).
"""

from __future__ import annotations

import argparse
import statistics
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from results_io import emit
from talkinghead.evaluate.metrics import psnr
from talkinghead.video import read_frames
from talkinghead.video.writer import X264_PARAMS

SSE2 = "asm=MMX2,SSE,SSE2"  # x264 as on an x86-64 CPU with nothing newer (x86-64 only)
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def encode(frames: list[np.ndarray], params: str | None) -> tuple[list[bytes], float]:
    """H.264 packets of ``frames`` ((H, W, 3) uint8 RGB, even sizes) and the encode time, s."""
    h, w = frames[0].shape[:2]
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = w, h, "yuv420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"crf": "18", "preset": "veryfast", **({"x264-params": params} if params else {})}
    planes = [cv2.cvtColor(f, cv2.COLOR_RGB2YUV_I420) for f in frames]
    packets, start = [], time.perf_counter()
    for k, plane in enumerate(planes):
        frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
        frame.pts = k
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets, time.perf_counter() - start


def psnr_of(packets: list[bytes], frames: list[np.ndarray]) -> float:
    """PSNR of the decoded ``packets`` against ``frames``, over the whole clip, dB."""
    decoder = av.CodecContext.create("h264", "r")
    decoded = [f.to_ndarray(format="rgb24") for p in [*packets, None]
               for f in decoder.decode(av.Packet(p) if p is not None else None)]
    return psnr(np.stack(decoded), np.stack(frames[:len(decoded)]))


def sources(n: int, wild: int) -> dict[str, list[np.ndarray]]:
    grid = DATA / "grid_s1" / "video" / "bbaf2n.mp4"
    full = [f.image for _, f in zip(range(n), read_frames(grid))]
    out = {"grid 360x288": full,
           "grid mouth 160x160": [cv2.resize(np.ascontiguousarray(f[180:270, 150:250]), (160, 160),
                                             interpolation=cv2.INTER_CUBIC) for f in full]}
    for clip in sorted((DATA / "wild").glob("*.mp4"))[:wild]:
        frames = [f.image for _, f in zip(range(n), read_frames(clip, max_size=720))]
        h, w = frames[0].shape[:2]
        out[f"{clip.stem} {w - w % 2}x{h - h % 2}"] = [np.ascontiguousarray(f[:h - h % 2, :w - w % 2]) for f in frames]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--wild", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = {}
    for name, frames in sources(args.frames, args.wild).items():
        row = {}
        for label, params in (("x264", None), ("ours", X264_PARAMS)):
            runs = [encode(frames, params) for _ in range(args.repeats)]
            sse2, _ = encode(frames, f"{params}:{SSE2}" if params else SSE2)
            row[label] = {"bytes": len(b"".join(runs[0][0])),
                          "psnr_db": round(psnr_of(runs[0][0], frames), 3),
                          "encode_s": round(statistics.median(t for _, t in runs), 3),
                          "repeats_identical": all(r[0] == runs[0][0] for r in runs[1:]),
                          "same_as_sse2": sse2 == runs[0][0]}
        row["size_ratio"] = round(row["ours"]["bytes"] / row["x264"]["bytes"], 4)
        row["time_ratio"] = round(row["ours"]["encode_s"] / row["x264"]["encode_s"], 3)
        rows[name] = row
        print(name, row, flush=True)
    result = {"frames": args.frames, "repeats": args.repeats, "params": X264_PARAMS, "clips": rows,
              "median_size_ratio": statistics.median(r["size_ratio"] for r in rows.values()),
              "median_time_ratio": statistics.median(r["time_ratio"] for r in rows.values())}
    return emit(result, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
