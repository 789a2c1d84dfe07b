"""Records the speech stage hands on: audio plus phonemes and words timed in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TimedPhoneme:
    """One phoneme on the audio's time line.

    Attributes:
        phoneme: inventory key (IPA, see :mod:`talkinghead.phonemes`), ``"sil"`` for silence.
        start: start time, s from the start of the audio.
        end: end time, s (> start).
        source: the symbol as the backend gave it ('ˈoʊ', 'AW', 'tɕh'), for tracing.
        word: index into :attr:`Speech.words` of the word it belongs to, None for silence.
    """

    phoneme: str
    start: float
    end: float
    source: str = ""
    word: int | None = None

    @property
    def duration(self) -> float:
        """Length, s."""
        return self.end - self.start


@dataclass(frozen=True)
class TimedWord:
    """One spoken word: its text and its span, s.

    Attributes:
        written: the text as written that this word opens (:attr:`talkinghead.text.Word.written`:
            "$12.50," for "twelve"; "" for the "dollars" after it); None when not known (a
            recognised word, a corpus alignment): captions then show ``text``.
    """

    text: str
    start: float
    end: float
    written: str | None = None


@dataclass(frozen=True, eq=False)
class Speech:
    """Audio with its timed phonemes and words.

    Attributes:
        audio: (n_samples,) float32 mono in [-1, 1].
        sample_rate: Hz.
        phonemes: contiguous, non-overlapping, covering [0, duration] (silence included);
            empty for a recording whose words are not known (``source`` "untimed": the mouth
            follows the sound alone).
        words: the spoken words in order (no silences).
        source: where timings came from: "piper:<voice>", "espeak:<voice>", "pocketsphinx",
            "silence", "untimed".
    """

    audio: np.ndarray
    sample_rate: int
    phonemes: tuple[TimedPhoneme, ...]
    words: tuple[TimedWord, ...]
    source: str
    metadata: dict = field(default_factory=dict)

    @property
    def timed(self) -> bool:
        """Whether the phonemes' timings are known (not a bare recording)."""
        return bool(self.phonemes)

    @property
    def duration(self) -> float:
        """Audio length, s."""
        return len(self.audio) / self.sample_rate

    def timings_dict(self) -> dict:
        """JSON-ready timings: {"duration", "sample_rate", "source", "words", "phonemes"}."""
        return {
            "duration": round(self.duration, 4),
            "sample_rate": self.sample_rate,
            "source": self.source,
            "words": [
                {"text": w.text, "start": round(w.start, 4), "end": round(w.end, 4),
                 **({"written": w.written} if w.written is not None else {})}
                for w in self.words
            ],
            "phonemes": [
                {"phoneme": p.phoneme, "start": round(p.start, 4), "end": round(p.end, 4),
                 "source": p.source, "word": p.word}
                for p in self.phonemes
            ],
        }
