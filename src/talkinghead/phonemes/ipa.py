"""espeak-ng / piper IPA -> inventory keys.

Two entry points: :func:`tokenize_ipa` for piper's per-character sequences (it must account for
every character, since piper times each one), and :func:`from_espeak` for the whole phoneme
names espeak-ng reports ('ˈoʊ', 'tɕh', 's.', 'ˈiɛ5').
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from .inventory import INVENTORY


def _nfd_keys(table: dict[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    """Index a table by the NFD form of its symbols: piper hands us NFD, espeak mostly NFC."""
    return MappingProxyType({unicodedata.normalize("NFD", k): v for k, v in table.items()})


# One IPA letter -> keys. Covers every letter in piper's phoneme_id_map; sounds that English
# and Chinese lack go to the key whose mouth shape is nearest (place of articulation and lip
# rounding matter, voicing and nasality do not).
_CHARS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    # plain Latin letters
    "a": ("a",), "b": ("b",), "c": ("k",), "d": ("d",), "e": ("ɛ",), "f": ("f",),
    "g": ("ɡ",), "h": ("h",), "i": ("i",), "j": ("j",), "k": ("k",), "l": ("l",),
    "m": ("m",), "n": ("n",), "o": ("o",), "p": ("p",), "q": ("k",), "r": ("ɹ",),
    "s": ("s",), "t": ("t",), "u": ("u",), "v": ("v",), "w": ("w",), "x": ("x",),
    "y": ("y",), "z": ("z",),
    # vowels
    "æ": ("æ",), "ɐ": ("ə",), "ɑ": ("ɑ",), "ɒ": ("ɑ",), "ɔ": ("ɔ",), "ɘ": ("ə",),
    "ə": ("ə",), "ɚ": ("ɚ",), "ɛ": ("ɛ",), "ε": ("ɛ",),  # Greek epsilon look-alike
    "ɜ": ("ɚ",), "ɝ": ("ɚ",),  # en-us ɜː is CMU's ER; see inventory.py
    "ɞ": ("ɔ",), "ɤ": ("ɤ",), "ɨ": ("ɨ",), "ɪ": ("ɪ",), "ᵻ": ("ɪ",), "ɯ": ("ɨ",),
    "ɵ": ("o",), "ɶ": ("ɔ",), "ʉ": ("u",), "ʊ": ("ʊ",), "ʌ": ("ʌ",), "ʏ": ("y",),
    "ø": ("o",), "œ": ("ɔ",),
    # consonants
    "ç": ("h",), "ð": ("ð",), "ħ": ("h",), "ŋ": ("ŋ",), "ɓ": ("b",), "ɕ": ("ɕ",),
    "ɖ": ("d",), "ɗ": ("d",), "ɟ": ("d",), "ɠ": ("ɡ",), "ɡ": ("ɡ",), "ɢ": ("ɡ",),
    "ɣ": ("x",), "ɥ": ("ɥ",), "ɦ": ("h",), "ɧ": ("ʃ",), "ɫ": ("l",), "ɬ": ("l",),
    "ɭ": ("l",), "ɮ": ("l",), "ɰ": ("x",), "ɱ": ("v",), "ɲ": ("n",), "ɳ": ("n",),
    "ɴ": ("ŋ",), "ɸ": ("f",), "β": ("v",), "ɹ": ("ɹ",), "ɺ": ("l",), "ɻ": ("ɹ",),
    "ɽ": ("ɾ",), "ɾ": ("ɾ",), "ʀ": ("x",), "ʁ": ("x",), "ʂ": ("ʂ",), "ʃ": ("ʃ",),
    "ʄ": ("d",), "ʈ": ("t",), "ʋ": ("v",), "ʍ": ("w",), "ʎ": ("l",), "ʐ": ("ʐ",),
    "ʑ": ("ɕ",), "ʒ": ("ʒ",), "ʔ": ("ʔ",), "ʡ": ("ʔ",), "ʕ": ("h",), "ʢ": ("h",),
    "ʙ": ("b",), "ʛ": ("ɡ",), "ʜ": ("h",), "ʝ": ("j",), "ʟ": ("l",), "θ": ("θ",),
    "χ": ("x",), "ⱱ": ("v",),
    # clicks: the lips or tongue tip close, as for the matching stop
    "ʘ": ("p",), "ǂ": ("t",), "ǃ": ("t",),
})

# Multi-letter units that are one inventory key. Matched greedily (longest first) in piper's
# character stream. Only units that cannot be two English phonemes in a row: "ts" is left out
# because English "cats" is t + s.
_UNITS: Mapping[str, tuple[str, ...]] = _nfd_keys({
    "eɪ": ("eɪ",), "aɪ": ("aɪ",), "aʊ": ("aʊ",), "oʊ": ("oʊ",), "ɔɪ": ("ɔɪ",),
    "əʊ": ("oʊ",),  # British spelling of oʊ (espeak switches to en-gb inside Chinese)
    "tʃ": ("tʃ",), "dʒ": ("dʒ",), "tɕ": ("tɕ",), "ʈʂ": ("ʈʂ",), "dʑ": ("tɕ",),
})
_MAX_UNIT = max(len(u) for u in _UNITS)

# Letter + diacritic combinations whose diacritic changes the key; every other diacritic
# (length, aspiration, syllabicity, nasalisation, palatalisation) leaves the mouth alone.
_MODIFIED: Mapping[str, tuple[str, ...]] = _nfd_keys({
    "ə˞": ("ɚ",), "ɜ˞": ("ɚ",),  # rhotic hook
    "i̪": ("ɨ",),  # espeak cmn: apical vowel after s, z, c
    "ç": ("h",),  # c + cedilla in NFD
})
_SIGNIFICANT_MODIFIERS = frozenset("˞\u032a\u0327")

_PREFIX = frozenset("ˈˌ")  # stress: belongs to the following phoneme
_SUFFIX = frozenset("ːˑʰ˞ʲˤʷˠⁿˡ")  # plus every combining mark (checked by category)
_PAUSE = frozenset(",.!?;:()…—–¡¿|‖ǀǁ，。！？；：、（）")
_SPACE = frozenset(" \t\n\r\u00a0\u3000")
# Not sounds and not pauses: piper's ^ $ _ markers, quotes, hyphen, digits (tone numbers in some
# espeak languages), intonation arrows, '#'.
_MARK = frozenset("^$_#\"'-↓↑→↗↘0123456789")

# Whole espeak-ng phoneme names (stress, length and tone removed) that the letter-by-letter
# reading would get wrong; the rest ('ˈaɪɚ', 'n̩', 'ɔːɹ', 'ˈiɛ', 'uo', 'yɛ') fall through to it.
_ESPEAK: Mapping[str, tuple[str, ...]] = _nfd_keys({
    # espeak cmn writes aspiration as a plain 'h' after the stop; it does not change the mouth
    "ph": ("p",), "th": ("t",), "kh": ("k",), "ts": ("ts",), "tsh": ("ts",),
    "tɕh": ("tɕ",), "tʃh": ("tʃ",),
    # ... and retroflexion as '.' after the letter
    "s.": ("ʂ",), "z.": ("ʐ",), "ts.": ("ʈʂ",), "ts.h": ("ʈʂ",), "tʂ": ("ʈʂ",),
    "tʂh": ("ʈʂ",), "i.": ("ɨ",), "i̪": ("ɨ",),
    "ər": ("ɚ",), "o-": ("ɤ",),  # o- is pinyin e (ge, ke, che)
    # Chinese diphthongs/finals written with plain vowel letters
    "ai": ("aɪ",), "ei": ("eɪ",), "au": ("aʊ",), "ɑu": ("aʊ",), "ou": ("oʊ",),
    "iau": ("i", "aʊ"), "iɑu": ("i", "aʊ"), "iou": ("i", "oʊ"),
    "uai": ("u", "aɪ"), "uei": ("u", "eɪ"),
    "onɡ": ("ʊ", "ŋ"), "ong": ("ʊ", "ŋ"),
})
_STRIP = _PREFIX | frozenset("ːˑ0123456789")
_TONE_MARK = "ɜ"  # espeak cmn appends it to some toned vowels ('ˈiɜ', 'ˈiɛɜ')


@dataclass(frozen=True)
class IpaToken:
    """One token of an IPA character sequence.

    ``start``/``stop`` index the input sequence (stop exclusive). ``keys`` are inventory keys
    (empty for everything but phonemes). ``kind`` is "phoneme", "space", "pause" (punctuation)
    or "mark" (piper's ^ $ _ markers, stray stress marks, anything else without a sound).
    """

    start: int
    stop: int
    keys: tuple[str, ...]
    kind: str


def _is_suffix(c: str) -> bool:
    """Length marks and diacritics: they modify the preceding letter."""
    if c in _SUFFIX:
        return True
    # Any other combining mark or modifier letter too (ʷ, ̃ ...), unless it is a sound itself.
    return (len(c) == 1 and unicodedata.category(c) in ("Mn", "Me", "Lm")
            and c not in _PREFIX and c not in _CHARS)


def _modified_keys(base: tuple[str, ...], text: str, modifiers: str) -> tuple[str, ...]:
    """Keys of letter(s) ``text`` followed by ``modifiers``: the few diacritics that matter."""
    significant = "".join(m for m in modifiers if m in _SIGNIFICANT_MODIFIERS)
    if significant:
        combined = unicodedata.normalize("NFD", text + significant)
        if combined in _MODIFIED:
            return _MODIFIED[combined]
    return base


def _other_kind(c: str) -> str | None:
    """The token kind of a non-phoneme element, or None if it is not one."""
    if c in _SPACE:
        return "space"
    if c in _PAUSE:
        return "pause"
    if c in _MARK or c == "":
        return "mark"
    if len(c) == 1:
        category = unicodedata.category(c)
        if category == "Zs":
            return "space"
        if category in ("Po", "Ps", "Pe"):
            return "pause"
        if category[0] in "PSC" or category == "Nd":
            return "mark"
    return None


def tokenize_ipa(chars: Sequence[str]) -> list[IpaToken]:
    """Tokens for piper's per-character IPA sequence (or any IPA string), covering every index.

    Multi-letter phonemes (oʊ aɪ aʊ eɪ ɔɪ tʃ dʒ ...) are matched greedily, longest first.
    Stress marks (ˈ ˌ) join the following phoneme's token; length marks and diacritics
    (ː, ʰ, ˞, combining marks) join the preceding one's. The tokens' ranges concatenate to
    ``range(len(chars))``, so piper's per-character durations can be summed per token.
    An element longer than one character is read as a whole espeak phoneme name.
    Raises ValueError naming an element that is none of phoneme, space, pause or mark.
    """
    tokens: list[IpaToken] = []
    prefix_start: int | None = None  # first index of pending stress marks
    # The last phoneme token's letters and modifiers, to extend it with a following diacritic.
    last_text, last_mods, last_base = "", "", ()
    n = len(chars)
    i = 0

    def flush_prefix(upto: int) -> None:
        nonlocal prefix_start
        if prefix_start is not None:
            tokens.append(IpaToken(prefix_start, upto, (), "mark"))
            prefix_start = None

    while i < n:
        c = chars[i]
        if c in _PREFIX:
            if prefix_start is None:
                prefix_start = i
            i += 1
            continue
        if _is_suffix(c):
            last = tokens[-1] if tokens else None
            if prefix_start is None and last is not None and last.kind == "phoneme":
                last_mods += c
                keys = _modified_keys(last_base, last_text, last_mods)
                tokens[-1] = IpaToken(last.start, i + 1, keys, "phoneme")
            else:  # nothing to attach to: harmless, keep the index covered
                flush_prefix(i)
                tokens.append(IpaToken(i, i + 1, (), "mark"))
            i += 1
            continue
        # Greedy longest match over the following elements.
        matched = 0
        keys: tuple[str, ...] = ()
        for length in range(min(_MAX_UNIT, n - i), 1, -1):
            text = unicodedata.normalize("NFD", "".join(chars[i:i + length]))
            if text in _UNITS:
                matched, keys = length, _UNITS[text]
                break
        if not matched:
            text = unicodedata.normalize("NFD", c)
            if c in _CHARS or text in _CHARS:
                matched, keys = 1, _CHARS.get(c) or _CHARS[text]
            elif text in _UNITS:
                matched, keys = 1, _UNITS[text]
        if not matched and len(c) > 1:
            keys = from_espeak(c)  # a whole espeak name, e.g. from espeak events
            if keys:
                matched = 1
        if matched:
            start = prefix_start if prefix_start is not None else i
            prefix_start = None
            tokens.append(IpaToken(start, i + matched, keys, "phoneme"))
            last_text, last_mods, last_base = "".join(chars[i:i + matched]), "", keys
            i += matched
            continue
        kind = _other_kind(c) if len(c) <= 1 else "mark"
        if kind is None:
            raise ValueError(f"unknown IPA symbol {c!r} at index {i}")
        flush_prefix(i)
        tokens.append(IpaToken(i, i + 1, (), kind))
        i += 1
    flush_prefix(n)
    return tokens


def _ends_in_vowel(text: str) -> bool:
    """Whether ``text`` (an espeak name without its last letter) ends in a vowel."""
    if text in _ESPEAK:
        return INVENTORY[_ESPEAK[text][-1]].kind == "vowel"
    letters = [c for c in text if c in _CHARS]
    return bool(letters) and INVENTORY[_CHARS[letters[-1]][-1]].kind == "vowel"


def from_espeak(symbol: str) -> tuple[str, ...]:
    """Inventory keys for one whole espeak-ng phoneme name, as events or text_to_ipa give it.

    Stress (ˈ ˌ), length (ː ˑ) and tone digits are dropped, and so is the 'ɜ' that espeak cmn
    appends to some toned vowels ('ˈiɛɜ' -> ('i', 'ɛ')). Aspiration ('tɕh', 'tʰ') and
    diacritics that do not change the mouth ('n̩') are ignored; 'ˈi̪' / 'ˈi.' give the apical
    vowel 'ɨ'. Names for more than one sound give several keys ('ˈaɪɚ' -> ('aɪ', 'ɚ')).
    '' , pure marks and language switches like '(en)' give (). Raises ValueError naming the
    symbol when it contains something unknown.
    """
    s = unicodedata.normalize("NFD", symbol.strip())
    if s.startswith("(") and s.endswith(")"):  # espeak's language switch, e.g. '(en)'
        return ()
    core = "".join(c for c in s if c not in _STRIP)
    if not core:
        return ()
    if core in _ESPEAK:
        return _ESPEAK[core]
    if len(core) > 1 and core.endswith(_TONE_MARK) and _ends_in_vowel(core[:-1]):
        core = core[:-1]
        if core in _ESPEAK:
            return _ESPEAK[core]
    try:
        tokens = tokenize_ipa(list(core))
    except ValueError:
        raise ValueError(f"unknown espeak phoneme {symbol!r}") from None
    keys = tuple(k for token in tokens for k in token.keys)
    # A pause inside a name that also has sounds ('s.' style spellings we do not know) would be
    # silently misread: refuse it. A name of marks and pauses alone ('_:') is a pause: ().
    if keys and any(token.kind in ("space", "pause") for token in tokens):
        raise ValueError(f"unknown espeak phoneme {symbol!r}")
    return keys
