"""Batch throughput: rows/min and video-seconds per wall-second for 1 and 2 workers, on the local
pool and on Ray; Ray's overhead per row; a worker's memory over 100 rows of one avatar.

Usage: python benchmarks/batch_scale.py [--rows 48] [--rss-rows 100] [--json out.json]

Enrolls 20 GRID s1 clips (the avatar every row speaks: render-bound rows), writes a manifest of
``--rows`` rows of ~6 s of speech each, and runs it four times into fresh folders: local pool
with 1 and 2 workers (each run in a fresh process, as the CLI would start), Ray (a local
instance, started once, its start-up timed apart) with 1 and 2 actors.
Ray's overhead per row is (Ray's wall time − the local pool's, same workers) / rows,
compared with the render time of a 10 s row. Then one worker process makes ``--rss-rows``
short rows of the avatar and reports its RSS after each (start, end, growth).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from results_io import emit

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"
SENTENCES = ["Good morning everyone, and welcome back to the course.", "Today we look at how sound becomes words.",
             "The lips shape each sound in turn.", "Let us begin with a simple example.",
             "Bob made a map of the old town.", "The blue book is on the table by the window.",
             "Please remember to save your work before you leave.", "We will meet again on Friday at nine."]
TEN_S = " ".join(SENTENCES[:5])  # about 10 s of speech


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_over_rows(avatar: str, out: str, n: int, queue) -> None:
    from talkinghead.batch.manifest import BatchRow
    from talkinghead.batch.work import RowMaker

    maker = RowMaker(out)
    rss = []
    for k in range(n):
        row = BatchRow(k + 1, f"m{k:03d}.mp4", avatar, SENTENCES[k % len(SENTENCES)], None)
        r = maker.make_one(row)
        assert r.status == "done", r
        Path(out, row.output).unlink()
        rss.append(round(_rss_mb(), 1))
    queue.put(rss)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=48)  # start-up (imports, voice, avatar) is paid once per worker
    ap.add_argument("--rss-rows", type=int, default=100)
    ap.add_argument("--json")
    args = ap.parse_args()
    from talkinghead.avatar import clips_from, enroll
    from talkinghead.batch import BatchOptions, run_batch
    from talkinghead.render import say

    ids = sorted(p.stem for p in (DATA / "video").glob("*.mp4"))
    result: dict = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        avatar = tmp / "s1.avatar"
        enroll(clips_from([DATA / "video" / f"{c}.mp4" for c in ids[:20]], align_dir=DATA / "align"), avatar)
        lines = ["output,speaker,text"]
        for k in range(args.rows):
            text = " ".join(SENTENCES[(k + j) % len(SENTENCES)] for j in range(2))
            lines.append(f"r{k:02d}.mp4,{avatar},\"{text}\"")
        (tmp / "m.csv").write_text("\n".join(lines) + "\n")
        # A 10 s row's render time, warm, in this process (the yardstick for Ray's overhead).
        say(str(avatar), "warm up", tmp / "w.mp4")
        t0 = time.perf_counter()
        rep = say(str(avatar), TEN_S, tmp / "ten.mp4")
        result["ten_s_row"] = {"video_s": round(rep.duration, 2), "wall_s": round(time.perf_counter() - t0, 2)}
        runs = {}

        def run(name: str, options: BatchOptions) -> None:
            t0 = time.perf_counter()
            if options.ray:
                report = run_batch(tmp / "m.csv", tmp / name, options)
            else:  # a fresh process, as `talkinghead batch` would be (this one has its models warm)
                with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                    report = pool.submit(run_batch, tmp / "m.csv", tmp / name, options).result()
            wall = time.perf_counter() - t0
            assert report.count("done") == args.rows, [r for r in report.results if r.status != "done"]
            runs[name] = {"wall_s": round(wall, 2), "rows_per_min": round(60 * args.rows / wall, 2),
                          "video_s_per_wall_s": round(report.video_s / wall, 3),
                          "row_wall_s_median": round(statistics.median(r.wall_s for r in report.results), 2),
                          "workers_used": len({r.worker for r in report.results})}
            print(name, runs[name], file=sys.stderr)

        run("local_1", BatchOptions(workers=1))
        run("local_2", BatchOptions(workers=2))
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        result["ray_start_s"] = round(time.perf_counter() - t0, 2)
        try:
            run("ray_1", BatchOptions(workers=1, ray="auto"))
            run("ray_2", BatchOptions(workers=2, ray="auto"))
        finally:
            ray.shutdown()
        result["runs"] = runs
        result["speedup_2_over_1"] = {k: round(runs[f"{k}_1"]["wall_s"] / runs[f"{k}_2"]["wall_s"], 3)
                                      for k in ("local", "ray")}
        # Rows in flight once every worker is warm (each worker's first row loads the voice and the
        # avatar): n workers / the median row's wall time.
        result["steady_speedup_2_over_1"] = {k: round(2 * runs[f"{k}_1"]["row_wall_s_median"]
                                                      / runs[f"{k}_2"]["row_wall_s_median"], 3) for k in ("local", "ray")}
        overhead = {n: (runs[f"ray_{n}"]["wall_s"] - runs[f"local_{n}"]["wall_s"]) / args.rows for n in (1, 2)}
        result["ray_overhead_per_row_s"] = {f"{n} worker(s)": round(v, 3) for n, v in overhead.items()}
        result["ray_overhead_vs_10s_render"] = {f"{n} worker(s)": round(v / result["ten_s_row"]["wall_s"], 4)
                                                for n, v in overhead.items()}
        # Memory of one worker over many rows of one avatar.
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_rss_over_rows, args=(str(avatar), str(tmp / "rss"), args.rss_rows, queue))
        (tmp / "rss").mkdir()
        proc.start()
        rss = queue.get(timeout=3600)
        proc.join()
        q = max(1, len(rss) // 10)
        result["worker_rss_mb"] = {"rows": len(rss), "first_tenth": round(statistics.median(rss[:q]), 1),
                                   "second_tenth": round(statistics.median(rss[q:2 * q]), 1),
                                   "last_tenth": round(statistics.median(rss[-q:]), 1), "max": max(rss),
                                   "every_10th_row": rss[::10]}
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
