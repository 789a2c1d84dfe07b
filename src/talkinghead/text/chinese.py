"""Chinese text normalisation: Arabic numbers -> hanzi (cn2an), punctuation -> one canonical set.

After :func:`normalize_zh` a Chinese run holds only hanzi, whitespace and the canonical
punctuation ``，。！？；：、……“”《》（）`` that the pause table knows.
"""

from __future__ import annotations

import logging
import re

import cn2an

logger = logging.getLogger(__name__)

# Digit strings at least this long are IDs or phone numbers: read digit by digit.
DIGIT_BY_DIGIT_MIN_LEN = 9
_DIGITS_ZH = "零一二三四五六七八九"

# The canonical punctuation a Chinese phrase may carry.
CANONICAL_PUNCTUATION = ("，", "。", "！", "？", "；", "：", "、", "……", "“", "”", "《", "》",
                         "（", "）")

_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for c in range(r[0], r[1] + 1)}

# Other spellings -> canonical. Quotes become “ ” (opening/closing fixed below); dashes and
# tildes between words become a comma-like pause.
_PUNCTUATION = str.maketrans({
    ",": "，", "﹐": "，", "!": "！", "?": "？", ";": "；", ":": "：", "﹑": "、",
    "(": "（", ")": "）", "[": "（", "]": "）", "【": "（", "】": "）", "［": "（", "］": "）",
    "〔": "（", "〕": "）", "<": "《", ">": "》", "〈": "《", "〉": "》", "«": "《", "»": "》",
    "「": "“", "」": "”", "『": "“", "』": "”", "‘": "“", "’": "”", "＂": '"', "＇": "'",
    "．": ".", "｡": "。", "—": "，", "–": "，", "―": "，", "～": "，", "~": "，",
    "·": "", "・": "",  # the dot inside transliterated names: no pause
})

_CURRENCY_ZH = {"$": "美元", "¥": "元", "￥": "元", "€": "欧元", "£": "英镑", "₩": "韩元"}


def _digits(s: str) -> str:
    return "".join(_DIGITS_ZH[int(c)] for c in s if c.isdigit())


def _number(s: str) -> str:
    """"25" -> 二十五, "3.5" -> 三点五, "-2" -> 负二."""
    try:
        return cn2an.an2cn(s)
    except (ValueError, TypeError):  # cn2an rejects what it cannot parse; say the digits
        return _digits(s)


def _fix_quotes(text: str) -> str:
    """ASCII double quotes -> “ ” alternately (opening first)."""
    parts = text.split('"')
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        out.append("“" if i % 2 == 0 else "”")
        out.append(part)
    return "".join(out).replace("'", "")


def _dates(text: str) -> str:
    """Dates -> 年/月/日 said as people say them: years digit by digit, months and days as
    numbers without leading zeros, 号 after a date's day -> 日 ("2015年08月08号" ->
    二零一五年八月八日); numeric dates year first ("2019/2/10", "2019·2·10", "12.2.3" ->
    一二年二月三日); eras ("2934ad" -> 公元二九三四年, "2334bc" -> 公元前二三三四年)."""
    def ymd(m: re.Match[str]) -> str:
        year, month, day = m["y"], int(m["m"]), int(m["d"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m[0]
        return f"{_digits(year)}年{_number(str(month))}月{_number(str(day))}日"  # a year digit by digit
    text = re.sub(r"(?<![\d.])(?P<y>\d{4}|\d{2})(?P<sep>[-/.·])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d.])",
                  ymd, text)

    def era(m: re.Match[str]) -> str:
        before = "公元前" if m["era"].lower().startswith("b") else "公元"
        date = m["date"]
        if "年" not in date:
            date += "年"
        return before + date
    text = re.sub(r"(?P<date>\d{1,4}(?:年(?:\d{1,2}月(?:\d{1,2}[日号])?)?)?)\s?(?P<era>a\.?d\.?|b\.?c\.?)(?![a-z])",
                  era, text, flags=re.IGNORECASE)
    # Leading zeros of months and days, and the day's 号 after a month (or standing alone).
    text = re.sub(r"(?<!\d)0(\d)(?=月)", r"\1", text)
    text = re.sub(r"(?<=月)0?(\d{1,2})[日号]", r"\1日", text)
    text = re.sub(r"(?<![\d月])([1-9]|[12]\d|3[01])号(?![\u4e00-\u9fff\d])", r"\1日", text)
    # A year before 年 said digit by digit (cn2an does this too, but not after 公元).
    return re.sub(r"(?<!\d)(\d{2,4})(?=年)", lambda m: _digits(m[1]), text)


def _numbers(text: str) -> str:
    """Patterns cn2an reads wrongly or not at all, before cn2an reads the rest."""
    text = re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", text)  # thousands separators: 1,234
    text = _dates(text)
    # Degrees: 25°C -> 二十五摄氏度, 98°F -> 九十八华氏度, 45° -> 四十五度.
    text = re.sub(r"\s?°(?:\s?([CF])(?![a-zA-Z]))?", lambda m: {"C": "摄氏度", "F": "华氏度"}.get(m[1] or "", "度"), text)

    def clock(m: re.Match[str]) -> str:
        hour, minute = int(m[1]), int(m[2])
        if hour > 24 or minute > 59 or (m[3] and int(m[3]) > 59):
            return m[0]
        if m[3]:  # with seconds: every part is said, zeros too (零点零分零秒)
            return f"{_number(str(hour))}点{_number(str(minute))}分{_number(str(int(m[3])))}秒"
        spoken = ("两" if hour == 2 else _number(str(hour))) + "点"
        if minute:
            spoken += _number(str(minute)) + "分"
        return spoken
    text = re.sub(r"(?<!\d)(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?(?!\d)", clock, text)

    # $5 -> 五美元, $1-5 / $1到5 -> 一到五美元, $1.5万 -> 一点五万美元; 5元 is already right.
    amount = r"(\d+(?:\.\d+)?)([万亿]?)"
    text = re.sub(rf"([$¥￥€£₩])\s?{amount}\s?[-~～到]\s?{amount}",
                  lambda m: f"{_number(m[2])}{m[3]}到{_number(m[4])}{m[5]}{_CURRENCY_ZH[m[1]]}", text)
    text = re.sub(rf"([$¥￥€£₩])\s?{amount}", lambda m: _number(m[2]) + m[3] + _CURRENCY_ZH[m[1]], text)
    # 5-10, 5~10 -> 5到10 (only between numbers: "-5度" stays a minus).
    text = re.sub(r"(?<=\d)\s?[-~～–—]\s?(?=\d)", "到", text)
    # IDs, phone numbers, codes with leading zeros: digit by digit (cn2an drops the zeros).
    text = re.sub(rf"(?<![\d.])(?:\d{{{DIGIT_BY_DIGIT_MIN_LEN},}}|0\d+)(?![\d.])",
                  lambda m: _digits(m[0]), text)
    try:
        text = cn2an.transform(text, "an2cn")
    except (ValueError, KeyError, IndexError) as exc:  # odd input: fall back to plain readings
        logger.debug("cn2an could not transform %r: %s", text, exc)
        text = re.sub(r"-?\d+(?:\.\d+)?", lambda m: _number(m[0]), text)
    text = text.replace("%", "")  # a "%" cn2an did not attach to a number
    return re.sub(r"\d+", lambda m: _digits(m[0]), text)


def normalize_zh(text: str) -> str:
    """Make Chinese text speakable: numbers as hanzi, punctuation canonical.

    Full-width digits and letters become ASCII first; Arabic numbers are read by cn2an in
    context ("2024年" -> 二零二四年, "25度" -> 二十五度, "50%" -> 百分之五十, "3.5" -> 三点五), with
    dates, clock times, currency, ranges and long digit strings handled beforehand;
    punctuation is mapped to ``，。！？；：、……“”《》（）``.

    Args:
        text: Chinese text (a run of :func:`split_language_runs`, or any string).

    Returns:
        The normalised text.
    """
    text = text.translate(_FULLWIDTH_ALNUM)
    text = re.sub(r"(?<=\d)[．。](?=\d)", ".", text)  # a full-width decimal point
    text = _numbers(text)
    text = re.sub(r"\.{3,}|…+|。{3,}", "……", text)
    text = text.translate(_PUNCTUATION)
    text = _fix_quotes(text)
    text = text.replace(".", "。")  # decimal points were read above: a "." left ends a sentence
    return text
