"""Stage ``text``: user text -> :class:`Utterance` (normalised phrases, words, phonemes, pauses).

>>> from talkinghead.text import analyze
>>> u = analyze("It costs $12.50.", phonemize=False)
>>> u.text
'It costs twelve dollars and fifty cents'
"""

from .analyze import LANGS, analyze, phonemize_phrase
from .chinese import normalize_zh
from .english import normalize_en
from .segment import PAUSE_SECONDS, clean_text, split_language_runs
from .types import Pause, Phrase, Utterance, Word

__all__ = ["LANGS", "PAUSE_SECONDS", "Pause", "Phrase", "Utterance", "Word", "analyze",
           "clean_text", "normalize_en", "normalize_zh", "phonemize_phrase",
           "split_language_runs"]
