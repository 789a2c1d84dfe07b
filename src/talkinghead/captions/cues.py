"""Timed words → caption cues: phrases cut at punctuation and pauses, wrapped into lines.

The rules are the ones subtitle style guides share (Netflix's, the BBC's):

* a cue holds at most :attr:`CaptionOptions.max_lines` lines of at most
  :attr:`CaptionOptions.max_chars` characters (a line holding Chinese: ``max_cjk_chars``, as a
  hanzi is about twice as wide as a Latin letter);
* a cue lasts from ``min_s`` to ``max_s`` and never less than its text takes to read at
  ``reading_cps`` characters a second (extended past its last word, never into the next cue);
* cues end at sentence ends and long pauses, and when full, preferably at a clause mark;
* lines break between words (Chinese: between characters), never before punctuation (a mark is
  part of the written form of the word before it, :attr:`talkinghead.text.Word.written`).

A cue shows the text as the user wrote it ("$12.50", not "twelve dollars fifty cents"); its start
and end are the spoken words', snapped outward to the frame grid (the frame that holds the first
word's start, the frame edge after the last word's end).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import InputError
from ..speech.types import TimedWord
from ..text.segment import CLOSING_MARKS, is_cjk
from ..timeline import frame_count

SHOW_MODES = ("none", "soft", "burn")
_SENTENCE_END = re.compile(rf"[.!?…。！？]+[{re.escape(CLOSING_MARKS)}]*$")
_CLAUSE_END = re.compile(rf"[,;:—–，、；：]+[{re.escape(CLOSING_MARKS)}]*$")
PAUSE_BREAK_S = 0.7  # a silence this long between words ends the cue (the speaker stopped)


@dataclass(frozen=True)
class CaptionOptions:
    """How captions are made and shown.

    Attributes:
        show: "none" (caption files only), "soft" (a subtitle track in the mp4, which players
            can switch on and off) or "burn" (drawn into the frames, below the face).
        recognise: a recording dubbed without its transcript is captioned with the English words
            speech recognition hears (marked as recognised); False refuses to caption it.
        max_chars: characters a line holds (42: the broadcast and streaming standard).
        max_cjk_chars: characters a line holding Chinese holds (16: the streaming standard for
            Simplified Chinese; a hanzi is about twice as wide as a letter).
        max_lines: lines a cue holds.
        min_s: shortest cue, s.
        max_s: longest cue, s.
        reading_cps: reading speed, characters/s: a cue stays up at least its length over this.
    """

    show: str = "none"
    recognise: bool = False
    max_chars: int = 42
    max_cjk_chars: int = 16
    max_lines: int = 2
    min_s: float = 1.0
    max_s: float = 7.0
    reading_cps: float = 17.0

    def __post_init__(self) -> None:
        if self.show not in SHOW_MODES:
            raise InputError(f"unknown captions mode {self.show!r}", "use " + ", ".join(SHOW_MODES))
        if self.max_chars < 8 or self.max_cjk_chars < 4 or self.max_lines < 1:
            raise InputError("caption lines must hold at least 8 characters (4 hanzi) and a cue one line",
                             "raise max_chars / max_cjk_chars / max_lines")
        if not 0 < self.min_s <= self.max_s or self.reading_cps <= 0:
            raise InputError(f"caption durations {self.min_s:g}…{self.max_s:g} s are not a range",
                             "give 0 < min_s ≤ max_s and a positive reading speed")


@dataclass(frozen=True)
class Cue:
    """One caption on screen.

    Attributes:
        start: when it appears, s (on the frame grid).
        end: when it goes, s (> start).
        lines: its lines of text, top to bottom (1 … max_lines).
    """

    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines joined by a newline."""
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Captions:
    """The captions of one video.

    Attributes:
        cues: in order, not overlapping.
        language: ISO 639-2 code ("eng", "zho", "und" when not known), for the subtitle track.
        recognised: the words were heard by speech recognition, not given: they may be wrong.
    """

    cues: tuple[Cue, ...]
    language: str = "und"
    recognised: bool = False

    @property
    def title(self) -> str:
        """The subtitle track's name: its language, and whether it was recognised."""
        name = {"eng": "English", "zho": "Chinese"}.get(self.language, self.language)
        return f"{name} (recognised automatically)" if self.recognised else name


@dataclass(frozen=True)
class _Unit:
    """A written token on the time line: one or more spoken words read from it."""

    text: str
    start: float
    end: float


# espeak-ng / ISO 639-1 language → ISO 639-2, what an mp4 subtitle track is tagged with.
_ISO639_2 = {"en": "eng", "zh": "zho", "cmn": "zho", "yue": "yue", "fr": "fra", "de": "deu", "es": "spa",
             "it": "ita", "pt": "por", "ru": "rus", "ja": "jpn", "ko": "kor", "nl": "nld", "pl": "pol"}


def language_of(words: Sequence[TimedWord], source: str = "") -> str:
    """ISO 639-2 code of spoken words: Chinese when most written letters are hanzi, else the
    voice's language where ``source`` (:attr:`Speech.source`) names one espeak-ng voice, else
    English (piper's voice, the aligner and the recogniser read English)."""
    letters = [c for w in words for c in (w.written or w.text) if c.isalpha()]
    if letters and sum(map(is_cjk, letters)) > len(letters) / 2:
        return "zho"
    voices = [s.split(":", 1)[1] for s in source.split(",") if s.startswith("espeak:")]
    if len(voices) == 1 and "piper" not in source:
        return _ISO639_2.get(voices[0].split("-")[0].lower(), "und")
    return "eng"


def width(text: str) -> int:
    """Display width in Latin-character columns: a hanzi or full-width mark counts 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def _cjk_edge(a: str, b: str) -> bool:
    """Whether ``a`` then ``b`` join without a space: Chinese on one side of the join and no Latin
    word on the other ("2024年", "书。", but "Hello 世界")."""
    if not a or not b or not (_wide(a[-1]) or _wide(b[0])):
        return False
    other = b[0] if _wide(a[-1]) else a[-1]
    return _wide(other) or not (other.isalpha() and other.isascii())


def join(pieces: Sequence[str]) -> str:
    """Written tokens as one line: spaces between words, none between Chinese characters."""
    out = ""
    for p in pieces:
        if out and not _cjk_edge(out, p):
            out += " "
        out += p
    return out


def _units(words: Sequence[TimedWord]) -> list[_Unit]:
    """Words grouped by the written token they were read from ("twelve dollars fifty" → "$12.50")."""
    units: list[_Unit] = []
    for w in words:
        shown = w.text if w.written is None else w.written
        if shown == "" and units:  # read from the token before: its span grows
            units[-1] = _Unit(units[-1].text, units[-1].start, max(units[-1].end, w.end))
        elif shown.strip():
            units.append(_Unit(" ".join(shown.split()), w.start, w.end))
    return units


def _fits(line: str, options: CaptionOptions) -> bool:
    """Whether ``line`` is within the line limit: characters, or for a line holding Chinese
    columns (a hanzi counts 2) against twice ``max_cjk_chars``."""
    if any(is_cjk(c) for c in line):
        return width(line) <= 2 * options.max_cjk_chars
    return len(line) <= options.max_chars


def wrap(pieces: Sequence[str], options: CaptionOptions) -> tuple[str, ...] | None:
    """``pieces`` (written tokens) as at most ``max_lines`` lines within the line limit, the
    lines as even as possible and preferring a break after a clause mark; None if they do not fit."""
    if not pieces:
        return ()
    if options.max_lines == 1 or len(pieces) == 1:
        line = join(pieces)
        return (line,) if _fits(line, options) else None
    whole = join(pieces)
    if _fits(whole, options):
        return (whole,)  # one line while it fits (the style guides' rule)
    best: tuple[float, tuple[str, ...]] | None = None
    for k in range(1, len(pieces)):
        head = join(pieces[:k])
        rest = wrap(pieces[k:], replace(options, max_lines=options.max_lines - 1))
        if rest is None or not _fits(head, options):
            continue
        lines = (head, *rest)
        widths = [width(x) for x in lines]
        cost = max(widths) - min(widths) - (8 if _CLAUSE_END.search(pieces[k - 1]) else 0)
        if best is None or cost < best[0]:
            best = (cost, lines)
    return None if best is None else best[1]


def make_captions(words: Sequence[TimedWord], fps: float, options: CaptionOptions = CaptionOptions(),
                  language: str = "und", recognised: bool = False, duration: float | None = None) -> Captions:
    """Cue the spoken ``words`` (their written forms where known).

    Args:
        words: the words in order, timed in s from the start of the video.
        fps: the video's frame rate, frames/s: cue times are snapped outward to its frames.
        options: line and duration limits.
        language: ISO 639-2 code of the words.
        recognised: the words were recognised, not given.
        duration: the video's length, s: no cue runs past it.

    Returns:
        The captions (no cues when there are no words).
    """
    def full(group: list[_Unit], unit: _Unit) -> bool:
        """Whether ``unit`` would overflow ``group`` (a non-empty cue): too long, or no wrap."""
        return bool(group) and (unit.end - group[0].start > options.max_s
                                or wrap([u.text for u in [*group, unit]], options) is None)

    units = _units(words)
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for i, unit in enumerate(units):
        if full(current, unit):
            # End at the last clause mark in the second half of the cue, else here.
            cut = next((k for k in range(len(current) - 1, len(current) // 2 - 1, -1)
                        if _CLAUSE_END.search(current[k].text)), len(current) - 1) + 1
            groups.append(current[:cut])
            current = current[cut:]
            if full(current, unit):
                groups.append(current)
                current = []
        current.append(unit)
        nxt = units[i + 1] if i + 1 < len(units) else None
        if nxt is None or _SENTENCE_END.search(unit.text) or nxt.start - unit.end >= PAUSE_BREAK_S:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return Captions(_timed(groups, fps, options, duration), language, recognised)


def _timed(groups: list[list[_Unit]], fps: float, options: CaptionOptions,
           duration: float | None) -> tuple[Cue, ...]:
    """Cues of the groups of units: on the frame grid, long enough to read, not overlapping."""
    if duration is not None:  # the video's end: the end of its last frame
        duration = frame_count(duration, fps) / fps
    cues: list[Cue] = []
    starts = [math.floor(g[0].start * fps + 1e-6) / fps for g in groups]
    for i, group in enumerate(groups):
        lines = wrap([u.text for u in group], options) or (join([u.text for u in group]),)
        start = starts[i]
        end = math.ceil(group[-1].end * fps - 1e-6) / fps
        chars = sum(len(x) for x in lines)
        # Kept up for reading, but never into the next cue or past the video's end.
        end = max(end, start + max(options.min_s, chars / options.reading_cps))
        if i + 1 < len(groups):
            end = min(end, starts[i + 1])
        if duration is not None:
            end = min(end, duration)
        end = max(end, start + 1 / fps)
        cues.append(Cue(round(start, 6), round(end, 6), lines))
    return tuple(cues)
