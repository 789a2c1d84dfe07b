"""Records the text stage hands on: an :class:`Utterance` of :class:`Phrase` and :class:`Pause`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One spoken word.

    Attributes:
        text: the spoken form, one word ("forty", "two", "a.m."; Chinese: one hanzi).
        source: the original token it came from ("42", "$3.50", "3:15", "今").
        phonemes: inventory keys (see :mod:`talkinghead.phonemes`); () when not phonemised
            or when the G2P found nothing for the word.
        written: the text as the user wrote it that this word opens, punctuation around it
            included ("$12.50,", "“Hello", "2024年"): what captions show. "" when an earlier
            word opened the same token (the "dollars" of "$12.50"); None when not known.
    """

    text: str
    source: str
    phonemes: tuple[str, ...] = ()
    written: str | None = None


@dataclass(frozen=True)
class Phrase:
    """A stretch of speech in one language with no pause inside.

    Attributes:
        lang: "en", "zh", or another espeak-ng voice name.
        text: normalised text to hand the TTS (the words joined; no pause punctuation).
        words: the words, in order.
    """

    lang: str
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Pause:
    """Silence between phrases.

    Attributes:
        seconds: pause length, s.
        mark: the punctuation that caused it (",", ".", "。", "\\n\\n", ...).
    """

    seconds: float
    mark: str


@dataclass(frozen=True)
class Utterance:
    """Everything later stages need to speak and align one text.

    Attributes:
        original: the text as the user gave it.
        segments: phrases and pauses in order; never two pauses in a row, never a pause first
            or last.
        dropped: unsupported characters that were removed, unique, in order of first appearance.
    """

    original: str
    segments: tuple[Phrase | Pause, ...]
    dropped: tuple[str, ...] = ()

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """The phrases, in order (pauses left out)."""
        return tuple(s for s in self.segments if isinstance(s, Phrase))

    @property
    def pauses(self) -> tuple[Pause, ...]:
        """The pauses, in order."""
        return tuple(s for s in self.segments if isinstance(s, Pause))

    @property
    def words(self) -> tuple[Word, ...]:
        """All words of all phrases, in order."""
        return tuple(w for p in self.phrases for w in p.words)

    @property
    def text(self) -> str:
        """The spoken text: phrase texts joined by spaces."""
        return " ".join(p.text for p in self.phrases)
