"""TTS with espeak-ng: Chinese (voice 'cmn') and any other espeak language."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._espeak import DEFAULT_RATE_WPM, engine
from ..phonemes import from_espeak
from ..text import Phrase, Word
from .timeline import Span


def voices() -> list[str]:
    """espeak-ng voice file names available offline ('cmn', 'en-GB-x-rp', 'fr', …)."""
    return sorted(set(engine().voices().values()))


def voice_aliases() -> dict[str, str]:
    """Lower-case voice and language names ('en-gb', 'cmn') → the voice file name to load."""
    return {k.lower(): v for k, v in engine().voices().items()}


def check_voice(voice: str) -> None:
    """ValueError unless espeak-ng can load ``voice``."""
    engine().set_voice(voice)


def synthesize_phrase(phrase: Phrase, voice: str, rate: float, word_offset: int
                      ) -> tuple[np.ndarray, int, list[Span], list[tuple[Word, float, float]]]:
    """Speak one phrase with espeak-ng; same contract as the piper backend's ``synthesize_phrase``.

    espeak reports each phoneme's first sample and the character position of its word; a
    phoneme ends where the next begins. Events with an empty name are word ends and pauses.
    """
    eng = engine()
    audio, events = eng.synthesize(phrase.text, voice, round(DEFAULT_RATE_WPM * rate))
    sr = eng.sample_rate
    n = len(audio)
    char_to_word = _char_to_word(phrase)
    spans: list[Span] = []
    word_spans: dict[int, list[float]] = {}
    for i, ev in enumerate(events):
        t0 = ev.sample / sr
        t1 = (events[i + 1].sample if i + 1 < len(events) else n) / sr
        if t1 <= t0:
            continue
        keys = from_espeak(ev.name)
        word = char_to_word.get(ev.char - 1) if keys else None
        spans.append(Span(keys, t0, t1, ev.name, None if word is None else word_offset + word))
        if word is not None:
            ws = word_spans.setdefault(word, [t0, t1])
            ws[0], ws[1] = min(ws[0], t0), max(ws[1], t1)
    spans, words = _fill_merged_words(phrase, spans, word_spans, word_offset)
    return audio, sr, spans, words


def _fill_merged_words(phrase: Phrase, spans: list[Span], word_spans: dict[int, list[float]],
                       word_offset: int) -> tuple[list[Span], list[tuple[Word, float, float]]]:
    """Give every phrase word a span, also those espeak read together with a neighbour.

    espeak reports one character position for a unit it reads as one word ('十五', '代码'):
    the words it did not report share the span of the reported word before them, evenly.
    """
    groups: list[list[int]] = []  # reported word, then the unreported ones after it
    for i in range(len(phrase.words)):
        if i in word_spans or not groups:
            groups.append([i])
        else:
            groups[-1].append(i)
    bounds: dict[int, tuple[float, float]] = {}
    for group in groups:
        if group[0] not in word_spans:
            continue  # nothing reported before these words: leave them untimed
        t0, t1 = word_spans[group[0]]
        step = (t1 - t0) / len(group)
        for k, wi in enumerate(group):
            bounds[wi] = (t0 + k * step, t0 + (k + 1) * step)
    relabelled = []
    for span in spans:
        if span.word is not None:
            mid = (span.start + span.end) / 2
            hit = next((wi for wi, (a, b) in bounds.items() if a <= mid < b), span.word - word_offset)
            span = Span(span.keys, span.start, span.end, span.source, word_offset + hit)
        relabelled.append(span)
    words = []
    carried: list[str] = []  # the written forms of words left untimed go to the next timed one
    sep = "" if phrase.lang == "zh" else " "
    for i, w in enumerate(phrase.words):
        if i not in bounds:
            carried += [w.written] if w.written else []
            continue
        if carried and w.written is not None:
            w = replace(w, written=sep.join([*carried, w.written] if w.written else carried))
        carried = []
        words.append((w, *bounds[i]))
    return relabelled, words


def _char_to_word(phrase: Phrase) -> dict[int, int]:
    """0-based character index in ``phrase.text`` → index of the word found there."""
    mapping: dict[int, int] = {}
    pos = 0
    lowered = phrase.text.lower()
    for wi, word in enumerate(phrase.words):
        at = lowered.find(word.text.lower(), pos)
        if at < 0:
            continue
        for c in range(at, at + len(word.text)):
            mapping[c] = wi
        pos = at + len(word.text)
    return mapping
