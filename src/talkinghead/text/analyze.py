"""The text stage's entry point: any text -> :class:`Utterance` (phrases, words, phonemes, pauses)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from ..errors import InputError
from .chinese import normalize_zh
from .english import normalize_en
from .segment import (
    PARAGRAPH_MARK,
    PAUSE_SECONDS,
    chunks,
    clean_text,
    is_cjk,
    segment_hanzi,
    segment_spaced,
    split_language_runs,
    tidy,
)
from .types import Pause, Phrase, Utterance

logger = logging.getLogger(__name__)

LANGS = ("auto", "en", "zh")
# Other names people use for the two languages we normalise.
_LANG_ALIASES = {"en-us": "en", "en_us": "en", "english": "en", "eng": "en",
                 "cmn": "zh", "zh-cn": "zh", "zh_cn": "zh", "chinese": "zh", "mandarin": "zh"}
ENGLISH_VOICE = "en-us"  # espeak-ng voice for English G2P
_FIX_DEFAULT = "give a sentence in English or Chinese"


def _resolve_lang(lang: object) -> str:
    """"auto" | "en" | "zh" | an espeak-ng voice name; InputError otherwise."""
    allowed = '"auto", "en", "zh" or an espeak-ng voice name such as "fr" or "de"'
    if not isinstance(lang, str) or not lang.strip():
        raise InputError(f"unknown language {lang!r}", f"use {allowed}")
    key = lang.strip().lower()
    key = _LANG_ALIASES.get(key, key)
    if key in LANGS:
        return key
    try:
        from .._espeak import engine
        voices = {v.lower(): v for v in engine().voices()}
    except (ImportError, OSError, RuntimeError) as exc:  # no espeak-ng: only en/zh/auto
        logger.debug("espeak-ng unavailable for voice lookup: %s", exc)
        voices = {}
    if key in voices:
        return voices[key]
    raise InputError(f"unknown language {lang!r}", f"use {allowed}")


def _show(ch: str) -> str:
    """A character as a log message can show it: invisible ones as U+XXXX."""
    if unicodedata.category(ch)[0] in "CZ" or ch.isspace():
        return f"U+{ord(ch):04X}"
    return ch


def _nothing_to_speak(text: str, cleaned: str, dropped: Sequence[str], lang: str) -> InputError:
    """The most specific InputError for text that yielded no words."""
    if lang in LANGS:
        fix = _FIX_DEFAULT
        if lang == "en" and any(is_cjk(c) for c in dropped):
            fix = 'use lang="auto" or lang="zh" for Chinese text'
    else:
        fix = f"give a sentence in the language {lang!r}"
    shown = " ".join(_show(c) for c in dropped)
    if not text:
        why = "it was empty"
    elif not text.strip():
        why = "it was only whitespace"
    elif not re.search(r"\w", cleaned):
        rest = "".join(cleaned.split())
        if dropped and not rest:
            why = f"it contained only unsupported characters: {shown}"
        elif dropped:
            why = f"it contained only punctuation and unsupported characters: {shown}"
        else:
            why = f"it contained only punctuation and symbols: {rest[:40]}"
    else:
        why = "no words were left after normalisation"
    return InputError(f"the text has nothing to speak ({why})", fix)


def _normalize_other(text: str) -> str:
    """Languages other than en/zh: espeak-ng reads numbers itself; only tidy punctuation."""
    text = text.translate(str.maketrans({"，": ",", "。": ".", "！": "!", "？": "?", "；": ";",
                                         "：": ":", "、": ",", "（": "(", "）": ")"}))
    text = re.sub(r"\.{3,}", "…", text)
    text = re.sub(r"\s*(?:—+|–|--+)\s*", " — ", text)
    return re.sub(r"[ \t]+", " ", text)


def _phonemes_from_espeak(symbols: Sequence[str]) -> tuple[str, ...]:
    from ..phonemes import from_espeak

    return tuple(key for sym in symbols for key in from_espeak(sym))


def _phonemize_spaced(phrase: Phrase, voice: str) -> Phrase:
    from .._espeak import engine

    eng = engine()
    ipa = eng.text_to_ipa(phrase.text, voice)
    if len(ipa) != len(phrase.words):
        # espeak merged or split words ("well-known", numbers in other languages): G2P each
        # word alone so phonemes stay attached to the right word.
        logger.debug("espeak found %d words in %r, we have %d: phonemising word by word",
                     len(ipa), phrase.text, len(phrase.words))
        ipa = [[sym for part in eng.text_to_ipa(w.text, voice) for sym in part]
               for w in phrase.words]
    words = tuple(replace(w, phonemes=_phonemes_from_espeak(syms))
                  for w, syms in zip(phrase.words, ipa))
    return Phrase(phrase.lang, phrase.text, words)


def _phonemize_zh(phrase: Phrase) -> Phrase:
    from pypinyin import Style, lazy_pinyin

    from ..phonemes import from_pinyin

    def keep_length(chunk: str) -> list[str]:  # characters pypinyin cannot read: no phonemes
        return [""] * len(chunk)

    # The whole phrase at once, so pypinyin's phrase dictionary resolves polyphones in context.
    initials = lazy_pinyin(phrase.text, style=Style.INITIALS, strict=False, errors=keep_length)
    finals = lazy_pinyin(phrase.text, style=Style.FINALS, strict=False, errors=keep_length)
    if not len(initials) == len(finals) == len(phrase.words):
        initials = [lazy_pinyin(w.text, style=Style.INITIALS, strict=False,
                                errors=keep_length)[0] for w in phrase.words]
        finals = [lazy_pinyin(w.text, style=Style.FINALS, strict=False,
                              errors=keep_length)[0] for w in phrase.words]
    words = []
    for w, ini, fin in zip(phrase.words, initials, finals):
        keys: tuple[str, ...] = ()
        if fin:
            try:
                keys = tuple(from_pinyin(ini, fin))
            except ValueError as exc:  # a syllable the inventory cannot map: leave it empty
                logger.warning("no phonemes for %r (pinyin %r + %r): %s", w.text, ini, fin, exc)
        words.append(replace(w, phonemes=keys))
    return Phrase(phrase.lang, phrase.text, tuple(words))


def phonemize_phrase(phrase: Phrase) -> Phrase:
    """The phrase with :attr:`Word.phonemes` filled with inventory keys.

    English through espeak-ng ("en-us") and :func:`talkinghead.phonemes.from_espeak`;
    Chinese through pypinyin initials/finals and :func:`talkinghead.phonemes.from_pinyin`;
    other languages through espeak-ng with that voice.
    """
    if phrase.lang == "zh":
        return _phonemize_zh(phrase)
    return _phonemize_spaced(phrase, ENGLISH_VOICE if phrase.lang == "en" else phrase.lang)


def analyze(text: str, lang: str = "auto", phonemize: bool = True) -> Utterance:
    """Turn user text into an :class:`Utterance`: normalised phrases, words, phonemes, pauses.

    Steps: clean (unsupported characters such as emoji are removed, with one warning that
    lists them); cut paragraphs and language runs; normalise each run (:func:`normalize_en`,
    :func:`normalize_zh`); cut at punctuation into phrases and pauses (:data:`PAUSE_SECONDS`);
    tokenise words; phonemise.

    Args:
        text: any text: English, Chinese, mixed, with digits, punctuation, emoji.
        lang: "auto" (Chinese runs and English runs found automatically), "en" (all English;
            hanzi are dropped), "zh" (numbers read in Chinese unless they touch Latin
            letters; Latin words still make English phrases), or an espeak-ng voice name
            ("fr", "de", ...: one phrase language, no number normalisation).
        phonemize: fill :attr:`Word.phonemes`; False skips G2P (faster, no espeak-ng needed).

    Returns:
        The utterance.

    Raises:
        InputError: ``lang`` is unknown, or nothing speakable is left.
    """
    if not isinstance(text, str):
        raise InputError(f"the text must be a string, not {type(text).__name__}",
                         "pass the text to speak as a str")
    mode = _resolve_lang(lang)
    script = {"auto": "auto", "zh": "auto", "en": "en"}.get(mode, "any")
    cleaned, dropped = clean_text(text, script)

    segments: list[Phrase | Pause] = []
    for paragraph in re.split(r"\n[ \t]*\n\s*", cleaned):
        if segments:
            segments.append(Pause(PAUSE_SECONDS[PARAGRAPH_MARK], PARAGRAPH_MARK))
        if mode in ("auto", "zh"):
            runs = split_language_runs(paragraph, prefer="zh" if mode == "zh" else "en")
        else:
            runs = [(mode, paragraph.strip())] if paragraph.strip() else []
        for run_lang, run in runs:
            for piece in chunks(run, run_lang):
                if run_lang == "zh":
                    segments.extend(segment_hanzi(piece, normalize_zh(piece)))
                elif run_lang == "en":
                    segments.extend(segment_spaced(piece, normalize_en(piece), "en", normalize_en))
                else:
                    segments.extend(segment_spaced(piece, _normalize_other(piece), run_lang))
    segments = tidy(segments)
    if not any(isinstance(s, Phrase) for s in segments):
        raise _nothing_to_speak(text, cleaned, dropped, mode)
    if dropped:  # only now: when nothing is left, the error already lists them
        logger.warning("dropped unsupported characters: %s", " ".join(_show(c) for c in dropped))
    if phonemize:
        segments = [phonemize_phrase(s) if isinstance(s, Phrase) else s for s in segments]
    return Utterance(text, tuple(segments), dropped)
