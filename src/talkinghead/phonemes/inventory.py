"""The inventory itself: IPA keys, their viseme classes and their nearest ARPAbet phones.

Everything else in this package maps *into* these keys. The table is the single source of
truth; ``INVENTORY`` and the ARPAbet column are derived from it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

SILENCE: str = "sil"
"""The key for silence, pauses and non-speech (breath, noise)."""


class Viseme(enum.Enum):
    """Mouth-shape classes. Phonemes in one class look alike on the lips.

    The value is a stable lower-case name, safe to write into avatar files.
    """

    # Rest: lips closed and relaxed, jaw up. Pauses and silence.
    SILENCE = "silence"
    # Lips pressed together (p b m): the one shape that must close fully.
    BILABIAL = "bilabial"
    # Lower lip tucked under the upper teeth (f v).
    LABIODENTAL = "labiodental"
    # Tongue tip visible between the teeth, mouth slightly open (θ ð).
    DENTAL = "dental"
    # Jaw nearly closed, lips neutral, tongue tip on the ridge (t d n l ɾ).
    ALVEOLAR = "alveolar"
    # Teeth close together, lips spread slightly (s z ts).
    SIBILANT = "sibilant"
    # Lips protruded / flared, teeth close (ʃ ʒ tʃ dʒ and the Chinese ɕ ʂ ʐ tɕ ʈʂ).
    POSTALVEOLAR = "postalveolar"
    # Articulated at the back: lips neutral, jaw half open, shaped by the next vowel
    # (k ɡ ŋ h x ʔ).
    VELAR = "velar"
    # Lips slightly rounded and pushed forward, narrow opening (ɹ ɚ).
    RHOTIC = "rhotic"
    # Tight lip rounding, small opening, brief (w ɥ).
    ROUNDED_GLIDE = "rounded_glide"
    # Jaw wide open, lips unrounded (a ɑ æ ʌ and the diphthongs aɪ aʊ, classed by their
    # first, dominant part).
    OPEN_VOWEL = "open_vowel"
    # Jaw half open, lips neutral (ɛ ə ɤ eɪ).
    MID_VOWEL = "mid_vowel"
    # Jaw nearly closed, lips spread (i ɪ ɨ j).
    SPREAD_VOWEL = "spread_vowel"
    # Lips rounded, opening from small (u y) to medium (o ɔ) (and oʊ ɔɪ).
    ROUNDED_VOWEL = "rounded_vowel"


@dataclass(frozen=True)
class PhonemeInfo:
    """One inventory key: its IPA spelling, viseme class and kind."""

    ipa: str
    viseme: Viseme
    kind: str  # "vowel" | "consonant" | "silence"


V = Viseme
# (key, viseme, kind, nearest pocketsphinx ARPAbet phones).
# English keys first (each the image of a CMU phone), then keys only Chinese needs.
# The ARPAbet column serves two purposes: the inverse of ``from_arpabet`` for English keys, and
# a best approximation for the rest, so that non-English words can be added to pocketsphinx's
# dictionary for forced alignment.
_TABLE: tuple[tuple[str, Viseme, str, tuple[str, ...]], ...] = (
    (SILENCE, V.SILENCE, "silence", ("SIL",)),
    # --- English consonants
    ("p", V.BILABIAL, "consonant", ("P",)),
    ("b", V.BILABIAL, "consonant", ("B",)),
    ("m", V.BILABIAL, "consonant", ("M",)),
    ("f", V.LABIODENTAL, "consonant", ("F",)),
    ("v", V.LABIODENTAL, "consonant", ("V",)),
    ("θ", V.DENTAL, "consonant", ("TH",)),
    ("ð", V.DENTAL, "consonant", ("DH",)),
    ("t", V.ALVEOLAR, "consonant", ("T",)),
    ("d", V.ALVEOLAR, "consonant", ("D",)),
    ("n", V.ALVEOLAR, "consonant", ("N",)),
    ("l", V.ALVEOLAR, "consonant", ("L",)),
    ("s", V.SIBILANT, "consonant", ("S",)),
    ("z", V.SIBILANT, "consonant", ("Z",)),
    ("ʃ", V.POSTALVEOLAR, "consonant", ("SH",)),
    ("ʒ", V.POSTALVEOLAR, "consonant", ("ZH",)),
    ("tʃ", V.POSTALVEOLAR, "consonant", ("CH",)),
    ("dʒ", V.POSTALVEOLAR, "consonant", ("JH",)),
    ("k", V.VELAR, "consonant", ("K",)),
    ("ɡ", V.VELAR, "consonant", ("G",)),  # U+0261, as espeak and piper write it
    ("ŋ", V.VELAR, "consonant", ("NG",)),
    ("h", V.VELAR, "consonant", ("HH",)),
    ("ɹ", V.RHOTIC, "consonant", ("R",)),
    ("j", V.SPREAD_VOWEL, "consonant", ("Y",)),
    ("w", V.ROUNDED_GLIDE, "consonant", ("W",)),
    # --- English vowels
    ("i", V.SPREAD_VOWEL, "vowel", ("IY",)),
    ("ɪ", V.SPREAD_VOWEL, "vowel", ("IH",)),
    ("ɛ", V.MID_VOWEL, "vowel", ("EH",)),
    ("æ", V.OPEN_VOWEL, "vowel", ("AE",)),
    ("ɑ", V.OPEN_VOWEL, "vowel", ("AA",)),
    ("ɔ", V.ROUNDED_VOWEL, "vowel", ("AO",)),
    ("ʊ", V.ROUNDED_VOWEL, "vowel", ("UH",)),
    ("u", V.ROUNDED_VOWEL, "vowel", ("UW",)),
    ("ʌ", V.OPEN_VOWEL, "vowel", ("AH",)),  # AH1/AH2; bare AH reads as ə (see arpabet.py)
    ("ə", V.MID_VOWEL, "vowel", ("AH",)),
    # One r-coloured key: CMU has only ER, and espeak en-us writes that same sound ɜː
    # ("bird" b ˈɜː d), so ɜ, ɝ and ɚ all land here and line up with pocketsphinx's ER.
    ("ɚ", V.RHOTIC, "vowel", ("ER",)),
    ("eɪ", V.MID_VOWEL, "vowel", ("EY",)),
    ("aɪ", V.OPEN_VOWEL, "vowel", ("AY",)),
    ("aʊ", V.OPEN_VOWEL, "vowel", ("AW",)),
    ("oʊ", V.ROUNDED_VOWEL, "vowel", ("OW",)),
    ("ɔɪ", V.ROUNDED_VOWEL, "vowel", ("OY",)),
    # --- English allophones espeak/piper emit that CMU has no phone for
    ("ɾ", V.ALVEOLAR, "consonant", ("T",)),  # flap in "butter": CMU spells it T
    ("ʔ", V.VELAR, "consonant", ("T",)),  # glottal stop in "button": CMU spells it T
    # --- Chinese (and other espeak languages)
    ("ts", V.SIBILANT, "consonant", ("T", "S")),  # pinyin z, c
    ("tɕ", V.POSTALVEOLAR, "consonant", ("CH",)),  # pinyin j, q
    ("ʈʂ", V.POSTALVEOLAR, "consonant", ("CH",)),  # pinyin zh, ch
    ("ɕ", V.POSTALVEOLAR, "consonant", ("SH",)),  # pinyin x
    ("ʂ", V.POSTALVEOLAR, "consonant", ("SH",)),  # pinyin sh
    ("ʐ", V.POSTALVEOLAR, "consonant", ("R",)),  # pinyin r: to English ears an R
    ("x", V.VELAR, "consonant", ("HH",)),  # pinyin h
    ("ɥ", V.ROUNDED_GLIDE, "consonant", ("Y", "W")),  # rounded palatal glide (yue)
    ("a", V.OPEN_VOWEL, "vowel", ("AA",)),  # central open a (pinyin a, an)
    ("o", V.ROUNDED_VOWEL, "vowel", ("AO",)),  # pinyin o (wo, bo)
    ("ɤ", V.MID_VOWEL, "vowel", ("AH",)),  # pinyin e (ge, he, che)
    ("y", V.ROUNDED_VOWEL, "vowel", ("Y", "UW")),  # pinyin ü: English hears "yoo"
    # Apical vowel of zi ci si / zhi chi shi ri: teeth close, lips spread.
    ("ɨ", V.SPREAD_VOWEL, "vowel", ("IH",)),
)
del V

INVENTORY: Mapping[str, PhonemeInfo] = MappingProxyType(
    {key: PhonemeInfo(key, viseme, kind) for key, viseme, kind, _ in _TABLE}
)
"""Every key the pipeline uses -> its :class:`PhonemeInfo` (read-only)."""

ARPABET_OF: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {key: arpa for key, _, _, arpa in _TABLE}
)
"""Key -> nearest pocketsphinx ARPAbet phones (no stress digits)."""


def viseme_of(ipa: str) -> Viseme:
    """The viseme class of inventory key ``ipa``.

    Raises ValueError naming the symbol when it is not a key (map source symbols first with
    :func:`from_arpabet`, :func:`from_espeak`, :func:`tokenize_ipa` or :func:`from_pinyin`).
    """
    try:
        return INVENTORY[ipa].viseme
    except KeyError:
        raise ValueError(f"not a phoneme inventory key: {ipa!r}") from None
