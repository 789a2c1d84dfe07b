"""Text → Speech: pick a backend per phrase, speak, join with pauses, time every phoneme."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..progress import ProgressHook, no_progress
from ..text import Pause, Phrase, Utterance, analyze
from ..video.audio import resample
from . import espeak_backend, piper_backend
from .timeline import Span, build_timeline
from .types import Speech, TimedWord

log = logging.getLogger(__name__)

MIN_RATE = 0.5  # speaking-rate multiplier, slowest allowed
MAX_RATE = 2.0  # fastest allowed
SAMPLE_RATE = 22050  # Hz; both bundled backends speak at this rate, other voices are resampled
CHINESE_ESPEAK_VOICE = "cmn"
_CHINESE_VOICES = {"cmn", "yue", "hak", "cmn-latn-pinyin"}


@dataclass(frozen=True)
class TTSOptions:
    """How to speak.

    Attributes:
        voice: None → the bundled piper voice 'joe' for English and espeak-ng 'cmn' for Chinese;
            a path to a piper ``.onnx`` voice; or an espeak-ng voice name ('en-gb', 'fr', 'cmn').
        rate: speaking-rate multiplier, 1.0 = the voice's normal pace (0.5 … 2.0).
        lang: "auto" (detect English/Chinese runs), "en" or "zh"; see :func:`talkinghead.text.analyze`.
    """

    voice: str | None = None
    rate: float = 1.0
    lang: str = "auto"

    def __post_init__(self) -> None:
        """Raise InputError for values no backend can honour (checked once, here)."""
        if not (MIN_RATE <= self.rate <= MAX_RATE):
            raise InputError(f"speaking rate {self.rate:g} is out of range",
                             f"use --rate between {MIN_RATE:g} and {MAX_RATE:g} (1 = normal)")
        if self.voice is not None:
            resolve_voice(self.voice)


@dataclass(frozen=True)
class _Voice:
    kind: str  # "piper" | "espeak"
    name: str  # .onnx path or espeak voice name
    lang: str  # language family it reads: "en", "zh", "fr", …


def resolve_voice(voice: str) -> _Voice:
    """Identify a user's --voice value, or raise InputError listing what exists."""
    if voice.lower().endswith(".onnx"):
        path = Path(voice)
        if not path.is_file():
            raise InputError(f"piper voice file '{voice}' does not exist", "check the path")
        if not Path(str(path) + ".json").is_file():
            raise InputError(f"piper voice '{voice}' has no config file '{voice}.json' beside it",
                             "download the voice's .onnx.json too")
        return _Voice("piper", str(path), piper_backend.voice_language(str(path)))
    available = espeak_backend.voices()
    name = espeak_backend.voice_aliases().get(voice.lower(), voice)
    try:
        espeak_backend.check_voice(name)  # espeak also takes language names not in its list
    except ValueError:
        raise InputError(
            f"unknown voice '{voice}'",
            "use a piper .onnx file or one of the espeak-ng voices: " + ", ".join(available)) from None
    lang = "zh" if name.lower() in _CHINESE_VOICES else name.split("-")[0].lower()
    return _Voice("espeak", name, lang)


def _voice_for(phrase: Phrase, chosen: _Voice | None) -> _Voice:
    """The voice that speaks ``phrase``: the user's if it can read the phrase's script."""
    if chosen is not None:
        phrase_is_zh = phrase.lang == "zh"
        if phrase_is_zh == (chosen.lang == "zh"):
            return chosen
    if phrase.lang == "zh":
        return _Voice("espeak", CHINESE_ESPEAK_VOICE, "zh")
    if phrase.lang == "en":
        return _Voice("piper", str(piper_backend.default_voice_path()), "en")
    return _Voice("espeak", phrase.lang, phrase.lang)


def synthesize(text: str | Utterance, options: TTSOptions = TTSOptions(),
               progress: ProgressHook = no_progress) -> Speech:
    """Speak ``text`` and time every phoneme.

    Args:
        text: raw text (normalised here with ``options.lang``) or an analysed Utterance.
        options: voice, rate and language.
        progress: called as ("speech", phrases spoken, phrases in all): once with 0 before the
            first phrase, then after each phrase (a phrase is at most a sentence or ~300
            characters, so a long text reports often).

    Returns:
        Speech with float32 mono audio and phonemes covering the whole audio.

    Raises:
        InputError: nothing speakable, unknown voice, rate out of range.
    """
    utterance = text if isinstance(text, Utterance) else analyze(text, lang=options.lang)
    chosen = resolve_voice(options.voice) if options.voice else None
    parts: list[np.ndarray] = []
    spans: list[Span] = []
    words: list[TimedWord] = []
    t = 0.0  # s, running position in the output
    used: set[str] = set()  # voices that spoke, for Speech.source
    n_phrases = len(utterance.phrases)
    done = 0
    progress("speech", done, n_phrases)
    for segment in utterance.segments:
        if isinstance(segment, Pause):
            seconds = segment.seconds / options.rate
            spans.append(Span((), t, t + seconds, segment.mark))
            parts.append(np.zeros(round(seconds * SAMPLE_RATE), np.float32))
            t += len(parts[-1]) / SAMPLE_RATE
            continue
        voice = _voice_for(segment, chosen)
        used.add(voice.name)
        backend = piper_backend if voice.kind == "piper" else espeak_backend
        audio, sr, phrase_spans, phrase_words = backend.synthesize_phrase(
            segment, voice.name, options.rate, len(words))
        audio = resample(audio, sr, SAMPLE_RATE)
        parts.append(audio)
        spans += [Span(s.keys, s.start + t, s.end + t, s.source, s.word) for s in phrase_spans]
        words += [TimedWord(w.text, a + t, b + t, w.written) for w, a, b in phrase_words]
        t += len(audio) / SAMPLE_RATE
        done += 1
        progress("speech", done, n_phrases)
    audio = np.concatenate(parts).astype(np.float32)
    duration = len(audio) / SAMPLE_RATE
    sources = sorted(used)
    source = ",".join(("piper:" + Path(s).stem) if s.endswith(".onnx") else "espeak:" + s
                      for s in sources)
    return Speech(audio, SAMPLE_RATE, build_timeline(spans, duration), tuple(words), source,
                  {"text": utterance.original, "spoken": utterance.text})
