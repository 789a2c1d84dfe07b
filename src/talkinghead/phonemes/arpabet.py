"""ARPAbet (pocketsphinx alignments, cmudict) <-> inventory keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .inventory import ARPABET_OF, SILENCE

# The 39 CMU phones (stress digits removed) -> keys.
_ARPABET: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "AA": ("ɑ",), "AE": ("æ",), "AO": ("ɔ",), "AW": ("aʊ",), "AY": ("aɪ",),
    # pocketsphinx alignments carry no stress, and unstressed AH (schwa) is by far the
    # commoner, so bare AH is ə; only a stressed AH1/AH2 is ʌ (see _STRESSED).
    "AH": ("ə",),
    "B": ("b",), "CH": ("tʃ",), "D": ("d",), "DH": ("ð",), "EH": ("ɛ",), "ER": ("ɚ",),
    "EY": ("eɪ",), "F": ("f",), "G": ("ɡ",), "HH": ("h",), "IH": ("ɪ",), "IY": ("i",),
    "JH": ("dʒ",), "K": ("k",), "L": ("l",), "M": ("m",), "N": ("n",), "NG": ("ŋ",),
    "OW": ("oʊ",), "OY": ("ɔɪ",), "P": ("p",), "R": ("ɹ",), "S": ("s",), "SH": ("ʃ",),
    "T": ("t",), "TH": ("θ",), "UH": ("ʊ",), "UW": ("u",), "V": ("v",), "W": ("w",),
    "Y": ("j",), "Z": ("z",), "ZH": ("ʒ",),
    # pocketsphinx's silence phone and the lower-case spellings other aligners use.
    "SIL": (SILENCE,), "SP": (SILENCE,), "SPN": (SILENCE,), "NSN": (SILENCE,),
})

# Phone + stress digit where the stress changes the key.
_STRESSED: Mapping[str, tuple[str, ...]] = MappingProxyType({"AH1": ("ʌ",), "AH2": ("ʌ",)})

# pocketsphinx fillers: +NSN+ (noise), +SPN+ (speech noise), +BREATH+, ... and <sil>, <s>, </s>.
# None has a mouth shape we could learn, so all read as silence.
_FILLER = re.compile(r"^(\+[^+]*\+|<[^>]*>|\[[^\]]*\])$")
_STRESS_DIGIT = re.compile(r"^([A-Z]+)[012]$")


def from_arpabet(symbol: str) -> tuple[str, ...]:
    """Inventory keys for one ARPAbet phone, e.g. ``'AY1' -> ('aɪ',)``, ``'SIL' -> ('sil',)``.

    Accepts stress digits 0/1/2 and either case; pocketsphinx fillers (``+NSN+``, ``+SPN+``,
    ``+BREATH+``, ``<sil>``, ``sp``) map to silence. Raises ValueError on anything else.
    """
    s = symbol.strip()
    if _FILLER.match(s):
        return (SILENCE,)
    s = s.upper()
    if s in _STRESSED:
        return _STRESSED[s]
    m = _STRESS_DIGIT.match(s)
    base = m.group(1) if m else s
    try:
        return _ARPABET[base]
    except KeyError:
        raise ValueError(f"unknown ARPAbet phone: {symbol!r}") from None


def to_arpabet(ipa: str) -> tuple[str, ...]:
    """pocketsphinx ARPAbet phones (no stress digits) for inventory key ``ipa``.

    English keys give their own phone (``'aɪ' -> ('AY',)``); keys English lacks give the
    nearest English phones (``'ɕ' -> ('SH',)``, ``'y' -> ('Y', 'UW')``), so that words in
    other languages can be added to pocketsphinx's dictionary. Raises ValueError for a non-key.
    """
    try:
        return ARPABET_OF[ipa]
    except KeyError:
        raise ValueError(f"not a phoneme inventory key: {ipa!r}") from None
