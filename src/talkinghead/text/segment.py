"""Characters, language runs, and the cut of normalised text into phrases and pauses.

* :func:`clean_text` keeps what the pipeline can speak and reports the rest.
* :func:`split_language_runs` cuts mixed text into Chinese and non-Chinese runs.
* :func:`segment_spaced` / :func:`segment_hanzi` turn one normalised run into
  :class:`Phrase` and :class:`Pause` records, each word knowing the original token it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from difflib import SequenceMatcher

from .chinese import NETWORK_AFTER_5G, UNITS_ZH
from .types import Pause, Phrase, Word

UNITS_ZH_RE = "|".join(re.escape(u) for u in sorted(UNITS_ZH, key=len, reverse=True))

PARAGRAPH_MARK = "\n\n"

# Pause after a punctuation mark, s. Roughly what a careful reader leaves; the TTS adds its
# own prosodic pauses on top, so these are kept short.
PAUSE_SECONDS: dict[str, float] = {
    ",": 0.25, ";": 0.35, ":": 0.35, ".": 0.5, "!": 0.5, "?": 0.5, "…": 0.6, "—": 0.35,
    "(": 0.2, ")": 0.2,
    "，": 0.25, "、": 0.15, "；": 0.35, "：": 0.35, "。": 0.5, "！": 0.5, "？": 0.5, "……": 0.6,
    "（": 0.2, "）": 0.2,
    PARAGRAPH_MARK: 0.8,
}

# Punctuation kept by clean_text (the normalisers turn it into pause marks or drop it).
_KEPT_PUNCTUATION = frozenset(
    ".,!?;:'\"()-[]…—–―‐‑−“”‘’«»„‚"
    "，。！？；：、《》（）「」『』【】〈〉〔〕［］·・～~．｡﹐﹑＂＇"
)
# Symbols the normalisers read aloud ("$5" -> five dollars, "&" -> and).
_SPOKEN_SYMBOLS = frozenset("$£€¥￥₩%&@+#/°=×÷")
# Symbols typed in other widths or as one character: read like their usual form.
_SYMBOL_FORMS = str.maketrans({"％": "%", "＋": "+", "＝": "=", "＄": "$", "＆": "&", "＠": "@", "＃": "#",
                               "／": "/", "℃": "°C", "℉": "°F"})
# Opening punctuation belongs to the run that follows it.
_OPENING = frozenset("([（「『【〈《“‘«„‚〔［")
# Closing quotes and brackets, which may follow a sentence's last mark ('…he said?"'): whoever
# asks whether written words end a sentence or a question looks past these.
CLOSING_MARKS = "\"”’')）」』]］】"

# Invisible parts of emoji and formatting: removed without a word (listing them would only
# show blanks): zero-width (non-)joiners and spaces, variation selectors, keycap, skin tones,
# tag characters (flags), byte-order mark, word joiner, soft hyphen.
_INVISIBLE_RANGES = ((0x200B, 0x200F), (0x2060, 0x2064), (0xFE00, 0xFE0F), (0x20E3, 0x20E3),
                     (0x1F3FB, 0x1F3FF), (0xE0000, 0xE007F), (0xFEFF, 0xFEFF), (0xAD, 0xAD))

# CJK ideographs: URO, extension A, compatibility, extensions B-F, G, and 〇.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0x20000, 0x2EBEF),
               (0x30000, 0x3134F), (0x3007, 0x3007))
_CJK_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES)  # the ranges as a regex class
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for c in range(r[0], r[1] + 1)}

# In normalised text: marks that cut phrases, longest first so "……" wins over "…".
_MARK_RE = "|".join(re.escape(m) for m in sorted(PAUSE_SECONDS, key=len, reverse=True)
                    if m != PARAGRAPH_MARK)
# A spoken word in a spaced language: anything up to whitespace, quotes or a pause mark;
# "a.m."/"p.m." are words although they hold periods.
_SPACED_TOKEN = re.compile(
    r"(?P<para>\n[ \t]*\n\s*)|(?P<word>(?<![^\W_])[ap]\.m\.|[^\s\"“”‘«»《》\[\]"
    r".,!?;:…—()，。！？；：、（）]+)|(?P<mark>" + _MARK_RE + ")"
)
_HANZI_TOKEN = re.compile(r"(?P<para>\n[ \t]*\n\s*)|(?P<mark>" + _MARK_RE + r")|(?P<char>\S)")
# Edges of a source token that are punctuation around it rather than part of it.
_SOURCE_EDGES = " \t\n,;:!?\"“”‘’'()[]（）…—，。！？；：、《》「」"


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph (a hanzi)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_latin(ch: str) -> bool:
    return ch.isascii() or "LATIN" in unicodedata.name(ch, "")


def _invisible(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _INVISIBLE_RANGES)


def clean_text(text: str, script: str = "auto") -> tuple[str, tuple[str, ...]]:
    """Keep only characters the pipeline can speak.

    Kept: Latin letters (accents too), CJK ideographs (unless ``script`` is "en"), letters
    of any script when ``script`` is "any", digits (any script's, made ASCII; full-width
    letters made ASCII), whitespace (newlines kept, other spaces made " "), the punctuation
    the normalisers know, and symbols they read aloud ($ £ € ¥ ₩ % & @ + # / ° = × ÷; ％ ℃ and the like in
    their usual form; "*" between numbers as ×). Other ASCII markup such as ``* _ < > | ==``
    becomes a space silently; invisible emoji parts vanish silently.
    Everything else (emoji, ★ ♥ ™ →, control characters, other scripts) is replaced by a
    space and reported.

    Args:
        text: any text.
        script: "auto" or "zh" (Latin + CJK), "en" (Latin only), "any" (letters of all scripts).

    Returns:
        (cleaned text, dropped characters: unique, in order of first appearance).
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_FULLWIDTH_ALNUM).translate(_SYMBOL_FORMS)
    text = re.sub(r"(?<=\d)\s*\*\s*(?=\d)", " × ", text)  # 5 * 3: times, not markup
    text = re.sub(r"[=<>!]*==+[=<>]*|[<>!]=|=[<>]", " ", text)  # ==, <=, != are markup, not "equals"
    out: list[str] = []
    dropped: dict[str, None] = {}  # ordered set
    prev_letter = False
    for ch in text:
        cat = unicodedata.category(ch)
        keep: str | None = None
        if ch == "\n":
            keep = ch
        elif ch.isspace():
            keep = " "
        elif _invisible(ch):
            keep = ""
        elif ch in _KEPT_PUNCTUATION or ch in _SPOKEN_SYMBOLS:
            keep = ch
        elif cat == "Nd":
            keep = str(unicodedata.decimal(ch))
        elif is_cjk(ch):
            keep = ch if script != "en" else None
        elif cat.startswith("L"):
            keep = ch if script == "any" or _is_latin(ch) else None
        elif cat.startswith("M"):
            keep = ch if prev_letter else None  # an accent on a kept letter
        elif ch.isascii() and cat[0] in "PS":
            keep = " "  # markup punctuation: a word break, not worth a warning
        if keep is None:
            dropped.setdefault(ch, None)
            keep = " "
        prev_letter = bool(keep) and (keep.isalpha() or (prev_letter and cat.startswith("M")))
        out.append(keep)
    return "".join(out), tuple(dropped)


def _number_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[$£€¥￥₩]?\d(?:[\d,.:/]*\d)?%?", text)]


def split_language_runs(text: str, prefer: str = "en") -> list[tuple[str, str]]:
    """Cut text into ("zh" | "en", text) runs.

    Hanzi make "zh" runs and letters of other scripts "en" runs (not the C or F of "°C",
    "°F": symbols, like "°"). Numbers join the run of a
    letter they touch (a Latin letter first: "Python3", "5kg"; then a hanzi: "2024年",
    "3个"), else the nearest run before them, else after, else ``prefer``. Punctuation and
    symbols join the run before them (opening brackets and quotes the run after). Runs are
    stripped of surrounding whitespace; whitespace-only runs are left out.

    >>> split_language_runs("我用Python写代码")
    [('zh', '我用'), ('en', 'Python'), ('zh', '写代码')]

    Args:
        text: cleaned text (see :func:`clean_text`).
        prefer: language for text with no letters at all, and (when "zh") for numbers that
            touch no Latin letter.
    """
    n = len(text)
    lang: list[str | None] = [None] * n
    # The scale of "25°C" is a symbol with its number, not an English word; so is the unit of
    # a number in a Chinese sentence ("体重65kg": 六十五公斤, see ``chinese.UNITS_ZH``).
    scales = {m.end() - 1 for m in re.finditer(r"°\s?[CF](?![A-Za-z\u00c0-\u024f])", text)}
    network = rf"5\s?g{NETWORK_AFTER_5G}"  # the 5G network, not five grams
    for m in re.finditer(rf"[{_CJK_CLASS}]\s?(?!{network})\d+(?:\.\d+)?\s?(?P<unit>{UNITS_ZH_RE})(?![A-Za-z])", text):
        scales.update(range(m.start("unit"), m.end("unit")))
    for m in re.finditer(rf"[元块]\s?/\s?(?P<unit>{UNITS_ZH_RE})(?![A-Za-z])", text):  # 5元/kg: 每公斤
        scales.update(range(m.start("unit"), m.end("unit")))
    for i, ch in enumerate(text):
        if is_cjk(ch):
            lang[i] = "zh"
        elif i in scales:
            pass
        elif ch.isalpha():
            lang[i] = "en"
        elif unicodedata.category(ch).startswith("M") and i:
            lang[i] = lang[i - 1]  # a combining accent goes with its letter
    letters = list(lang)

    def nearest(i: int, step: int, among: list[str | None]) -> str | None:
        j = i + step
        while 0 <= j < n:
            if among[j]:
                return among[j]
            j += step
        return None

    for start, end in _number_spans(text):
        left = letters[start - 1] if start else None
        right = letters[end] if end < n else None
        if "en" in (left, right):
            choice = "en"
        elif prefer == "zh" or "zh" in (left, right):
            choice = "zh"
        else:
            choice = nearest(start, -1, letters) or nearest(end - 1, 1, letters) or prefer
        lang[start:end] = [choice] * (end - start)

    assigned = list(lang)
    for i, ch in enumerate(text):
        if assigned[i]:
            continue
        opening = ch in _OPENING or (ch in "\"'" and (i == 0 or text[i - 1].isspace()))
        first, second = (1, -1) if opening else (-1, 1)
        lang[i] = nearest(i, first, assigned) or nearest(i, second, assigned) or prefer

    runs: list[tuple[str, str]] = []
    i = 0
    while i < n:
        j = i
        while j < n and lang[j] == lang[i]:
            j += 1
        chunk = text[i:j].strip()
        if chunk:
            if runs and runs[-1][0] == lang[i]:  # only whitespace came between: one run
                runs[-1] = (lang[i], runs[-1][1] + " " + chunk)
            else:
                runs.append((lang[i], chunk))  # type: ignore[arg-type]
        i = j
    return runs


# Runs longer than this are normalised and aligned in pieces: the word-to-source alignment
# (difflib) and some context rules grow quadratically with length.
MAX_CHUNK_CHARS = 300
# Periods after these do not end a sentence, so a long run is not cut there.
_NO_CUT_BEFORE_PERIOD = frozenset({"etc", "vs", "approx", "min", "mins", "dept", "corp", "inc",
                                   "ltd", "jr", "sr", "prof", "mrs", "st", "dr", "mr", "ms", "no",
                                   "co", "mt", "cf"})


def _cut_points(text: str, lang: str) -> list[int]:
    """Positions where a long run may be cut without changing how it is normalised."""
    if lang == "zh":
        # after a clause mark not followed by a digit ("1，234" is one number)
        return [m.end() for m in re.finditer(r"[，。！？；、…\n]+(?!\d)", text)]
    points = [m.end() for m in re.finditer(r"[!?;…\n]+[\"”')]*\s+", text)]
    for m in re.finditer(r"(?<![\w.])([A-Za-z]+)\.[\"”')]*\s+(?=[A-Z\"“(])", text):
        word = m[1]
        if word.islower() and len(word) >= 3 and word not in _NO_CUT_BEFORE_PERIOD:
            points.append(m.end())
    return sorted(points)


def chunks(text: str, lang: str) -> list[str]:
    """Cut a run into pieces of at most :data:`MAX_CHUNK_CHARS` (where possible) at sentence
    or clause ends; failing those at whitespace; failing that anywhere not inside a number."""
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    points = _cut_points(text, lang)
    pieces: list[str] = []
    start = 0
    while len(text) - start > MAX_CHUNK_CHARS:
        limit = start + MAX_CHUNK_CHARS
        cut = max((p for p in points if start < p <= limit), default=0)
        if not cut:
            space = text.rfind(" ", start + 1, limit)
            cut = space + 1 if space > start else limit
            while cut > start + 1 and text[cut - 1].isdigit() and cut < len(text) \
                    and text[cut].isdigit():
                cut -= 1  # never split a number ...
            if cut <= start + 1:
                cut = limit  # ... unless the number alone is too long (read digit by digit)
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def _strip_source(token: str, ends_sentence: bool) -> str:
    """The original token without the punctuation around it. A trailing "." stays when it
    belongs to the token ("Dr.", "a.m."), i.e. when the normalised words did not keep it as a
    full stop."""
    core = token.strip(_SOURCE_EDGES)
    if ends_sentence:
        core = core.rstrip(".").strip(_SOURCE_EDGES)
    return core or token.strip()


def _sources(original_tokens: list[str], normal_tokens: list[str],
             renormalise: Callable[[str], str] | None = None) -> tuple[list[str], list[int]]:
    """For each normalised token, the original token(s) it came from, and where they end.

    Tokens are matched on their letters (case-folded); unmatched stretches map as a block,
    refined token by token when renormalising each original token alone gives the same
    number of words.

    Returns:
        (sources, ends): the original token(s) without the punctuation around them, and the
        index just past the last original token each normalised token covers.
    """
    def key(tok: str) -> str:
        return re.sub(r"[^\w]", "", tok.casefold())

    def stops(tok: str) -> bool:
        return tok.rstrip("\"”’')").endswith((".", "…", "!", "?"))

    out: list[str] = [""] * len(normal_tokens)
    ends: list[int] = [0] * len(normal_tokens)
    matcher = SequenceMatcher(None, [key(t) for t in original_tokens],
                              [key(t) for t in normal_tokens], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(j2 - j1):
                out[j1 + k] = _strip_source(original_tokens[i1 + k], stops(normal_tokens[j1 + k]))
                ends[j1 + k] = i1 + k + 1
            continue
        if op == "delete":
            continue
        if i1 == i2:  # words with no original (should not happen): borrow a neighbour
            near = original_tokens[i1 - 1] if i1 else (original_tokens[i1] if original_tokens
                                                        else "")
            for j in range(j1, j2):
                out[j] = _strip_source(near, True)
                ends[j] = i1
            continue
        counts = ([len(renormalise(t).split()) for t in original_tokens[i1:i2]]
                  if renormalise is not None and i2 - i1 > 1 else [])
        if counts and sum(counts) == j2 - j1:
            j = j1
            for i, (t, c) in enumerate(zip(original_tokens[i1:i2], counts), start=i1):
                for jj in range(j, j + c):
                    out[jj] = _strip_source(t, stops(normal_tokens[j + c - 1]))
                    ends[jj] = i + 1
                j += c
        else:
            block = " ".join(original_tokens[i1:i2])
            for j in range(j1, j2):
                out[j] = _strip_source(block, stops(normal_tokens[j2 - 1]))
                ends[j] = i2
    return out, ends


def segment_spaced(original: str, normalised: str, lang: str,
                   renormalise: Callable[[str], str] | None = None) -> list[Phrase | Pause]:
    """Cut one normalised run of a space-separated language into phrases and pauses.

    Args:
        original: the run as cleaned, before normalisation (for :attr:`Word.source`).
        normalised: the run after normalisation.
        lang: the phrases' language.
        renormalise: the normaliser, used to map words to original tokens more finely.
    """
    normal_tokens = normalised.split()
    original_tokens = original.split()
    sources, ends = _sources(original_tokens, normal_tokens, renormalise)
    segments: list[Phrase | Pause] = []
    words: list[Word] = []
    shown = 0  # original tokens already given to a word's written form

    def flush() -> None:
        if words:
            segments.append(Phrase(lang, " ".join(w.text for w in words), tuple(words)))
            words.clear()

    def end_last_word(upto: int) -> None:
        """Original tokens before ``upto`` that no word was read from end the last word's
        written form (the phrase being gathered, or the last one made)."""
        nonlocal segments, shown
        tail = " ".join(original_tokens[shown:upto])
        if words:
            words[-1] = _with_tail(words[-1], tail, " ")
        else:
            segments = _written_tail(segments, tail, " ")
        shown = upto

    # Scan token by token so each word knows its source; a paragraph mark is whitespace here
    # (paragraphs are cut before runs; see analyze), so split() losing it costs nothing.
    for token, source, end in zip(normal_tokens, sources, ends):
        for m in _SPACED_TOKEN.finditer(token):
            if m["word"]:
                word = m["word"].strip("'-‐")
                if word:
                    # Original tokens no word was read from: closing punctuation ("…") ends
                    # the word before, the rest (an opening quote) begins this one.
                    closing = shown
                    while closing < end and not re.search(r"\w", original_tokens[closing]) \
                            and original_tokens[closing][0] not in _OPENING:
                        closing += 1
                    if closing > shown:
                        end_last_word(closing)
                    written = " ".join(original_tokens[shown:end])
                    shown = max(shown, end)
                    words.append(Word(word, source, written=written))
            elif m["mark"]:
                if end > shown and m["mark"] not in _OPENING:  # a lone "—": the word before's
                    end_last_word(end)
                flush()
                segments.append(Pause(PAUSE_SECONDS[m["mark"]], m["mark"]))
    flush()
    if shown < len(original_tokens):
        end_last_word(len(original_tokens))
    return segments


def _with_tail(word: Word, tail: str, sep: str) -> Word:
    """``word`` with ``tail`` (original text no word was read from) after its written form."""
    return replace(word, written=f"{word.written}{sep}{tail}" if word.written else tail)


def _written_tail(segments: list[Phrase | Pause], tail: str, sep: str) -> list[Phrase | Pause]:
    """``segments`` with original text no word was read from (a closing quote, a lone "…" or
    "。") added to the written form of the last word so far."""
    last = next((i for i in range(len(segments) - 1, -1, -1) if isinstance(segments[i], Phrase)), None)
    if not tail.strip() or last is None:
        return segments
    phrase = segments[last]
    words = phrase.words[:-1] + (_with_tail(phrase.words[-1], tail, sep),)
    return segments[:last] + [replace(phrase, words=words)] + segments[last + 1:]


def segment_hanzi(original: str, normalised: str) -> list[Phrase | Pause]:
    """Cut one normalised Chinese run into phrases (one :class:`Word` per hanzi) and pauses.

    Args:
        original: the run before normalisation (for :attr:`Word.source`: the hanzi itself,
            or the number token it was read from, e.g. "2024").
        normalised: the run after :func:`~talkinghead.text.normalize_zh`.
    """
    source_of: list[str] = [""] * len(normalised)
    end_of: list[int] = [0] * len(normalised)  # just past the original characters each covers
    matcher = SequenceMatcher(None, original, normalised, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(j2 - j1):
                source_of[j1 + k] = original[i1 + k]
                end_of[j1 + k] = i1 + k + 1
        elif op in ("replace", "insert"):
            block = original[i1:i2].strip(_SOURCE_EDGES) if i2 > i1 else ""
            if not block:  # an inserted reading ("元" after "$5"): the token before it
                block = original[max(0, i1 - 1):i1].strip() or normalised[j1:j2]
            for j in range(j1, j2):
                source_of[j] = block
                end_of[j] = i2
    shown = 0  # original characters already given to a word's written form

    segments: list[Phrase | Pause] = []
    words: list[Word] = []

    def flush() -> None:
        if words:
            segments.append(Phrase("zh", "".join(w.text for w in words), tuple(words)))
            words.clear()

    for m in _HANZI_TOKEN.finditer(normalised):
        if m["para"]:
            flush()
            segments.append(Pause(PAUSE_SECONDS[PARAGRAPH_MARK], PARAGRAPH_MARK))
        elif m["mark"]:
            flush()
            end = end_of[m.start() + len(m["mark"]) - 1]
            if end > shown and m["mark"] not in _OPENING:  # "。" ends the word before it
                segments = _written_tail(segments, "".join(original[shown:end].split()), "")
                shown = end
            segments.append(Pause(PAUSE_SECONDS[m["mark"]], m["mark"]))
        elif is_cjk(m["char"]):
            end = end_of[m.start()]
            written = "".join(original[shown:end].split())
            shown = max(shown, end)
            words.append(Word(m["char"], source_of[m.start()] or m["char"], written=written))
        # anything else (quotes, book-title marks, stray symbols) is not spoken
    flush()
    return _written_tail(segments, "".join(original[shown:].split()), "")


def tidy(segments: list[Phrase | Pause]) -> list[Phrase | Pause]:
    """No pause first or last; runs of pauses merged into the longest of them."""
    out: list[Phrase | Pause] = []
    for seg in segments:
        if isinstance(seg, Pause):
            if not out:
                continue
            if isinstance(out[-1], Pause):
                if seg.seconds > out[-1].seconds:
                    out[-1] = seg
                continue
        out.append(seg)
    while out and isinstance(out[-1], Pause):
        out.pop()
    return out

