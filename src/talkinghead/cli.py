"""`talkinghead` command line: parse, call the API, report. Errors: one line, exit code 2."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._io import check_output
from ._threads import share_heaps
from .errors import InputError

if TYPE_CHECKING:  # the render stage loads OpenCV: only when a command needs it
    from .render.report import RenderReport

log = logging.getLogger("talkinghead")

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


class _Bars:
    """Progress hook → one tqdm bar per task on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, task: str, done: float, total: float | None) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(task)
        if bar is None:
            bar = self.bars[task] = tqdm(total=total, desc=task, unit="", leave=False, file=sys.stderr)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _read_text(args: argparse.Namespace, what: str) -> str:
    if args.text_file is not None:
        path = Path(args.text_file)
        if not path.is_file():
            raise InputError(f"{what} file '{path}' does not exist", "check the path")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{what} file '{path}' is not UTF-8 text", "save it as UTF-8") from None
    return args.text


def _cmd_tts(args: argparse.Namespace, bars: _Bars) -> int:
    from .speech import TTSOptions, synthesize
    from .speech.export import check_timings_path, write_timings
    from .video import save_wav

    check_output(args.output, (".wav",), "speech")
    if args.timings:
        check_timings_path(args.timings)
    text = _read_text(args, "text") if args.text is None else args.text
    speech = synthesize(text, TTSOptions(voice=args.voice, rate=args.rate, lang=args.lang), bars)
    save_wav(args.output, speech.audio, speech.sample_rate)
    if args.timings:
        write_timings(speech, args.timings)
    log.info("wrote %s (%.2f s, %d phonemes, %d words)", args.output, speech.duration,
             len(speech.phonemes), len(speech.words))
    return EXIT_OK


def _cmd_align(args: argparse.Namespace, bars: _Bars) -> int:
    from .speech import align
    from .speech.export import check_timings_path, write_timings

    check_timings_path(args.output)  # the suffix, and a folder that can be written
    speech = align(args.audio, _read_text(args, "transcript"), progress=bars)
    write_timings(speech, args.output)
    log.info("wrote %s (%d words, %d phones over %.2f s)", args.output, len(speech.words),
             sum(p.phoneme != "sil" for p in speech.phonemes), speech.duration)
    return EXIT_OK


def _cmd_enroll(args: argparse.Namespace, bars: _Bars) -> int:
    from .avatar import EnrollOptions, clips_from, coverage_table, enroll, pack
    from .face import TrackOptions

    check_output(args.output, what="avatar", folder=True)
    text = None
    if args.text is not None or args.text_file is not None:
        text = _read_text(args, "transcript")
    clips = clips_from(args.videos, text=text, transcripts=args.transcripts,
                       align_dir=args.align_dir, no_audio=args.no_audio)
    report = enroll(clips, args.output, EnrollOptions(fps=args.fps, no_audio=args.no_audio, force=args.force,
                                                      track=TrackOptions(face=args.face)), bars)
    if args.pack:
        pack(args.output, bars)
    bars.close()
    for path, reason in report.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    m = report.avatar.meta
    log.info("wrote %s: %d clips, %d frames in %.1f s (%.0f frames/s); %d of %d phonemes with "
             "their own key pose", args.output, m.counts.clips, report.frames, report.seconds,
             report.frames / max(report.seconds, 1e-9), m.coverage.phonemes_with_own_pose,
             len(report.avatar.dictionary.phonemes))
    if args.verbose:
        print(coverage_table(report.avatar))
    return EXIT_OK


def _cmd_pack(args: argparse.Namespace, bars: _Bars) -> int:
    from .avatar import pack

    n = pack(args.avatar, bars)
    bars.close()
    log.info("%s: %s", args.avatar, f"{n} video(s) copied in; it can now be moved or copied to another machine"
             if n else "already self-contained")
    return EXIT_OK


def _cmd_inspect(args: argparse.Namespace, bars: _Bars) -> int:
    from .avatar import Avatar, contact_sheet, coverage_table

    avatar = Avatar.load(args.avatar)
    sheet = check_output(avatar.path / "keyposes.png", (".png",), "contact sheet")
    print(coverage_table(avatar))
    path = contact_sheet(avatar, sheet)
    print(f"key poses over real mouths: {path}")
    return EXIT_OK


_METRIC_LABELS = {
    "mouth_lmd_pct_iod": ("mouth LMD", "% of inter-ocular distance, lower is better"),
    "opening_correlation": ("opening correlation", "Pearson r of lip opening at lag 0"),
    "opening_correlation_best": ("  at best lag", "r at the best lag within ±10 frames"),
    "opening_lag_frames": ("opening lag", "frames; > 0: generated mouth is late"),
    "jitter_ratio": ("jitter ratio", "generated / reference lip jitter; 1 = as steady as real"),
    "psnr_db": ("PSNR", "dB, whole frame"),
    "ssim": ("SSIM", "whole frame"),
    "mouth_psnr_db": ("mouth PSNR", "dB, box around the reference's lips"),
    "mouth_ssim": ("mouth SSIM", "box around the reference's lips"),
    "face_found_generated": ("face found (generated)", "share of frames"),
    "face_found_reference": ("face found (reference)", "share of frames"),
    "audio_mouth_correlation": ("audio-mouth correlation", "r of speech envelope vs lip opening"),
    "audio_mouth_correlation_best": ("  at best lag", "within ±10 frames"),
    "audio_mouth_lag_frames": ("audio-mouth lag", "frames; > 0: mouth is late"),
    "silence_closure": ("silence closure", "share of pause frames with closed lips"),
    "silent_frames": ("pause frames", "frames judged silent from the audio"),
    "jitter_iod": ("lip jitter", "IOD per frame², lower is steadier"),
    "face_found": ("face found", "share of frames"),
    "frames": ("frames", "compared"),
    "lse_d": ("LSE-D", "SyncNet distance, lower is better"),
    "lse_c": ("LSE-C", "SyncNet confidence, higher is better"),
    "av_offset": ("SyncNet AV offset", "frames"),
}


def _cmd_evaluate(args: argparse.Namespace, bars: _Bars) -> int:
    import json

    from ._io import atomic_output
    from .evaluate import evaluate, plot_curves

    if args.json:
        check_output(args.json, (".json",), "metrics")
    if args.plot:
        check_output(args.plot, (".png",), "plot")
    model = None
    if args.syncnet:
        from .evaluate.syncnet import load_syncnet

        model = load_syncnet(args.syncnet)  # fail on bad weights before the long tracking
    result = evaluate(args.generated, args.ref, progress=bars)
    if model is not None:
        from .evaluate.compare import add_sync_scores

        result = add_sync_scores(result, model, progress=bars)
    bars.close()
    print(f"{Path(args.generated).name}" + (f" vs {Path(args.ref).name}" if args.ref else " (no reference)"))
    for key, value in result.metrics.items():
        label, meaning = _METRIC_LABELS.get(key, (key, ""))
        shown = f"{value:.0f}" if key.endswith("frames") or key == "av_offset" else f"{value:.4g}"
        print(f"  {label:<26}{shown:>10}   {meaning}")
    for note in result.notes:
        print(f"note: {note}")
    if args.json:
        with atomic_output(args.json) as tmp:
            tmp.write_text(json.dumps(result.to_json(), indent=1))
    if args.plot:
        plot_curves(result, args.plot)
    return EXIT_OK


def _delivery_args(p: argparse.ArgumentParser) -> None:
    """The flags of how a video is delivered (say, dub)."""
    p.add_argument("--fps", type=float, help="output frame rate (default: the avatar's; 50 or 60 from 25 fps "
                   "footage interpolates its frames along their motion)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--style", choices=["calm", "neutral", "energetic"], default="neutral",
                   help="speaking style: articulation, head motion and blinks (neutral: the person as enrolled)")
    g.add_argument("--style-from", metavar="CLIP", help="deliver like this video (anyone's): its mouth-opening "
                   "range and head motion")
    p.add_argument("--still-head", action="store_true", help="no head motion from the speech (the footage's "
                   "steady stretch; a photo sways slowly)")
    p.add_argument("--seed", type=int, default=0, help="picks one of the many head motions that fit the speech "
                   "(the same seed gives the same video)")


def _caption_args(p: argparse.ArgumentParser, recorded: bool) -> None:
    """The flags of captions (say, dub, live)."""
    p.add_argument("--srt", metavar="PATH", help="write captions (the text as written, timed as spoken) to this .srt")
    p.add_argument("--vtt", metavar="PATH", help="write captions to this WebVTT .vtt")
    p.add_argument("--captions", choices=["soft", "burn"], help="captions in the video: a subtitle track "
                   "players switch on (soft), or drawn into the frames below the face (burn)")
    if recorded:
        p.add_argument("--recognise", "--recognize", action="store_true", dest="recognise",
                       help="caption a recording given without its transcript with the English words speech "
                            "recognition hears (marked as recognised)")


def _caption_options(args: argparse.Namespace) -> object | None:
    """CaptionOptions when any caption flag is given (caption paths checked now), else None."""
    from .captions import CaptionOptions
    from .captions.files import check_caption_path

    if not (args.srt or args.vtt or args.captions):
        if getattr(args, "recognise", False):
            raise InputError("--recognise is for captions", "add --srt, --vtt or --captions, or drop --recognise")
        return None
    for path, kind in ((args.srt, "srt"), (args.vtt, "vtt")):
        if path:
            check_caption_path(path, kind)
    return CaptionOptions(show=args.captions or "none", recognise=getattr(args, "recognise", False))


def _write_captions(args: argparse.Namespace, captions: object | None) -> None:
    """The caption files asked for, from the captions the render made."""
    from .captions import write_captions
    from .captions.files import RECOGNISED_NOTE

    if captions is None:
        return
    for path in (args.srt, args.vtt):
        if path:
            write_captions(path, captions)
            log.info("wrote %s (%d cues)", path, len(captions.cues))
    if captions.recognised:
        log.warning("captions: %s", RECOGNISED_NOTE)


def _render_options(args: argparse.Namespace) -> object:
    """RenderOptions from the shared delivery flags (a ``--style-from`` clip is measured by
    say/dub themselves, against the speech they render)."""
    from .motion.style import STYLES
    from .render import RenderOptions

    if args.style_from:
        from .video import probe

        probe(args.style_from)  # a missing or unreadable reference fails now, before any work
    return RenderOptions(fps=args.fps, style=STYLES[args.style], head_motion=not args.still_head, seed=args.seed,
                         captions=_caption_options(args))


def _cmd_say(args: argparse.Namespace, bars: _Bars) -> int:
    from .render import say
    from .speech import TTSOptions

    check_output(args.output, (".mp4",), "video")
    text = _read_text(args, "text") if args.text is None else args.text
    report = say(args.avatar, text, args.output, TTSOptions(voice=args.voice, rate=args.rate, lang=args.lang),
                 _render_options(args), bars, photo=args.photo, style_from=args.style_from)
    _report(report)
    _write_captions(args, report.captions)
    return EXIT_OK


def _cmd_dub(args: argparse.Namespace, bars: _Bars) -> int:
    from .render import dub

    check_output(args.output, (".mp4",), "video")
    if args.video:
        if len(args.inputs) not in (1, 2):
            raise InputError("with --video give the speech file (and optionally the avatar before it)",
                             "talkinghead dub [NAME.avatar] --video target.mp4 speech.wav -o out.mp4")
        avatar, audio = (None, args.inputs[0]) if len(args.inputs) == 1 else args.inputs
    elif len(args.inputs) == 1:  # no avatar: a talking photo
        avatar, audio = None, args.inputs[0]
    elif len(args.inputs) == 2:
        avatar, audio = args.inputs
    else:
        raise InputError("dub takes [AVATAR] AUDIO",
                         "talkinghead dub NAME.avatar speech.wav -o out.mp4 (or --video / --photo)")
    transcript = _read_text(args, "transcript") if (args.text or args.text_file) else None
    if args.face != 1 and not args.video:
        raise InputError("--face picks a face of the --video being re-voiced", "add --video, or drop --face")
    report = dub(avatar, audio, args.output, transcript, _render_options(args), bars, video=args.video,
                 photo=args.photo, face=args.face, style_from=args.style_from)
    _report(report)
    _write_captions(args, report.captions)
    return EXIT_OK


def _cmd_faces(args: argparse.Namespace, bars: _Bars) -> int:
    from .face.detect import FACES_SUFFIXES, number_faces

    check_output(args.output, FACES_SUFFIXES, "picture")
    count = number_faces(args.video, args.output)
    if count == 0:
        raise InputError(f"no face found in the first seconds of '{args.video}'", "give a video that shows a face")
    print(f"{count} face(s); numbered in {args.output} (use --face N with dub --video or enroll)")
    return EXIT_OK


def _cmd_live(args: argparse.Namespace, bars: _Bars) -> int:
    import numpy as np

    from .live import LIVE_RATE, LiveOptions, open_session
    from .render import open_speaker
    from .speech import TTSOptions
    from .video import VideoWriter, load_audio

    check_output(args.output, (".mp4",), "video")
    if bool(args.audio) == bool(args.text):
        raise InputError("give --audio or --text", "talkinghead live NAME.avatar --audio speech.wav -o out.mp4")
    captioning = _caption_options(args)
    if captioning is not None and args.audio and not args.recognise:
        raise InputError("captions of a recording need its words", "add --recognise (English), or use --text")
    options = LiveOptions(fps=args.fps, paced=args.paced, tts=TTSOptions(voice=args.voice))
    with open_speaker(args.avatar, photo=args.photo) as speaker:  # refuses an avatar and a photo together
        session = open_session(speaker, options)
    with session:
        recognised = False
        if args.audio:
            samples, rate = load_audio(args.audio)
            words = ()
            if captioning is not None:
                from .captions.files import recognised_words

                words, recognised = recognised_words(samples, rate, args.audio), True
            session.push_audio(samples, rate, last=True, words=words)
        else:
            session.push_text(args.text)
        from .captions import CaptionBurner, Captions, language_of, make_captions
        from .text import analyze

        language = "eng" if args.audio else language_of(analyze(args.text, phonemize=False).words)
        soft = captioning is not None and captioning.show == "soft"
        burner = None
        with VideoWriter(args.output, session.fps, audio=np.zeros(0, np.float32), sample_rate=LIVE_RATE,
                         subtitles=Captions((), language, recognised) if soft else None) as writer:
            for frame in session.frames(until_idle=True):
                image = frame.image
                if captioning is not None and captioning.show == "burn":
                    if burner is None and frame.speaking:  # the reply's words are all known as it starts
                        burner = CaptionBurner(make_captions(session.upcoming_words, session.fps, captioning,
                                                             language, recognised), session.fps)
                    if burner is not None:
                        image = burner.draw(image, frame.index, frame.mouth_box)
                writer.write(image, frame.audio)
                bars("live", writer.frames_written, None)
            spoken = session.spoken_words
            captions = None
            if captioning is not None:
                captions = make_captions(spoken, session.fps, captioning, language, recognised,
                                         writer.frames_written / session.fps)
                if soft:
                    writer.set_subtitles(captions)
    bars.close()
    log.info("wrote %s (%d frames, as the live session streamed them)", args.output, writer.frames_written)
    _write_captions(args, captions)
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace, bars: _Bars) -> int:
    from .batch import BatchOptions, run_batch

    options = BatchOptions(workers=args.workers, ray=args.ray, results=args.results, retries=args.retries)
    if args.results and "://" not in args.results:
        check_output(args.results, (".csv", ".jsonl"), "results")
    shown = {"video_s": 0.0}

    def on_result(r) -> None:  # noqa: ANN001 - a RowResult
        shown["video_s"] += r.duration_s
        if r.status == "failed":
            log.warning("row %d (%s) failed: %s", r.index, r.output or "no output", r.error)
        bar = bars.bars.get("batch")
        if bar is not None:
            bar.set_postfix_str(f"{shown['video_s']:.0f} s of video", refresh=False)

    report = run_batch(args.manifest, args.out, options, bars, on_result)
    bars.close()
    log.info("%d done, %d skipped (already made), %d failed; %.0f s of video in %.0f s; results in %s",
             report.count("done"), report.count("skipped"), report.count("failed"), report.video_s, report.wall_s,
             report.results_path)
    return EXIT_OK if report.count("failed") == 0 else EXIT_BAD_INPUT


LOOPBACK = ("127.0.0.1", "localhost", "::1")  # `serve` on one of these answers only to these names


def _cmd_serve(args: argparse.Namespace, bars: _Bars) -> int:
    import uvicorn

    from .server import ServerConfig, create_app

    config = ServerConfig(data=Path(args.data), workers=args.workers, max_upload_mb=args.max_upload_mb,
                          max_media_s=args.max_media_s, cors_origins=tuple(args.cors or ()), max_live=args.max_live,
                          max_disk_gb=args.max_disk_gb, hosts=LOOPBACK if args.host in LOOPBACK else (),
                          ray=args.ray)
    app = create_app(config)
    if args.host not in LOOPBACK:
        log.warning("listening on %s: other machines can reach this service", args.host)
    # wsproto: the WebSocket implementation we depend on (and test); a message over 4 MiB is
    # refused by the protocol layer itself (close 1009), over 1 MiB by the live endpoint.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info",
                ws="wsproto", ws_max_size=4 << 20)
    return EXIT_OK


def _report(report: RenderReport) -> None:
    wall = sum(report.seconds.values())
    log.info("wrote %s (%d frames, %.2f s of video) in %.1f s: %s", report.path, report.frames,
             report.duration, wall, ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items()))


def _cmd_voices(args: argparse.Namespace, bars: _Bars) -> int:
    from .speech import espeak_backend, piper_backend

    print(f"piper (English, default): {piper_backend.default_voice_path()}")
    print("espeak-ng: " + " ".join(espeak_backend.voices()))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = argparse.ArgumentParser(prog="talkinghead",
                                     description="Text or speech in, a talking-head video out.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tts", help="speak text to a WAV, with phoneme timings")
    p.add_argument("text", nargs="?", help="what to say (or --text-file)")
    p.add_argument("--text-file", help="UTF-8 file with the text")
    p.add_argument("-o", "--output", required=True, help="output .wav")
    p.add_argument("--timings", help="also write timings: .json or .TextGrid")
    p.add_argument("--lang", choices=["auto", "en", "zh"], default="auto",
                   help="language of the text (default: auto, English and Chinese mixed)")
    p.add_argument("--voice", help="piper .onnx voice file or espeak-ng voice name "
                                   "(default: bundled piper 'joe' for English, espeak 'cmn' for Chinese)")
    p.add_argument("--rate", type=float, default=1.0, help="speaking-rate multiplier, 0.5-2 (default 1)")
    p.set_defaults(func=_cmd_tts)

    p = sub.add_parser("align", help="time the words and phones of a transcript in a recording")
    p.add_argument("audio", help="recording (wav, mp3, mp4, … anything FFmpeg reads)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--text", help="transcript: exactly what is said (English)")
    g.add_argument("--text-file", help="UTF-8 file with the transcript")
    p.add_argument("-o", "--output", required=True, help="output .json or .TextGrid")
    p.set_defaults(func=_cmd_align)

    p = sub.add_parser("enroll", help="learn a person's mouth poses and texture from their footage")
    p.add_argument("videos", nargs="+", help="video files of the person speaking (mp4, mov, mkv, …)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--text", help="transcript of the (single) video (optional: without one, the English words "
                   "heard are recognised; in other languages the mouths and textures are still learnt)")
    g.add_argument("--text-file", help="UTF-8 file with the transcript of the (single) video")
    g.add_argument("--transcripts", help="TSV file: video name<TAB>transcript, one line per video")
    g.add_argument("--align-dir", help="folder of GRID-style <video name>.align word alignments")
    g.add_argument("--no-audio", action="store_true", help="pose-only avatar, no transcript needed")
    p.add_argument("-o", "--output", required=True, help="avatar directory to create, e.g. me.avatar")
    p.add_argument("--force", action="store_true", help="replace the output if it exists")
    p.add_argument("--fps", type=float, help="avatar frame rate (default: the first video's)")
    p.add_argument("--face", type=int, default=1, help="which face to enroll where several show "
                   "(1 = the largest, most central; `talkinghead faces VIDEO` numbers them)")
    p.add_argument("--pack", action="store_true",
                   help="copy the footage into the avatar, so it can be moved (see `talkinghead pack`)")
    p.set_defaults(func=_cmd_enroll)

    p = sub.add_parser("faces", help="number the faces a video shows (for --face), on a picture")
    p.add_argument("video", help="the video")
    p.add_argument("-o", "--output", default="faces.png", help="the picture to write (.png or .jpg)")
    p.set_defaults(func=_cmd_faces)

    p = sub.add_parser("inspect", help="coverage table and key-pose contact sheet of an avatar")
    p.add_argument("avatar", help="an enrolled NAME.avatar directory")
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("say", help="a video of an enrolled person (or of a photo) saying a text")
    p.add_argument("words", nargs="*", metavar="[AVATAR] TEXT",
                   help="an enrolled NAME.avatar (optional: without it a portrait talks) and what to "
                        "say (or --text-file)")
    p.add_argument("--text-file", help="UTF-8 file with the text")
    p.add_argument("--photo", help="portrait to animate instead of an avatar (default: the built-in one)")
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--lang", choices=["auto", "en", "zh"], default="auto", help="language of the text")
    p.add_argument("--voice", help="piper .onnx voice file or espeak-ng voice name")
    p.add_argument("--rate", type=float, default=1.0, help="speaking-rate multiplier, 0.5-2")
    _delivery_args(p)
    _caption_args(p, recorded=False)
    p.set_defaults(func=_cmd_say)

    p = sub.add_parser("dub", help="a video of an enrolled person saying a recording's words")
    p.add_argument("inputs", nargs="+", metavar="[AVATAR] AUDIO",
                   help="an enrolled NAME.avatar and the speech (wav, mp3, mp4, …); only the speech with --video")
    p.add_argument("--video", help="re-voice this video: its own frames and mouths (its sound is not needed)")
    p.add_argument("--photo", help="a portrait says it (default without an avatar: the built-in one)")
    p.add_argument("--face", type=int, default=1, help="with --video: which face to re-voice where several show "
                   "(1 = the largest, most central; `talkinghead faces VIDEO` numbers them)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--text", help="transcript of the speech (English): aligned, and the avatar's own mouth model reads it; "
                   "without it the universal model reads the sound alone (any language)")
    g.add_argument("--text-file", help="UTF-8 file with the transcript")
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    _delivery_args(p)
    _caption_args(p, recorded=True)
    p.set_defaults(func=_cmd_dub)

    p = sub.add_parser("live", help="run a live session on a recording or a text and save what it streams")
    p.add_argument("avatar", nargs="?", help="an enrolled NAME.avatar directory (none: a portrait)")
    p.add_argument("--photo", help="a portrait speaks instead of an avatar (default: the built-in one)")
    p.add_argument("--audio", help="speech to push (wav, mp3, mp4, …)")
    p.add_argument("--text", help="text to push (synthesised phrase by phrase)")
    p.add_argument("--voice", help="piper .onnx voice file or espeak-ng voice name (with --text)")
    p.add_argument("--paced", action="store_true", help="run on the wall clock, as a live stream does")
    p.add_argument("-o", "--output", required=True, help="output .mp4 (the frames and sound as streamed)")
    p.add_argument("--fps", type=float, help="output frame rate (default: the avatar's)")
    _caption_args(p, recorded=True)
    p.set_defaults(func=_cmd_live)

    p = sub.add_parser("evaluate", help="lip-sync and quality metrics of a video")
    p.add_argument("generated", help="the video to judge")
    p.add_argument("--ref", help="the real video it should match (same speech)")
    p.add_argument("--json", help="also write the numbers to this .json")
    p.add_argument("--plot", help="also draw the opening curves to this .png")
    p.add_argument("--syncnet", help="syncnet_v2.model weights: adds LSE-D / LSE-C (needs torch)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("serve", help="the web page and HTTP API (FastAPI + uvicorn)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="talkinghead-data", help="folder for jobs, avatars and videos")
    p.add_argument("--workers", type=int, default=1, help="jobs run at once (processes)")
    p.add_argument("--max-upload-mb", type=float, default=200.0, help="largest upload, MB")
    p.add_argument("--max-media-s", type=float, default=600.0, help="longest uploaded video/audio, s")
    p.add_argument("--max-live", type=int, default=2, help="live sessions at once (each takes most of a core)")
    p.add_argument("--ray", metavar="auto|local|ADDRESS",
                   help="batch jobs (POST /batches) fan out to this Ray cluster (pip install 'talkinghead[ray]')")
    p.add_argument("--max-disk-gb", type=float, default=20.0,
                   help="most the data folder may hold, GB; above it new uploads and jobs are refused (507)")
    p.add_argument("--cors", action="append", metavar="ORIGIN",
                   help="allow this browser origin to call the API (repeatable); other sites' requests are refused")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("pack", help="make an avatar self-contained: copy the footage it refers to into it")
    p.add_argument("avatar", help="an enrolled NAME.avatar directory")
    p.set_defaults(func=_cmd_pack)

    p = sub.add_parser("batch", help="make many videos from a manifest (CSV or JSON Lines), resumable")
    p.add_argument("manifest", help="one row per video: output, speaker, text or audio, [lang, voice, rate, fps, "
                   "captions]")
    p.add_argument("--out", required=True, help="output folder (rows' outputs are names under it)")
    p.add_argument("--workers", type=int, default=0, help="worker processes or Ray actors (default: the cores)")
    p.add_argument("--ray", metavar="auto|local|ADDRESS",
                   help="run on Ray (pip install 'talkinghead[ray]'): the running cluster, a new local "
                        "instance, or a cluster's address; default: a local process pool")
    p.add_argument("--results", help="results file, .csv or .jsonl (default: OUT/results.jsonl)")
    p.add_argument("--retries", type=int, default=2, help="tries again of rows whose worker died")
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("voices", help="list the voices available offline")
    p.set_defaults(func=_cmd_voices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 internal error)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Positionals may follow options (`say AVATAR --photo P TEXT`, `dub AVATAR --video V SPEECH`).
    if extra and (args.command not in ("say", "dub") or any(e.startswith("-") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "dub":
        args.inputs = list(args.inputs) + extra
    if args.command == "say":
        args.words = list(args.words) + extra
        n_avatar = len(args.words) - (args.text_file is None)
        if len(args.words) > 2 or n_avatar not in (0, 1):
            parser.error("say: give [AVATAR] TEXT, or [AVATAR] --text-file FILE")
        args.avatar = args.words[0] if n_avatar else None
        args.text = args.words[-1] if args.text_file is None and args.words else None
    if args.command in ("tts", "say") and (args.text is None) == (args.text_file is None):
        parser.error(f"{args.command}: give the text or --text-file (one of them)")
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s" if not args.verbose
                        else "%(levelname)s %(name)s: %(message)s", force=True)
    bars = _Bars(enabled=not args.quiet and sys.stderr.isatty())
    share_heaps()
    try:
        return args.func(args, bars)
    except InputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: internal error ({exc.__class__.__name__}: {exc}); "
              "run again with --debug and report the traceback", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        bars.close()
