"""pypinyin initials and finals -> inventory keys."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

# Initials. Aspiration (b/p, d/t, g/k, z/c, zh/ch, j/q) does not change the mouth, but the
# English keys keep the voiced/voiceless letters apart anyway so they line up with ARPAbet.
_INITIALS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "": (), "b": ("b",), "p": ("p",), "m": ("m",), "f": ("f",),
    "d": ("d",), "t": ("t",), "n": ("n",), "l": ("l",),
    "g": ("ɡ",), "k": ("k",), "h": ("x",),
    "j": ("tɕ",), "q": ("tɕ",), "x": ("ɕ",),
    "zh": ("ʈʂ",), "ch": ("ʈʂ",), "sh": ("ʂ",), "r": ("ʐ",),
    "z": ("ts",), "c": ("ts",), "s": ("s",),
    # y and w are spelling (pypinyin strict=False): the medial i/u/ü of the final is the sound.
    "y": (), "w": (),
})

# Finals in pypinyin's strict spelling ('v' for ü). A final of several sounds is several keys;
# the speech stage splits the syllable's time between them. Medials are written as vowels
# (i u y), as espeak writes them ('iɛ', 'uo', 'yɛ').
_FINALS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "a": ("a",), "o": ("o",), "e": ("ɤ",), "ê": ("ɛ",), "i": ("i",), "u": ("u",),
    "v": ("y",), "er": ("ɚ",),
    "ai": ("aɪ",), "ei": ("eɪ",), "ao": ("aʊ",), "ou": ("oʊ",),
    "an": ("a", "n"), "en": ("ə", "n"), "ang": ("ɑ", "ŋ"), "eng": ("ə", "ŋ"),
    "ong": ("ʊ", "ŋ"),
    "ia": ("i", "a"), "ie": ("i", "ɛ"), "iao": ("i", "aʊ"), "iou": ("i", "oʊ"),
    "ian": ("i", "ɛ", "n"), "in": ("i", "n"), "iang": ("i", "ɑ", "ŋ"), "ing": ("i", "ŋ"),
    "iong": ("i", "ʊ", "ŋ"),
    "ua": ("u", "a"), "uo": ("u", "o"), "uai": ("u", "aɪ"), "uei": ("u", "eɪ"),
    "uan": ("u", "a", "n"), "uen": ("u", "ə", "n"), "uang": ("u", "ɑ", "ŋ"),
    "ueng": ("u", "ə", "ŋ"),
    "ve": ("y", "ɛ"), "van": ("y", "ɛ", "n"), "vn": ("y", "n"),
    # syllabic nasals of interjections (嗯 n, 呣 m, 哼 hng)
    "m": ("m",), "n": ("n",), "ng": ("ŋ",),
})

# pypinyin's non-strict contractions -> strict finals.
_CONTRACTED: Mapping[str, str] = MappingProxyType({"iu": "iou", "ui": "uei", "un": "uen"})

# Finals after these initials are their apical vowel when spelt 'i' (zi, zhi, ri).
_APICAL_AFTER = frozenset({"z", "c", "s", "zh", "ch", "sh", "r"})
# After these, a written 'u' is ü (ju, qun, xuan, yue).
_U_IS_V_AFTER = frozenset({"j", "q", "x", "y"})


def _normalise_final(final: str) -> str:
    """Lower case, 'ü' -> 'v', tone digits and tone diacritics removed."""
    s = unicodedata.normalize("NFD", final.strip().lower())
    s = s.replace("u\u0308", "v")  # ü (kept apart from the tone marks stripped below)
    s = s.replace("e\u0302", "ê")
    return "".join(c for c in s if not c.isdigit() and unicodedata.category(c) != "Mn")


def _strict_final(initial: str, final: str) -> str:
    """Rewrite a final pypinyin spelt after ``initial`` into its strict form."""
    if initial in _U_IS_V_AFTER and final.startswith("u"):
        final = "v" + final[1:]  # ju -> jv, yuan -> yvan, yun -> yvn
    if initial == "y" and not final.startswith(("i", "v")):
        final = "i" + final  # ya -> ia, ye -> ie, you -> iou, yong -> iong
    if initial == "w" and not final.startswith("u"):
        final = "u" + final  # wa -> ua, wo -> uo, wei -> uei, wen -> uen
    return _CONTRACTED.get(final, final)


def from_pinyin(initial: str, final: str) -> tuple[str, ...]:
    """Inventory keys for one syllable given as pypinyin initial and final.

    Accepts both pypinyin spellings (``strict=True``/``False``: 'y'/'w' initials, 'iu', 'ui',
    'un', 'ju'), 'v' or 'ü', and tone digits or tone marks on the final. 'i' after z c s zh ch
    sh r is the apical vowel 'ɨ'. An erhua final ('huar' -> 'uar') gets a trailing 'ɚ'.
    ('', '') -- pypinyin strict's answer for a bare nasal interjection such as 嗯 -- gives 'n'.
    Examples: ``('zh', 'ong') -> ('ʈʂ', 'ʊ', 'ŋ')``, ``('', 'er') -> ('ɚ',)``.
    Raises ValueError on an unknown initial or final.
    """
    ini = initial.strip().lower()
    if ini not in _INITIALS:
        raise ValueError(f"unknown pinyin initial: {initial!r}")
    fin = _normalise_final(final)
    if not fin:
        if ini in ("", "h"):  # strict pypinyin gives no final for 嗯/呣 (n, m) and hng
            return _INITIALS[ini] + ("n",)
        raise ValueError(f"pinyin initial {initial!r} without a final")
    fin = _strict_final(ini, fin)
    erhua = fin.endswith("r") and fin != "er"
    if erhua:
        fin = _strict_final(ini, fin[:-1])
    if fin == "i" and ini in _APICAL_AFTER:
        keys: tuple[str, ...] = ("ɨ",)
    else:
        try:
            keys = _FINALS[fin]
        except KeyError:
            raise ValueError(f"unknown pinyin final: {final!r} (after {initial!r})") from None
    return _INITIALS[ini] + keys + (("ɚ",) if erhua else ())
