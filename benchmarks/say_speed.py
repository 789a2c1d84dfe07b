"""say/dub speed and memory: end-to-end time per second of output, 720p rendering, a long output.

Usage: python benchmarks/say_speed.py [--long-sentences 70] [--json out.json]

Enrolls the first 60 GRID s1 clips (and 8 of them upscaled to 1280×720), then measures, each
after a warm-up: `say` of a 15 s text (wall time / output duration), `dub` onto the 720p
avatar (rendering frames/s), and `say` of a ~6-minute text (wall time / duration and the peak
RSS of a fresh process, to show memory does not grow with length).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_io import emit

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"
TEXT = ("Good morning everyone. Today we will look at three ideas: first, how sound becomes words; "
        "second, how the lips shape each sound; and third, how a video can show both at once. "
        "Let's begin with a simple example.")


def child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line as JSON. Peak memory is read as
    VmHWM, which restarts at exec (ru_maxrss would keep the forking parent's high-water mark)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--long-sentences", type=int, default=70)
    ap.add_argument("--json")
    args = ap.parse_args()
    import cv2

    from talkinghead.avatar import ClipInput, clips_from, enroll
    from talkinghead.render import dub, say
    from talkinghead.speech.corpus import read_grid_align
    from talkinghead.video import VideoWriter, load_audio, read_frames

    ids = sorted(p.stem for p in (DATA / "video").glob("*.mp4"))
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        avatar = enroll(clips_from([DATA / "video" / f"{c}.mp4" for c in ids[:60]], align_dir=DATA / "align"),
                        tmp / "s1.avatar").avatar
        say(avatar, "warm up", tmp / "w.mp4")
        t0 = time.perf_counter()
        rep = say(avatar, TEXT, tmp / "say.mp4")
        result["say_seconds_of_video"] = round(rep.duration, 2)
        result["say_wall_per_output_second"] = round((time.perf_counter() - t0) / rep.duration, 3)
        result["say_stage_seconds"] = {k: round(v, 2) for k, v in rep.seconds.items()}

        hd = []
        for c in ids[:8]:  # GRID upscaled to 720p (900×720 picture, padded to 1280 wide)
            p = tmp / f"hd_{c}.mp4"
            audio, _ = load_audio(DATA / "video" / f"{c}.mp4", 22050)
            with VideoWriter(p, 25, audio=audio, sample_rate=22050) as w:
                for f in read_frames(DATA / "video" / f"{c}.mp4"):
                    big = cv2.resize(f.image, (900, 720), interpolation=cv2.INTER_CUBIC)
                    w.write(cv2.copyMakeBorder(big, 0, 0, 190, 190, cv2.BORDER_REPLICATE))
            hd.append(p)
        hd_clips = [ClipInput(p, " ".join(w.text for w in read_grid_align(DATA / "align" / f"{p.stem[3:]}.align")))
                    for p in hd]
        hd_avatar = enroll(hd_clips, tmp / "hd.avatar").avatar
        c = ids[100]
        words = " ".join(w.text for w in read_grid_align(DATA / "align" / f"{c}.align"))
        dub(hd_avatar, DATA / "video" / f"{c}.mp4", tmp / "w720.mp4", words)
        rep = dub(hd_avatar, DATA / "video" / f"{c}.mp4", tmp / "hd.mp4", words)
        result["render_fps_720p"] = round(rep.frames / rep.seconds["render"], 1)

        text = " ".join(f"This is sentence number {i} of a long lecture, and it keeps going for a while."
                        for i in range(args.long_sentences))
        code = f"""
import json, resource, time
from talkinghead.render import say
t0 = time.perf_counter()
rep = say({str(avatar.path)!r}, {text!r}, {str(tmp / 'long.mp4')!r})
print(json.dumps({{"seconds_of_video": rep.duration, "wall": time.perf_counter() - t0,
                  "peak_rss_mb": int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024}}))
"""
        long = child(code)
        result["long_say_seconds_of_video"] = round(long["seconds_of_video"], 1)
        result["long_say_wall_per_output_second"] = round(long["wall"] / long["seconds_of_video"], 3)
        result["long_say_peak_rss_mb"] = round(long["peak_rss_mb"])
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
