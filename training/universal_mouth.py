"""Train the universal audio→mouth model that ships in ``talkinghead/motion/universal.npz``.

    python training/universal_mouth.py extract   # track every training clip once (cached)
    python training/universal_mouth.py fit       # fit, report held-out scores, write the weights
    python training/universal_mouth.py fit --live  # the live weights (universal_live.npz)

Needs the test extra's torch (``pip install -e ".[test]"``). On 2 CPU cores ``extract`` takes
about 10 minutes (face tracking of ~16 minutes of video, cached under ~/.cache), ``fit`` about
2 minutes (``--live`` about 10); the same cache gives the same weights, bit for bit. Inference
needs numpy only.

``--live`` trains the weights a live stream uses (``motion/universal_live.npz``): the same
examples, each also as :class:`~talkinghead.motion.stream.MouthStream` normalises it (running
statistics of what a stream has heard so far: from cold, or for half of the GRID examples after
1–3 other training clips, a session's earlier replies), so the model reads a stream's first
second better. Streams read with the average of both weights (``motion.universal.stream_model``:
the live weights alone read GRID's fresh streams best, the wild clips' worse than the file
weights; starting the wild examples' streams at random points did not mend that).

Training data, all real speech with the speaker's real mouth for the same audio:

* GRID speaker s1 (``../shared/data/grid_s1``, 250 clips; Cooke, Barker, Cunningham & Shao 2006,
  CC BY 4.0).
* The wild clips of ``../shared/data/wild`` whose licence allows training a shipped model
  (INDEX.tsv's ``use`` column): EDTalk (Apache-2.0, tanshuai0219/EDTalk), LatentSync
  (Apache-2.0, bytedance/LatentSync), lip-reading-deeplearning (Apache-2.0,
  astorfi/lip-reading-deeplearning), LivePortrait (MIT, KwaiVGI/LivePortrait),
  Thin-Plate-Spline-Motion-Model (MIT, yoyo-nb/Thin-Plate-Spline-Motion-Model) and
  Talking-Face_PC-AVS (CC BY 4.0, Hangz-nju-cuhk/Talking-Face_PC-AVS). The MEAD clips
  (CC BY-NC-SA) are never used here: they stay for evaluation.

Each clip's speech is re-voiced in ``benchmarks/wild_sync.py`` by the *second* half of the same
clip, so ``fit`` trains on the first half of every wild clip only (and on all of GRID but the
held-out clips of ``benchmarks/dub_grid.py``): no benchmark target is ever seen in training.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CACHE = Path.home() / ".cache" / "talkinghead-train"
FPS = 25.0
TRAINABLE = ("Apache-2.0", "MIT", "CC-BY-4.0")

log = logging.getLogger("train")


def trainable_wild() -> list[Path]:
    """The wild clips whose licence allows training a shipped model (MEAD excluded)."""
    rows = list(csv.DictReader(open(SHARED / "wild" / "INDEX.tsv", encoding="utf-8"), delimiter="\t"))
    return [SHARED / "wild" / r["file"] for r in rows
            if r["license"].split()[0] in TRAINABLE and not r["use"].startswith("evaluation only")]


def all_wild() -> list[Path]:
    return sorted((SHARED / "wild").glob("*.mp4"))


def grid_clips() -> list[Path]:
    return sorted((SHARED / "grid_s1" / "video").glob("*.mp4"))


def track_clip(path: Path, fps: float = FPS) -> dict[str, np.ndarray]:
    """One clip → its per-frame canonical mouths (at ``fps``), their usability and its 16 kHz audio."""
    from talkinghead.face import MOUTH, build_template, build_track, track_frames
    from talkinghead.speech.features import FEATURE_RATE
    from talkinghead.video import load_audio, probe, read_frames
    from talkinghead.video.audio import resample

    info = probe(path)
    n = math.ceil(info.duration * fps)
    raw = track_frames((f.image for f in read_frames(path, fps)), n)
    out: dict[str, np.ndarray] = {"fps": np.array(fps)}
    if raw.found.any():
        template = build_template(raw.landmarks)
        track = build_track(raw, template, fps)
        usable = track.found & (np.nan_to_num(track.residual, nan=np.inf) <= 0.06)
        out.update(mouth=track.canonical[:, MOUTH].astype(np.float32), usable=usable)
    else:
        out.update(mouth=np.full((len(raw.found), len(MOUTH), 2), np.nan, np.float32),
                   usable=np.zeros(len(raw.found), bool))
    audio, rate = load_audio(path)
    out["audio"] = resample(audio, rate, FEATURE_RATE)
    return out


def extract(paths: list[Path], cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(paths):
        dest = cache / f"{p.parent.parent.name if p.parent.name == 'video' else 'wild'}__{p.stem}.npz"
        if dest.exists():
            continue
        data = track_clip(p)
        tmp = dest.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **data)
        tmp.replace(dest)
        log.info("%d/%d %s: %d frames, %.0f %% usable", i + 1, len(paths), p.name, len(data["usable"]),
                 100 * data["usable"].mean() if len(data["usable"]) else 0)


# ---------------------------------------------------------------------------------------------
# fit

HIDDEN = 256  # units in each of the two hidden layers
DROPOUT = 0.3  # on the hidden layers (0.1 on the input)
EPOCHS = 30
BATCH = 256
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-2
WILD_WEIGHT = 1.0  # the wild clips' frames weigh this much in all against GRID's
WARPS = 3  # augmented copies of each GRID clip (noise, band limit, room, vocal-tract warp)
WILD_COPIES = 8  # augmented copies of each wild clip's first half
WARP_RANGE = (0.85, 1.2)  # vocal-tract length perturbation factors drawn for the copies
SEED = 0


def held_out_grid() -> set[str]:
    """The GRID clips benchmarks/dub_grid.py re-voices (never trained on)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from dub_grid import ENROLL, held_out, split

    ids = sorted(p.stem for p in grid_clips())
    return set(held_out(split(ids, ENROLL, "spread")[1], 40))


def augment(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible other recording of the same speech: band-limited (2.5–7 kHz), with noise
    (SNR 12–35 dB), a little reverberation and another level."""
    from scipy.signal import butter, sosfilt

    from talkinghead.speech.features import FEATURE_RATE

    x = audio.astype(np.float64)
    cutoff = rng.uniform(2500, 7000)
    x = sosfilt(butter(6, cutoff, fs=FEATURE_RATE, output="sos"), x)
    if rng.random() < 0.5:  # a small room: exponentially decaying noise impulse response
        n = int(FEATURE_RATE * rng.uniform(0.05, 0.3))
        ir = rng.standard_normal(n) * np.exp(-np.arange(n) / (n / 5))
        ir[0] = 1.0 / rng.uniform(0.2, 0.6)
        x = np.convolve(x, ir / np.abs(ir).sum() * 4)[: len(x)]
    level = np.sqrt(np.mean(x ** 2)) + 1e-9
    snr = rng.uniform(12, 35)
    x = x + rng.standard_normal(len(x)) * level / 10 ** (snr / 20)
    return (x / (np.abs(x).max() + 1e-9) * rng.uniform(0.1, 0.9)).astype(np.float32)


class _Contexts:
    """Stands in for the model in a :class:`~talkinghead.motion.stream.MouthStream` and keeps the
    context features the stream hands it (one (1, F) row per video frame, in order)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []

    def apply(self, context: np.ndarray) -> np.ndarray:
        from talkinghead.motion.universal import DESCRIPTORS

        self.rows.append(context[0].astype(np.float32))
        return np.zeros((1, len(DESCRIPTORS)), np.float32)


def stream_context_features(audio: np.ndarray, fps: float, n_frames: int,
                            before: np.ndarray | None = None) -> np.ndarray:
    """(n,) 16 kHz audio → (n_frames, F) context features as a live stream reads them (running
    statistics), the stream having heard ``before`` first (cut to whole video frames)."""
    from talkinghead.motion.stream import MouthStream
    from talkinghead.speech.features import FEATURE_RATE

    contexts = _Contexts()
    stream = MouthStream(fps, contexts)
    skip = 0
    if before is not None:
        per_frame = FEATURE_RATE / fps
        skip = int(len(before) // per_frame)
        stream.push(before[: int(round(skip * per_frame))])
    stream.push(audio)
    stream.end()
    stream.pop()
    rows = np.array(contexts.rows[skip:skip + n_frames])
    return np.concatenate([rows, np.repeat(rows[-1:], n_frames - len(rows), axis=0)])  # frames past the sound


def clip_examples(data, lo: int, hi: int, audio: np.ndarray | None = None, warp: float = 1.0,
                  stream: bool = False, before: np.ndarray | None = None):
    """Frames lo:hi of a cached clip → (context features, normalised targets) of its usable
    frames: the person's range comes from these frames, the spectrum's normalisation from this
    audio alone (``audio`` replaces the clip's own, e.g. an augmented copy; ``warp``: see
    :func:`~talkinghead.motion.universal.log_mel_100hz`), or with ``stream`` from what a live
    stream has heard so far (``before``, then this audio; no warp)."""
    from talkinghead.motion.universal import context_features, describe, log_mel_100hz, person_range

    fps = float(data["fps"])
    mouth, usable = data["mouth"][lo:hi], data["usable"][lo:hi]
    if usable.sum() < 20:
        return None
    a0, a1 = int(lo / fps * 16000), int(hi / fps * 16000)
    audio = data["audio"][a0:a1] if audio is None else audio
    d = describe(mouth.astype(np.float64))
    ok = usable & ~np.isnan(d).any(axis=1)
    low, span = person_range(d[ok])
    if stream:
        x = stream_context_features(audio, fps, hi - lo, before)
    else:
        x = context_features(log_mel_100hz(audio, 16000, warp), fps, hi - lo)
    return x[ok], ((d - low) / span)[ok].astype(np.float32)


def load_sets(cache: Path, warps: int = WARPS, wild_copies: int = WILD_COPIES, live: bool = False):
    """(train, validation) lists of (name, x, y, weight-group). ``live``: every training example
    also as a stream reads it (half of GRID's after 1–3 earlier training clips), and validation as
    a fresh stream reads it."""
    rng = np.random.default_rng(SEED)
    session = np.random.default_rng(SEED + 1)  # the live draws, apart: the file examples stay as they were
    held = held_out_grid()
    trainable = {p.stem for p in trainable_wild()}
    train, val = [], []
    heard: list[np.ndarray] = []  # GRID training clips' sound so far: earlier replies of a session

    def add(name, data, lo, hi, group, audio=None, warp=1.0):
        ex = clip_examples(data, lo, hi, audio, warp)
        if ex is None:
            return False
        train.append((name, *ex, group))
        if live:
            before = None
            if group == "grid" and heard and session.random() < 0.5:
                before = np.concatenate([heard[i] for i in session.integers(0, len(heard), session.integers(1, 4))])
            train.append((name + "+stream", *clip_examples(data, lo, hi, audio, stream=True, before=before), group))
        return True

    for f in sorted([*cache.glob("grid_s1__*.npz"), *cache.glob("wild__*.npz")]):
        corpus, name = f.stem.split("__", 1)
        with np.load(f) as z:
            data = {k: z[k] for k in z.files}
        n = len(data["usable"])
        if corpus == "grid_s1":
            if name in held:
                ex = clip_examples(data, 0, n, stream=live)
                if ex is not None:
                    val.append(("grid/" + name, *ex, "grid"))
                continue
            if not add(name, data, 0, n, "grid"):
                continue
            for _ in range(warps):
                add(name + "+aug", data, 0, n, "grid", augment(data["audio"], rng), rng.uniform(*WARP_RANGE))
            heard.append(data["audio"])
        else:
            half = n // 2
            second = clip_examples(data, half, n, stream=live)
            if second is not None:
                val.append(("wild/" + name, *second, "wild"))
            if name not in trainable or not add(name, data, 0, half, "wild"):
                continue
            a1 = int(half / float(data["fps"]) * 16000)
            for _ in range(wild_copies):
                add(name + "+aug", data, 0, half, "wild", augment(data["audio"][:a1], rng), rng.uniform(*WARP_RANGE))
    return train, val


def fit_model(train, hidden: int = HIDDEN, dropout: float = DROPOUT, epochs: int = EPOCHS,
              wild_weight: float = WILD_WEIGHT):
    """Train the perceptron with torch (CPU, 2 threads, seeded) and return it as the numpy
    :class:`~talkinghead.motion.universal.UniversalModel`."""
    import torch

    from talkinghead.motion.universal import UniversalModel

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    x = np.concatenate([t[1] for t in train])
    y = np.concatenate([t[2] for t in train])
    group = np.concatenate([[t[3]] * len(t[1]) for t in train])
    w = np.ones(len(x))
    if (group == "wild").any():
        w[group == "wild"] = wild_weight * (group == "grid").sum() / (group == "wild").sum()
    mean, std = x.mean(0), x.std(0) + 1e-6
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    wt = torch.tensor(w / w.mean(), dtype=torch.float32)
    nn = torch.nn
    net = nn.Sequential(nn.Dropout(0.1), nn.Linear(x.shape[1], hidden), nn.GELU(approximate="tanh"),
                        nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.GELU(approximate="tanh"),
                        nn.Dropout(dropout), nn.Linear(hidden, y.shape[1]))
    opt = torch.optim.AdamW(net.parameters(), LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), BATCH):
            b = order[i:i + BATCH]
            loss = (wt[b, None] * (net(xt[b]) - yt[b]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        log.info("epoch %d/%d: loss %.4f", epoch + 1, epochs, loss.item())
    linears = [m for m in net if isinstance(m, nn.Linear)]
    layers = tuple((m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in linears)
    return UniversalModel(mean.astype(np.float32), std.astype(np.float32), layers)


def score(model, val) -> dict[str, float]:
    """Per validation clip: correlation of predicted and real opening (usable frames)."""
    from talkinghead.motion.universal import smooth

    out = {}
    for name, x, y, _ in val:
        p = smooth(model.apply(x))
        out[name] = float(np.corrcoef(p[:, 0], y[:, 0])[0, 1])
    return out


def fit(cache: Path, out: Path, live: bool = False) -> int:
    train, val = load_sets(cache, live=live)
    log.info("training clips %d (%d frames), validation clips %d", len(train),
             sum(len(t[1]) for t in train), len(val))
    model = fit_model(train)
    r = score(model, val)
    grid = [v for k, v in r.items() if k.startswith("grid/")]
    log.info("held-out GRID opening r (curve level): %.3f", np.mean(grid))
    for k, v in r.items():
        if k.startswith("wild/"):
            log.info("  %-50s %.3f", k, v)
    log.info("wild second halves: mean %.3f", np.mean([v for k, v in r.items() if k.startswith("wild/")]))
    model.save(out)
    log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=("extract", "fit"))
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--only", choices=("grid", "wild"), help="extract one corpus")
    ap.add_argument("--live", action="store_true", help="fit: the live weights (universal_live.npz)")
    ap.add_argument("--out", type=Path, help="default: the package's universal.npz or universal_live.npz")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    if args.step == "extract":
        if args.only != "wild":
            extract(grid_clips(), args.cache)
        if args.only != "grid":
            extract(all_wild(), args.cache)  # MEAD too: benchmarks read the same cache
        return 0
    from talkinghead.motion.universal import LIVE_WEIGHTS_FILE, WEIGHTS_FILE

    name = LIVE_WEIGHTS_FILE if args.live else WEIGHTS_FILE
    return fit(args.cache, args.out or ROOT / "src" / "talkinghead" / "motion" / name, args.live)


if __name__ == "__main__":
    raise SystemExit(main())
