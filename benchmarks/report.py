"""Run every benchmark and rewrite benchmarks/RESULTS.md (tables, medians, machine, date, plots).

Usage: python benchmarks/report.py [--quick] [--reuse]

Each benchmark runs as its own process and leaves JSON in benchmarks/results/; this script turns
them into RESULTS.md and PNGs there. --quick runs fewer repeats (for a check, not for
publishing); --reuse keeps the JSON of benchmarks that already have one. Later benchmarks
(say, photo, footage curve) add a run() line and a section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "results"
RESULTS = HERE / "RESULTS.md"


def run(script: str, args: list[str], out: Path, reuse: bool = False) -> dict:
    """Run one benchmark script with --json (or reuse its JSON); its numbers."""
    if reuse and out.is_file():
        print("reusing", out, flush=True)
        return json.loads(out.read_text())
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
    print("running", " ".join(cmd[1:]), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    data = json.loads(out.read_text())
    data["_wall_s"] = round(time.perf_counter() - t0, 1)
    return data


def plot_baselines(baselines: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(baselines)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3), dpi=110)
    for ax, key, label in zip(axes, ("mouth_lmd_pct_iod", "opening_correlation", "mouth_ssim"),
                              ("mouth LMD (% IOD) ↓", "opening correlation ↑", "mouth SSIM ↑")):
        means = [baselines[n][key]["mean"] for n in names]
        sds = [baselines[n][key]["sd"] for n in names]
        ax.bar(names, means, yerr=sds, color=["tab:green", "tab:red", "tab:gray"][: len(names)], capsize=4)
        ax.set_title(label, fontsize=9)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_example(path: Path) -> None:
    """Opening curves of a real clip against another sentence's real mouth."""
    from talkinghead.evaluate import evaluate, plot_curves

    data = HERE.parent.parent / "shared" / "data" / "grid_s1" / "video"
    clips = sorted(data.glob("*.mp4"))
    plot_curves(evaluate(clips[125], clips[0]), path)


def text_norm_section(t: dict) -> list[str]:
    """The text front end against NeMo-text-processing's normalisation cases."""
    lines = ["## Text front end against NeMo's cases (`benchmarks/text_norm.py`)", "",
             "NVIDIA NeMo-text-processing's public test cases (`tests/nemo_text_processing/{en,zh}/"
             "data_text_normalization/`, read from a checkout: set NEMO_TESTS to its `tests/nemo_text_processing` "
             "folder), spelling variants counted as equal (case, punctuation, hyphens, \"and\", \"the\", "
             "\"of\", \"a\", a.m./AM, letters written apart).", "",
             "| category | equal | share |", "|---|---|---|"]
    for k, v in t.items():
        if isinstance(v, dict) and "cases" in v:
            lines.append(f"| {k.replace('_', ' ')} | {v['equal']}/{v['cases']} | {v['share']:.1%} |")
    lines += ["", "Where ours still differs:", ""]
    for k, v in t.items():
        if isinstance(v, dict) and "differ" in v:
            for d in v["differ"]:
                lines.append(f"- {k.replace('_', ' ')}: `{d['written']}` → ours \"{d['ours']}\", NeMo "
                             f"\"{d['expected']}\"")
    if "speed" in t:
        sp = t["speed"]
        lines += ["", "Long texts (medians of 3): " + "; ".join(
            f"{lang} {v['chars'][0]:,} characters {v['seconds'][0]} s, {v['chars'][1]:,} characters {v['seconds'][1]} s "
            f"(× {v['ratio']} for 4 × the text)" for lang, v in sp.items()) + "."]
    return lines + ["", "Why these stand: each is a reading people use. A wrong ordinal suffix (\"111st\") "
                    "is read as the number it writes; a hyphen between two amounts is \"to\", as in every other "
                    "range (NeMo's own range cases say \"to\" for \"$250-$300\"; its money case leaves it a "
                    "pause); \"US $76.3 trillion\" is said with the unit last; 23:00 "
                    "is \"twenty-three hundred\" in the 24-hour clock's own idiom; a two-digit year's 0 is "
                    "\"oh\"; ￥ before a bare amount is 元, the word people say (人民币 names the currency); a round "
                    "two-digit number before 年 is read as a count of years (五十年: 工作了50年, 50年后), the "
                    "commoner meaning in a script, while 05年, 98年 and 50年代 are years.",
                    ""]


def captions_section(c: dict) -> list[str]:
    """Captions: the rules kept, the cues against the words, the cost."""
    lines = ["## Captions (`benchmarks/captions.py`)", "",
             "Synthesised paragraphs (English, Chinese, mixed) cued at 25 fps: every cue against the rules "
             "(≤ 2 lines of ≤ 42 characters, 16 for Chinese; 1–7 s; at least its reading time at 17 characters/s "
             "unless the next cue starts) and its start against its first word's first phoneme.", "",
             "| text | cues | most lines | longest line | shortest | longest | start within 1 frame | reading time kept |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in c["rules"].items():
        lines.append(f"| {name} | {r['cues']} | {r['max_lines']} | {r['max_line_chars']} chars | {r['min_s']} s | "
                     f"{r['max_s']} s | {r['start_within_1_frame']} | {r['reading_time_kept']} |")
    g = c["grid"]
    lines += ["", f"Recordings: {g['clips']} GRID clips aligned with their transcripts and cued; the first cue's start "
              f"against the corpus's own first-word start (its .align file, not our aligner): "
              f"{g['start_within_1_frame']} within one frame, median {g['start_median_ms']} ms (later is positive), "
              f"worst {g['start_max_abs_ms']} ms; the last cue's end against the corpus's last-word end "
              f"{g['end_within_1_frame']} within one frame (median {g['end_median_ms']} ms), {g['ends_kept_for_reading']} "
              "kept up past the last word for reading. What differs is our aligner's error on the words, not the "
              "cueing, which is exact on the timings it is given (the table above).", ""]
    k = c["cost"]
    lines += [f"Cost: `say` of {k['video_s']} s on the built-in portrait, medians of {k['runs']} alternating runs: "
              f"{k['wall_s']['none']} s without captions, {k['wall_s']['soft']} s with a subtitle track "
              f"({k['over_none']['soft']:.2f} ×), {k['wall_s']['burn']} s burned in ({k['over_none']['burn']:.2f} ×): "
              "nothing measurable (each cue is drawn once, then blended into its frames).", ""]
    return lines


def expressive_section(e: dict) -> list[str]:
    """Head motion against real footage, styles, interpolation (benchmarks/expressive.py)."""
    lines = ["## Expressive delivery (`benchmarks/expressive.py`)", "",
             "Head motion measured the same way on every video (landmarks tracked afresh, no filter): mean "
             "head speed, range (RMS distance from the mean position) and the correlation of head speed "
             "with loudness at the best lag (±0.4 s); medians over clips. *today*: the footage's steady "
             "stretch (`--still-head`); *new*: the head follows the speech (the default).", "",
             "Nods: the share of stressed syllables (loudness peaks) with a downward head movement just after "
             "them, and the same minus its value with the voice shifted by a few seconds (chance).", "",
             "| set | video | speed IOD/s | range IOD | speed–loudness r | nods per stressed syllable | "
             "… over chance | mouth-opening range IOD |",
             "|---|---|---|---|---|---|---|---|"]
    for key, label in (("grid", f"GRID, {e['grid_clips']} held-out clips"),
                       ("wild", f"wild, {len(e['wild_clips'])} clips (second halves)")):
        for who in ("real", "first", "today", "new"):
            if who not in e[key]:
                continue
            m = e[key][who]
            lines.append(f"| {label} | {'real, first half (enrolled)' if who == 'first' else who} | "
                         f"{m['speed_iod_s']} | {m['range_iod']} | {m['loudness_r']} | {m.get('nods_per_stress', '')} | "
                         f"{m.get('nods_over_chance', '')} | {m['opening_iod']} |")
    for key in ("grid", "wild"):
        for who in ("today", "new"):
            c = e[key][f"{who}_vs_real"]
            lines.append("")
            cm = c["means"]
            lines.append(f"{key} {who} vs real (ratio of the medians over clips): r {c['loudness_r_diff']:+}, speed × "
                         f"{c['speed_ratio']}, range × {c['range_ratio']}; (of the means): r {cm['loudness_r_diff']:+}, "
                         f"speed × {cm['speed_ratio']}, range × {cm['range_ratio']}.")
        for who, c in e[key].get("paired", {}).items():
            label = "the real first half" if who == "first" else who
            lines.append("")
            lines.append(f"{key} {label} vs real, clip by clip (median of each clip's figure): r "
                         f"{c['loudness_r_diff']:+}, speed × {c['speed_ratio']}, range × {c['range_ratio']}; clips "
                         f"within ±25 %: speed {c['speed_within_25pct']:.0%}, range {c['range_within_25pct']:.0%}.")
    if "question_tilt" in e:
        q = e["question_tilt"]
        lines += ["", f"Questions ({q['sentences']} questions and {q['sentences']} statements like them, {q['seeds']} "
                  f"seeds, the GRID avatar, re-tracked): the head's roll in the last second, largest distance from "
                  f"the sentence's median roll: questions {q['question_end_roll_deg']}°, statements "
                  f"{q['statement_end_roll_deg']}°."]
    st = e["styles"]
    lines += ["", "Styles (GRID held-out recordings, medians):", "", "| style | mouth-opening range IOD | head speed IOD/s |",
              "|---|---|---|"]
    for name, v in st["presets"].items():
        lines.append(f"| {name} | {v['opening_iod']} | {v['speed_iod_s']} |")
    lines += ["", f"Steps (neutral / calm, energetic / neutral): opening {st['steps']['opening_iod']}, head speed "
              f"{st['steps']['speed_iod_s']}."]
    for ref, v in st["from"].items():
        lines.append(f"`say --style-from {ref}` (three sentences): output / reference mouth-opening range × "
                     f"{v['ratio']['opening_iod']}, head speed × {v['ratio']['speed_iod_s']}.")
    g, w = e["interpolation_grid"], e["interpolation_wild"]
    s50 = e["sync_50fps"]
    lines += ["", "Interpolation (every other frame dropped and made again, mean over the dropped frames): "
              f"GRID optical flow {g['flow_psnr']} dB / SSIM {g['flow_ssim']}, blending {g['blend_psnr']} dB / "
              f"{g['blend_ssim']}; wild flow {w['flow_psnr']} dB / {w['flow_ssim']}, blending {w['blend_psnr']} dB / "
              f"{w['blend_ssim']}. Blending's error is concentrated: on GRID {g.get('blend_error_top5', 0):.0%} of it "
              f"lies in the 5 % of pixels where it is largest (the eyes and the mouth); an interpolator exact on "
              f"those pixels and no better than blending elsewhere would gain {g.get('exact_top5_gain_db', '–')} dB "
              f"(wild: {w.get('blend_error_top5', 0):.0%}, {w.get('exact_top5_gain_db', '–')} dB). Knowing the real "
              f"frame and taking the better of flow and blending at each pixel would gain "
              f"{g.get('pick_better_gain_db', '–')} dB on GRID ({w.get('pick_better_gain_db', '–')} dB wild). "
              f"Lip sync at 50 frames/s: opening r {s50['opening_r_50fps']} against "
              f"{s50['opening_r_25fps']} at 25 ({s50['difference']:+}).", "",
              "A question, a statement and an emphatic sentence in each style (every 6th frame):", "",
              "![expressive contact sheet](results/expressive_sheet.jpg)", ""]
    return lines


def encoder_section(e: dict) -> list[str]:
    """The writer's x264 parameters: what they cost, and that the same frames make the same video."""
    lines = ["## Encoder: the same frames, the same video (`benchmarks/x264_params.py`)", "",
             f"{e['frames']} frames of each clip encoded as `VideoWriter` does, with x264's own parameters and with "
             f"`{e['params']}`; repeated {e['repeats']} times in one process, and once as on a CPU with nothing "
             "beyond SSE2.", "",
             "| clip | size × | encode time × | PSNR (dB) before → after | repeats identical before → after | "
             "same as SSE2 before → after |", "|---|---|---|---|---|---|"]
    for name, row in e["clips"].items():
        a, b = row["x264"], row["ours"]
        lines.append(f"| {name} | {row['size_ratio']} | {row['time_ratio']} | {a['psnr_db']} → {b['psnr_db']} | "
                     f"{a['repeats_identical']} → {b['repeats_identical']} | {a['same_as_sse2']} → {b['same_as_sse2']} |")
    lines += ["", f"Medians: size × {e['median_size_ratio']}, encode time × {e['median_time_ratio']}.", ""]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep results/*.json that exist")
    args = ap.parse_args()
    OUT_DIR.mkdir(exist_ok=True)
    q = args.quick
    t, r = OUT_DIR, args.reuse
    align = run("alignment_accuracy.py", ["--clips", "50", "--long", "0" if q else "60", "--mismatch"],
                t / "align.json", r)
    tts = run("tts_timings.py", ["--repeats", "1" if q else "3"], t / "tts.json", r)
    enroll = run("enroll_throughput.py", ["--clips", "20" if q else "60", "--runs", "1" if q else "3"],
                 t / "enroll.json", r)
    base = run("baselines.py", ["--pairs", "8" if q else "30"], t / "base.json", r)
    dubbed = run("dub_grid.py", ["--enroll", "20" if q else "60", "--clips", "8" if q else "40",
                                 "--figures", str(OUT_DIR)], t / "dub.json", r)
    footage = run("footage_curve.py", ["--sizes", *(["20", "60"] if q else ["20", "60", "200"]),
                                       "--clips", "8" if q else "40", "--figures", str(OUT_DIR)],
                  t / "footage.json", r)
    wild = run("wild_sync.py", ["--clips", "4"] if q else [], t / "wild.json", r)
    dub_speed = run("dub_speed.py", ["--seconds", "15" if q else "60", "--runs", "1" if q else "2"],
                    t / "dub_speed.json", r)
    speed = run("say_speed.py", ["--long-sentences", "10" if q else "70"], t / "say_speed.json", r)
    photo = run("photo_demo.py", ["--runs", "1" if q else "3", "--figures", str(OUT_DIR)], t / "photo.json", r)
    live = run("live_sync.py", ["--clips", "8" if q else "40", "--rendered", "8" if q else "40", "--wild"],
               t / "live_sync.json", r)
    big = run("big_avatar.py", ["--clips", "60" if q else "250"], t / "big_avatar.json", r)
    untranscribed = run("enroll_untranscribed.py", ["--clips", "8" if q else "40"], t / "untranscribed.json", r)
    hd_before = run("hd_footage.py", ["--seconds", "3" if q else "8", "--bank", "160", "--runs", "1"], t / "hd_before.json", r)
    hd = run("hd_footage.py", ["--seconds", "3" if q else "8"], t / "hd.json", r)
    speed_1080 = run("dub_speed.py", ["--size", "1080", "--seconds", "15" if q else "60", "--runs", "1"],
                     t / "dub_speed_1080.json", r)
    long_1080 = run("dub_speed.py", ["--size", "1080", "--seconds", "30" if q else "600", "--runs", "1"],
                    t / "dub_speed_1080_long.json", r)
    sessions = run("live.py", ["--size", "512", "--trials", "4" if q else "10", "--sustain", "20" if q else "600"],
                   t / "live.json", r)
    batch = run("batch_scale.py", ["--rows", "6" if q else "48", "--rss-rows", "20" if q else "100"],
                t / "batch.json", r)
    # NeMo's cases are not in this repository: scored when a checkout is given, else the last result.
    nemo = os.environ.get("NEMO_TESTS")
    text_norm = run("text_norm.py", ["--cases", nemo], t / "text_norm.json") if nemo else json.loads(
        (t / "text_norm.json").read_text())
    expressive = run("expressive.py", ["--clips", "4" if q else "8", *(["--wild", "4"] if q else []),
                                       "--figures", str(OUT_DIR)], t / "expressive.json", r)
    captions = run("captions.py", ["--clips", "8" if q else "20", "--runs", "1" if q else "3"], t / "captions.json", r)
    x264 = run("x264_params.py", ["--frames", "60" if q else "150"], t / "x264_params.json", r)
    soak = run("soak.py", ["--minutes", "3" if q else "20", "--jobs", "30" if q else "200"], t / "soak.json", r)
    plot_baselines(base["baselines"], OUT_DIR / "baselines.png")
    plot_example(OUT_DIR / "mismatched_example.png")

    lines = ["# Benchmark results", "",
             f"Generated by `python benchmarks/report.py{' --quick' if q else ''}` on "
             f"{time.strftime('%Y-%m-%d %H:%M %Z')}: {os.cpu_count()} CPU cores, "
             f"{platform.machine()}, Python {platform.python_version()}, {platform.system()}. "
             "Real data: GRID speaker s1 (`../shared/data/grid_s1`). Timings are medians of the "
             "runs shown; these machines are noisy, so compare ratios, not single numbers.", ""]
    lines += ["## Forced alignment (word boundaries vs the corpus's own timings)", "",
              "| set | clips | mean | median | p90 | within 50 ms | real-time factor |",
              "|---|---|---|---|---|---|---|"]
    for name in ("first", "all"):
        r = align[name]
        lines.append(f"| {name} | {r['clips']} | {r['mae_ms']} ms | {r['median_ms']} ms | {r['p90_ms']} ms | "
                     f"{r['within_50ms']:.1%} | {r['real_time_factor']} |")
    if "long" in align:
        r = align["long"]
        lines.append(f"| one joined file of {r['seconds']} s ({r['chunks']} chunks) | – | {r['mae_ms']} ms | "
                     f"{r['median_ms']} ms | | | {r['wall_s']} s wall |")
    m = align["mismatch"]
    lines += ["", f"Mismatched transcripts: {m['false_rejects']} of {m['true_total']} true transcripts "
              f"refused; {m['other_caught']} of {m['other_total']} other-sentence transcripts and "
              f"{m['partial_caught']} of {m['partial_total']} half transcripts caught.", ""]
    lines += ["## TTS timings", "", "| sentence | voice | contiguous | end error | RTF |", "|---|---|---|---|---|"]
    for r in tts["sentences"]:
        lines.append(f"| {r['text']} | {r['source']} | {'yes' if r['contiguous'] else 'NO'} | "
                     f"{r['end_error_ms']} ms | {r['rtf']} |")
    lines += ["", "## Enrollment", "",
              f"{enroll['clips']} clips ({enroll['frames']} frames), {enroll['runs']} run(s), each in a fresh process:", "",
              "| metric | value |", "|---|---|"]
    for k in ("frames_per_second_median", "frames_per_second_all", "seconds_median", "peak_rss_mb_max",
              "found_rate", "rigid_residual_median_pct_iod", "rigid_residual_p95_pct_iod",
              "lip_gap_open_vowel", "lip_gap_bilabial_silence", "open_to_closed_ratio",
              "phonemes_with_own_pose"):
        lines.append(f"| {k} | {enroll[k]} |")
    keys = ("mouth_lmd_pct_iod", "opening_correlation", "opening_lag_frames", "jitter_ratio",
            "psnr_db", "ssim", "mouth_psnr_db", "mouth_ssim")
    lines += ["", f"## Lip-sync metric baselines ({base['pairs']} GRID clips, mean ± sd)", "",
              "re-encoded = the real clip through our H.264 writer (the tracker's noise floor); "
              "mismatched = another sentence's real mouth; static = the most closed frame held. "
              "A generator must beat mismatched and static and approach re-encoded.", "",
              "| baseline | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, s in base["baselines"].items():
        lines.append(f"| {name} | " + " | ".join(f"{s[k]['mean']:.3f} ± {s[k]['sd']:.3f}" for k in keys) + " |")
    lines += ["", "![baselines](results/baselines.png)", "",
              "Lip opening of one clip against another sentence's real mouth:", "",
              "![mismatched example](results/mismatched_example.png)", ""]
    d = dubbed
    lines += [f"## Dub: {d['dubbed_clips']} GRID clips re-voiced with their own audio", "",
              f"Avatar enrolled from {d['enroll_clips']} clips "
              + ("spread evenly over the corpus" if d.get("split", "first") == "spread" else "(the first by name)")
              + f" ({d['enroll_seconds']} s); each "
              "dubbed clip (not enrolled) is scored against its real video; baselines from the same run.", "",
              "| | opening correlation | at best lag | lag (frames) | mouth LMD (% IOD) | jitter ratio |",
              "|---|---|---|---|---|---|"]
    for name in ("dub", "dub_own_frames", "dub_no_transcript", "universal_alone_own_frames", "mismatched"):
        if name not in d:
            continue
        s = d[name]
        lines.append(f"| {name} | " + " | ".join(f"{s[k]['mean']:.3f} ± {s[k]['sd']:.3f}" for k in (
            "opening_correlation", "opening_correlation_best", "opening_lag_frames", "mouth_lmd_pct_iod",
            "jitter_ratio")) + " |")
    s = d["static"]
    lines.append(f"| static rest mouth | {s['opening_correlation']['mean']:.3f} | | | "
                 f"{s['mouth_lmd_pct_iod']['mean']:.3f} | |")
    if "own_frames_silence_closure" in d:
        own, bg = d["dub_own_frames"], d["dub"]
        lines += ["", "Issue 5's acceptance points, for both ways of dubbing a held-out clip:", "",
                  "| | target | re-voicing the clip (`dub AVATAR --video clip.mp4`) | onto the avatar's background |",
                  "|---|---|---|---|",
                  f"| opening correlation | ≥ 0.85 | {own['opening_correlation']['mean']:.3f} | "
                  f"{bg['opening_correlation']['mean']:.3f} |",
                  f"| best lag within ±1 frame | 0 ± 1 | {d['own_frames_lag_within_1']:.0%} of clips | "
                  f"{d['lag_within_1']:.0%} of clips |",
                  f"| mouth LMD / mismatched | ≤ 55 % | {d['own_frames_lmd_vs_mismatched']:.1%} | "
                  f"{d['lmd_vs_mismatched']:.1%} |",
                  f"| jitter ratio | 0.8–1.2 | {own['jitter_ratio']['mean']:.2f} | {bg['jitter_ratio']['mean']:.2f} |",
                  f"| lips closed in silent frames | ≥ 95 % | {d['own_frames_silence_closure']['mean']:.1%} "
                  f"(min {d['own_frames_silence_closure']['min']:.0%}) | {d['silence_closure']['mean']:.1%} "
                  f"(min {d['silence_closure']['min']:.0%}) |"]
    lines += ["", f"Lag within ±1 frame: {d['lag_within_1']:.0%} of clips. Lips closed in "
              f"{d['silence_closure']['mean']:.1%} of pause frames (mean over clips). LMD / mismatched "
              f"LMD = {d['lmd_vs_mismatched']} (onto the clip's own frames: "
              f"{d.get('own_frames_lmd_vs_mismatched', '–')}). Rendering {d['render_fps_median']} frames/s; dub wall time "
              f"{d['wall_per_output_second_median']} × the output's duration; peak RSS {d['peak_rss_mb']} MB.",
              "", "![dub opening curve](results/dub_opening.png)", "",
              "Every 5th frame, dubbed (top) above real (bottom):", "",
              "![dub contact sheet](results/dub_contact_sheet.jpg)", ""]
    if "universal_alone_own_frames" in d:
        lines += ["dub_no_transcript = the same avatar without the transcript (the universal audio→mouth "
                  "model drawn in the avatar's mouth space); universal_alone_own_frames = no avatar and no "
                  "transcript, the clip's own frames re-voiced (`dub --video clip.mp4 clip.mp4`; the model "
                  "never trained on these clips but did on this speaker's others). Lag within ±1 frame "
                  f"for the latter: {d['universal_alone_lag_within_1']:.0%} of clips.", ""]
    w = wild["summary"]
    lines += ["## Wild lip sync (real portrait clips, no transcript, the universal model)", "",
              f"`python benchmarks/wild_sync.py`: each of the {w['clips']} clips of ../shared/data/wild cut in "
              "two; its first half re-voiced with its second half's sound (`dub --video first.mp4 "
              "second.wav`) and scored against the real second half. The model trained on first halves "
              "only (and never on the three MEAD clips).", "",
              "| | value |", "|---|---|",
              f"| opening r (lag 0), mean / min | {w['opening_r_mean']:.3f} / {w['opening_r_min']:.3f} |",
              f"| opening r at the best lag, mean | {w['opening_r_best_mean']:.3f} |",
              f"| clips with the best lag within ±1 frame | {w['best_lag_within_1']:.0%} |",
              f"| mismatched real mouth (first half vs second), r | {w['mismatched_opening_r_mean']:.3f} |",
              f"| clips beating mismatched: r / LMD | {w['beats_mismatched_r']} / {w['beats_mismatched_lmd']} of {w['clips']} |",
              f"| mouth LMD (% IOD): re-voiced / mismatched / static | {w['mouth_lmd_mean']:.2f} / "
              f"{w['mismatched_lmd_mean']:.2f} / {w['static_lmd_mean']:.2f} |",
              f"| jitter ratio | {w['jitter_ratio_mean']:.2f} |",
              f"| real mouth vs its own speech envelope (best lag) | {w['real_audio_mouth_best_mean']:.3f} |",
              f"| dub --video wall time (median) | {w['dub_seconds_median']} s |",
              f"| `dub --video` of a {dub_speed['seconds']:.0f} s {dub_speed['size']} video with a new recording "
              f"(`benchmarks/dub_speed.py`) | {dub_speed['wall_per_output_second_median']} × its duration "
              f"(runs {dub_speed['wall_per_output_second_runs']}), peak RSS {dub_speed['peak_rss_mb_max']} MB |"]
    if "silence_lip_leak_mean" in w:
        lines += [f"| re-voiced with another person's speech: mouth vs envelope | {w['other_voice_audio_mouth_best_mean']:.3f} |",
                  f"| re-voiced with Chinese TTS: mouth vs envelope | {w['chinese_audio_mouth_best_mean']:.3f} |",
                  f"| re-voiced with silence (room tone): open-mouth frames (LipLeak) | {w['silence_lip_leak_mean']:.1%} |"]
    lines += ["", "| clip | r | best r (lag) | mismatched r | LMD | mismatched LMD | jitter |", "|---|---|---|---|---|---|---|"]
    for c in wild["clips"]:
        lines.append(f"| {c['clip']} | {c['opening_correlation']:.2f} | {c['opening_correlation_best']:.2f} "
                     f"({c['opening_lag_frames']:+.0f}) | {c['mismatched']['opening_correlation']:.2f} | "
                     f"{c['mouth_lmd_pct_iod']:.2f} | {c['mismatched']['mouth_lmd_pct_iod']:.2f} | "
                     f"{c['jitter_ratio']:.2f} |")
    lines += ["", "![wild sync](results/wild_sync.png)", ""]
    lines += ["## Live mouth (the universal model run causally, `benchmarks/live_sync.py`)", "",
              f"{live['clips']} GRID held-out clips, 40 ms pushes; opening r of the model's description against "
              "each clip's real mouth (lag 0), before rendering.", "",
              "| | opening r (the stream's model: both weights averaged) | agreement with the whole-recording "
              "model | the file weights alone | the live weights alone |",
              "|---|---|---|---|---|",
              f"| whole recording (files) | | | {live['offline']:.3f} | |",
              f"| a fresh stream per clip (a session's first reply) | {live['cold']:.3f} | {live['cold_vs_offline']:.3f} | "
              f"{live['cold_file_weights']:.3f} | {live['cold_live_weights']:.3f} |",
              f"| one stream through all clips (reply after reply) | {live['warm']:.3f} | {live['warm_vs_offline']:.3f} | "
              f"{live['warm_file_weights']:.3f} | |",
              ""]
    if "wild" in live:
        w = live["wild"]
        lines += [f"Wild ({w['clips']} clips' second halves, never trained on; a fresh stream each): opening r "
                  f"{w['cold']:.3f} with the stream's model, {w['cold_file_weights']:.3f} with the file weights alone, "
                  f"{w['cold_live_weights']:.3f} with the live weights alone; {w['offline']:.3f} for the "
                  "whole-recording model.", ""]
    if "rendered" in live:
        rl = live["rendered"]
        lines += [f"Rendered and re-tracked ({rl['clips']} held-out clips, the 60-clip avatar, audio only): opening r "
                  f"against the real mouth of the file `dub` without a transcript {rl['file']:.3f}; live, a fresh "
                  f"session per clip {rl['cold']:.3f} ({rl['cold_minus_file']:+.3f}), one session through all "
                  f"{rl['warm']:.3f} ({rl['warm_minus_file']:+.3f}); target: within 0.03 of the file.", ""]
    s, one, two = sessions, sessions["sustained_one"], sessions["sustained_two"]
    lines += ["## Live sessions (`benchmarks/live.py`)", "",
              f"Avatar from {s['enrolled_clips']} GRID clips, {s['frame_size'][0]}×{s['frame_size'][1]} at "
              f"{s['fps']:g} fps; replies are held-out clips pushed in 40 ms chunks in real time.", "",
              "| | measured | target (issue 16) |", "|---|---|---|",
              f"| first speaking frame after the first 40 ms chunk, p50 / p95 | {s['audio_first_frame_ms']['p50']} / "
              f"{s['audio_first_frame_ms']['p95']} ms ({s['audio_first_frame_ms']['runs']} replies) | ≤ 200 / ≤ 300 ms |",
              f"| text → first speaking frame, p50 / p95 (voice loaded) | {s['text_first_frame_ms']['p50']} / "
              f"{s['text_first_frame_ms']['p95']} ms | ≤ 500 ms p50 |",
              f"| interrupt half a second into a reply → idle with the footage's own mouth | "
              f"{s['interrupt_frames_to_idle']['max']} frame(s) at most ({s['interrupt_frames_to_idle']['runs']} "
              f"replies); {s['speaking_frames_after_interrupt']} speaking frames after | ≤ 2 frames, none |",
              f"| as fast as possible | {s['throughput']['frames_per_s']} frames/s, CPU "
              f"{s['throughput']['cpu_share_of_real_time']:.0%} of one core in real time | ≤ 1 core |",
              f"| paced, {one['seconds']:.0f} s of replies and idle | {one['late_frames']} late frames of {one['frames']}, "
              f"drift {one['drift_frames']} frames | none late, ≤ 1 frame (10 min at 512×512) |",
              f"| that session's memory (a process of its own) | peak RSS {one['peak_rss_mb_process']} MB; "
              f"{one.get('rss_mb_first_minute')} MB a minute in, {one.get('rss_mb_end')} MB at the end | ≤ 400 MB |",
              f"| two sessions at once (two processes), paced | late frames {[w['late_frames'] for w in two]}, "
              f"peak RSS {[w['peak_rss_mb_process'] for w in two]} MB each | 25 frames/s each, ≤ 400 MB |",
              f"| opening the session | {s['open_session_s']} s | ≤ 1 s for the 250-clip avatar |",
              f"| lip jitter at idle ↔ speech switches (re-tracked; {s['transitions']['switches']} switches) | "
              f"{s['transitions']['jitter_at_switches']} IOD/frame² (the idle footage's own: mean "
              f"{s['transitions']['jitter_idle_footage']}, p95 {s['transitions']['jitter_idle_footage_p95']}) | "
              "within the footage's range |", ""]
    lines += [f"A long avatar (`benchmarks/big_avatar.py`: {big['clips']} GRID clips, {big['frames']} frames, "
              f"enrolled in {big['enroll_s']} s): `Avatar.load` {big['load_s']} s, opening a live session "
              f"{big['open_session_s']} s; `say` {big['say'][0]['ratio']} × the output's duration the first time "
              f"(the voice loads: TTS {big['say'][0]['steps_s']['tts']} s), {big['say'][1]['ratio']} × after "
              f"(bank {big['say'][1]['steps_s']['load']} s). Files (MB): {big['files_mb']}.", ""]
    u = untranscribed
    lines += ["## Enrolling without a transcript (`benchmarks/enroll_untranscribed.py`)", "",
              f"A minute of GRID ({u['enroll_clips']} clips spread over the corpus) enrolled with its words and with "
              f"none (pocketsphinx's words, aligned back: word error rate {u['recognition_wer']:.0%} on GRID's "
              f"odd grammar, {u['clips_recognised']} of {u['enroll_clips']} clips recognised); {u['dubbed_clips']} "
              "held-out clips dubbed onto each.", "",
              "| avatar | dub with the clip's words: opening r | mouth LMD (% IOD) | without words: opening r |",
              "|---|---|---|---|"]
    for a in ("transcribed", "untranscribed"):
        lines.append(f"| {a} | {u[a + '_words']['opening_correlation']:.3f} | {u[a + '_words']['mouth_lmd_pct_iod']:.3f} | "
                     f"{u[a + '_no_words']['opening_correlation']:.3f} |")
    lines += ["", f"Every wild clip enrolled with no transcript: {u['wild_enrolled']} of {len(u['wild'])} succeeded ("
              + ", ".join(f"{w['clip'].split('_')[0]}: {w['source']}, {w['usable']:.0%} usable" for w in u["wild"] if w["ok"])
              + ").", ""]
    lines += ["## HD footage (`benchmarks/hd_footage.py`)", "",
              f"Each clip's first {hd['seconds']:g} s, scaled to 720p and 1080p, re-voiced with its own sound "
              "(`dub --video`); mouth sharpness = variance of the Laplacian in the mouth box, generated / source; "
              "seam contrast = gradient along the boundary of the changed region, generated / source. Before: "
              "160 px bank crops (round one's fixed size, `--bank 160`); after: crops at the source's scale. "
              "Wall time: the median of fresh processes (start-up included), a run each before and three after.", "",
              "| clip | size | sharpness before → after | seam contrast before → after | wall / duration | peak RSS |",
              "|---|---|---|---|---|---|"]
    for b, a in zip(hd_before["rows"], hd["rows"]):
        lines.append(f"| {a['clip']} | {a['size']} ({a['frame'][0]}×{a['frame'][1]}) | {b['sharpness_ratio']} → "
                     f"{a['sharpness_ratio']} | {b['seam_contrast']} → {a['seam_contrast']} | {a['wall_per_s']} × | "
                     f"{a['peak_rss_mb']} MB |")
    lines += ["", f"`dub --video` of a {speed_1080['seconds']:.0f} s {speed_1080['size']} video "
              f"(`benchmarks/dub_speed.py --size 1080`): {speed_1080['wall_per_output_second_median']} × its duration, "
              f"peak RSS {speed_1080['peak_rss_mb_max']} MB; {long_1080['seconds']:.0f} s at {long_1080['size']}: "
              f"{long_1080['wall_per_output_second_median']} ×, peak RSS {long_1080['peak_rss_mb_max']} MB.", ""]
    lines += ["## How much footage to enroll", "",
              f"The same {footage['dubbed_clips']} held-out clips dubbed onto avatars enrolled from more or "
              f"less footage (other clips spread over the corpus), onto each avatar's background and onto "
              f"the clip's own frames; mismatched-sentence LMD {footage['mismatched_lmd_pct_iod']:.3f} % IOD.", "",
              "| clips enrolled | minutes | onto | mouth LMD (% IOD) | LMD / mismatched | opening correlation |",
              "|---|---|---|---|---|---|"]
    for row in footage["sizes"]:
        for name, onto in (("avatar", "avatar's background"), ("own_frames", "clip's own frames")):
            m = row[name]
            lines.append(f"| {row['clips']} | {row['minutes']:.1f} | {onto} | {m['mouth_lmd_pct_iod']['mean']:.3f} ± "
                         f"{m['mouth_lmd_pct_iod']['sd']:.3f} | {m['lmd_vs_mismatched']:.0%} | "
                         f"{m['opening_correlation']['mean']:.3f} ± {m['opening_correlation']['sd']:.3f} |")
    lines += ["", "![footage curve](results/footage_curve.png)", ""]
    lines += ["## say / dub speed and memory", "",
              f"`say` of a {speed['say_seconds_of_video']} s text: {speed['say_wall_per_output_second']} × "
              f"its duration end to end ({', '.join(f'{k} {v} s' for k, v in speed['say_stage_seconds'].items())}). "
              f"Rendering onto a 1280×720 background: {speed['render_fps_720p']} frames/s. A "
              f"{speed['long_say_seconds_of_video']} s `say`: {speed['long_say_wall_per_output_second']} × its "
              f"duration, peak RSS {speed['long_say_peak_rss_mb']} MB (a fresh process).", ""]
    p = photo
    lines += ["## Talking photo (the built-in portrait, no avatar)", "",
              f"Frames {p['frame_size'][0]}×{p['frame_size'][1]}. Each output is re-tracked and compared with "
              "its own phoneme timeline: opening r = correlation of the inner-lip gap with the phonemes' "
              "expected openness; closure = lips closed (gap < 0.03 IOD) in pause frames and at p/b/m "
              "centres; drift = largest move of brows, nose bridge and eye corners once the head's "
              "similarity motion is removed (px).", "",
              "| sentence | opening r | pause closure | bilabial closure | drift max (px) |", "|---|---|---|---|---|"]
    for row in p["sentences"]:
        lines.append(f"| {row['text']} | {row['opening_vs_expected']} | {row['pause_closure']} | "
                     f"{row['bilabial_closure']} | {row['still_drift_px_max']} |")
    m = p["mean_english"]
    lines += ["", f"English mean: opening r {m['opening_vs_expected']}, pause closure {m['pause_closure']}, "
              f"bilabial closure {m['bilabial_closure']}. Rendering + encoding: {p['render_fps_median']} "
              f"frames/s (median of {len(p['render_fps_runs'])} runs: {p['render_fps_runs']}) for a "
              f"{p['long_output_seconds']} s output.", "",
              "Every 5th frame of the `make demo` sentence:", "",
              "![photo contact sheet](results/photo_contact_sheet.jpg)", ""]
    b = batch
    lines += ["## Batch (`benchmarks/batch_scale.py`)", "",
              f"{b['rows']} rows of ~6 s of speech each, one GRID avatar (render-bound rows), on this machine: "
              "the local process pool and Ray (a local instance on the same 2 cores) with 1 and 2 workers. Each run "
              "starts cold, as `talkinghead batch` does (a fresh process; every worker imports, loads the voice and "
              "opens the avatar once), and its wall time includes that.", "",
              "| run | wall | rows/min | video s per wall s | workers that made rows |", "|---|---|---|---|---|"]
    for name, row in b["runs"].items():
        lines.append(f"| {name.replace('_', ', ')} worker(s) | {row['wall_s']} s | {row['rows_per_min']} | "
                     f"{row['video_s_per_wall_s']} | {row['workers_used']} |")
    lines += ["", f"2 workers over 1: local {b['speedup_2_over_1']['local']} ×, Ray {b['speedup_2_over_1']['ray']} ×. "
              f"Ray's overhead per row (Ray's wall time − the local pool's, / rows): "
              f"{', '.join(f'{k}: {v} s' for k, v in b['ray_overhead_per_row_s'].items())}, that is "
              f"{', '.join(f'{k}: {v:.1%}' for k, v in b['ray_overhead_vs_10s_render'].items())} of a 10 s row's "
              f"render time ({b['ten_s_row']['wall_s']} s); starting the local Ray instance took "
              f"{b['ray_start_s']} s (once per batch, not counted per row). One worker over "
              f"{b['worker_rss_mb']['rows']} rows of one avatar: RSS (medians) {b['worker_rss_mb']['first_tenth']:.0f} MB "
              f"in the first tenth of the rows (warming up), {b['worker_rss_mb']['second_tenth']:.0f} MB in the second, "
              f"{b['worker_rss_mb']['last_tenth']:.0f} MB in the last (max {b['worker_rss_mb']['max']:.0f} MB). Once every "
              f"worker is warm (its first row loads the voice and the avatar), 2 workers make rows "
              f"{b['steady_speedup_2_over_1']['local']} × as fast as 1 (local) and {b['steady_speedup_2_over_1']['ray']} × "
              "(Ray): 2 × the median row time of 1 worker / that of 2.", ""]
    k = soak
    rss = "; ".join(f"{n}: {v['start_mb']} → {v['end_mb']} MB over {v['minutes_sampled']} min"
                    for n, v in k["server_rss"].items())
    lines += ["## Service soak (`benchmarks/soak.py`)", "",
              f"{k['requests']} requests over {k['minutes']:g} minutes to `talkinghead serve --workers {k['workers']}` "
              f"({', '.join(f'{n} {v}' for n, v in k['kinds'].items())}), the server stopped (SIGTERM) and "
              f"started again halfway. Accepted jobs: {k['jobs_accepted']}, ended "
              f"{', '.join(f'{n} {v}' for n, v in k['jobs_per_state'].items())}; not ended: {k['not_final']}. "
              f"Refused as they should be: {', '.join(f'{v} × {n}' for n, v in k['refused_as_expected'].items())}; "
              f"anything else unexpected: {len(k['unexpected'])}. After the server stopped: orphan worker "
              f"processes {k['orphans']} (of {k['worker_processes_seen']} seen), stray files "
              f"{len(k['stray_files'])}. Server RSS (after a minute's warm-up): "
              f"{rss}. "
              f"API latency under that load (GET /jobs, GET /jobs/{{id}}): p50 {k['api_latency_ms']['p50']} ms, "
              f"p95 {k['api_latency_ms']['p95']} ms, max {k['api_latency_ms']['max']} ms.", ""]
    lines += expressive_section(expressive)
    lines += text_norm_section(text_norm)
    lines += captions_section(captions)
    lines += encoder_section(x264)
    lines += ["", (HERE / "decisions.md").read_text().rstrip(), ""]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
