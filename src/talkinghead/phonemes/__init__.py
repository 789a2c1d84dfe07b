"""Phoneme inventory: one set of IPA keys that every source maps into, and key -> viseme.

The rest of the pipeline speaks only in inventory keys (``INVENTORY``, 56 keys: English
phonemes with its five diphthongs and affricates as single keys, the extras Chinese needs, and
``SILENCE``). Each key has a :class:`Viseme`, the mouth-shape class used when a phoneme was not
seen during enrollment. Sources and their entry points:

* ARPAbet from pocketsphinx / cmudict: :func:`from_arpabet`, and back with :func:`to_arpabet`
  (nearest English phones for every key, e.g. to add Chinese words to pocketsphinx).
* piper's per-character IPA: :func:`tokenize_ipa` (covers every index; stress marks join the
  following phoneme, diacritics the preceding one).
* whole espeak-ng phoneme names (synthesis events, ``text_to_ipa``): :func:`from_espeak`.
* pypinyin initials and finals: :func:`from_pinyin`.

A source symbol of several sounds (Chinese finals like 'iɛ', English 'aɪə') maps to a tuple of
keys; the speech stage splits that symbol's time span evenly between them. All tables are
data (see the modules); no function here does I/O.
"""

from .arpabet import from_arpabet, to_arpabet
from .inventory import INVENTORY, SILENCE, PhonemeInfo, Viseme, viseme_of
from .ipa import IpaToken, from_espeak, tokenize_ipa
from .pinyin import from_pinyin

__all__ = [
    "INVENTORY",
    "SILENCE",
    "IpaToken",
    "PhonemeInfo",
    "Viseme",
    "from_arpabet",
    "from_espeak",
    "from_pinyin",
    "tokenize_ipa",
    "to_arpabet",
    "viseme_of",
]
