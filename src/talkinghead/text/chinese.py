"""Chinese text normalisation: Arabic numbers -> hanzi (cn2an), punctuation -> one canonical set.

After :func:`normalize_zh` a Chinese run holds only hanzi, whitespace and the canonical
punctuation ``，。！？；：、……“”《》（）`` that the pause table knows.
"""

from __future__ import annotations

import logging
import re

import cn2an

from . import context

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


def _quantity(s: str) -> str:
    """A number as written, separators and all ("2,999", "1,234.5") -> 两千九百九十九, 一千二百三十四点五."""
    plain = re.sub(r"[,，]", "", s)
    return _number(plain) if "." in plain else _counted(plain)


def _amount(s: str) -> str:
    """An amount of money as written ("1,299.00") -> 一千二百九十九 (no zero cents)."""
    return _quantity(re.sub(r"\.0+$", "", s))


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
    # 2019-2020年 -> 二零一九到二零二零年.
    text = re.sub(r"(?<!\d)(\d{4})\s?[-~～–—到至]\s?(\d{4})(?=年)", lambda m: f"{_digits(m[1])}到{_digits(m[2])}", text)

    # A year before 年 is said digit by digit (2024年 -> 二零二四年, 05年 -> 零五年; cn2an does
    # this too, but not after 公元); a count of years is a number (工作了10年 -> 十年, 30年后 ->
    # 三十年后, 5000年历史 -> 五千年).
    def year(m: re.Match[str]) -> str:
        digits, before, after = m[1], context.before(m), context.after(m)
        n = int(digits)
        counted = re.search(_YEAR_COUNT_BEFORE, before) or re.match(_YEAR_COUNT_AFTER, after)
        if digits.startswith("0") or before.endswith(("公元", "公元前")) or re.match(r"年\d{1,2}月", after):
            is_year = True
        elif len(digits) == 4:  # "到了2025年", "1990年左右" are years; "2000年历史", "2000多年" counts
            is_year = (1000 < n <= 2199 and not re.match(r"年(?:历史|多|之久|来)", after)
                       and not re.search(r"(?:近|长达|超过|将近|历经|经过)$", before)
                       and not (n % 100 == 0 and after.startswith("年前")))  # 1500年前: years ago
        else:  # 98年 is a year; 10年, 50年, 100年 (round) and 保修15年 are counts
            is_year = len(digits) == 2 and n % 10 != 0 and not counted
        return _digits(digits) if is_year else _counted(digits)  # before cn2an, which reads "10年" as a year
    text = re.sub(r"(?<![\d.])(\d{2,4})(?=年(?!代|级))", year, text)
    return re.sub(r"(?<![\d.])([1-9]0)(?=年代)", lambda m: _number(m[1]), text)  # 50年代 -> 五十年代


# Around "N年", words that make it a count of years, not a year: 工作了10年, 30年后, 有15年经验.
_YEAR_COUNT_BEFORE = (r"(?:[了有近约过这那多几整满足达共长第每隔分]|将近|大约|超过|长达|不到|已经|差不多|过去|未来|保修|贷款"
                      r"|任期|为期|相识|创立|成立|建党|建国|坚持|持续|从业|深耕|行业|工作|执教|经营|服务|专注)$")
_YEAR_COUNT_AFTER = r"年(?:后|前|来|间|内|里|多|左右|以上|以下|之|时间|历史|经验|了|如一日|的时间)"


def _numbers(text: str) -> str:
    """Patterns cn2an reads wrongly or not at all, before cn2an reads the rest."""
    # Thousands separators: 1,234 (a grouped number is an amount, however long: read it now).
    text = re.sub(r"(?<![\d.$¥￥€£₩])\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?(?![\d])", lambda m: _quantity(m[0]), text)
    text = _phones(text)
    text = _dates(text)
    text = _maths(text)
    text = re.sub(r"(?<!\d)(\d0)后", lambda m: _digits(m[1]) + "后", text)  # 90后 -> 九零后
    text = re.sub(r"(?<![\d:：.])(\d{1,2})[:：](\d)(?![\d:：])", r"\1比\2", text)  # 比分3:2 -> 三比二
    text = _units(text)
    # 9.9元/月 -> 九点九元每月; 5元/kg -> 五元每公斤.
    text = re.sub(r"(?<=[元块])\s?/\s?kg\b", "每公斤", text)
    text = re.sub(r"(?<=[元块])\s?/\s?(?=[\u4e00-\u9fff])", "每", text)
    # Scores: 比分21:19, 以3-0 -> 二十一比十九, 三比零.
    text = re.sub(r"(比分[是为]?)\s?(\d{1,3})\s?[:：-]\s?(\d{1,3})(?!\d)", r"\1\2比\3", text)
    text = re.sub(r"(以)\s?(\d{1,3})\s?[:：-]\s?(\d{1,3})(?=(?:的比分)?(?:结束|获胜|战胜|击败|取胜|胜|赢|输|告负|落败))",
                  r"\1\2比\3", text)
    # Order numbers, codes and the like: digit by digit.
    text = re.sub(rf"({_CODE_WORDS_ZH})([:：]?\s?)(\d+)", lambda m: m[1] + m[2] + _digits(m[3]), text)
    # Ranges: 5-10, 9:00-11:30, 3点-5点, 50%-60%, 5月1日-5月5日 -> 到 (not a minus: "-5度").
    text = re.sub(r"(?<=[\d点%日号月年分秒])\s?[-~～–—]\s?(?=\d)", "到", text)
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
    amount = r"(\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)([万亿]?)"
    text = re.sub(rf"([$¥￥€£₩])\s?{amount}\s?[-~～到]\s?{amount}",
                  lambda m: f"{_amount(m[2])}{m[3]}到{_amount(m[4])}{m[5]}{_CURRENCY_ZH[m[1]]}", text)
    text = re.sub(rf"([$¥￥€£₩])\s?{amount}(元)?",
                  lambda m: _amount(m[2]) + m[3] + (m[4] or _CURRENCY_ZH[m[1]]), text)
    # IDs, phone numbers, codes with leading zeros: digit by digit (cn2an drops the zeros).
    text = re.sub(rf"(?<![\d.])(?:\d{{{DIGIT_BY_DIGIT_MIN_LEN},}}|0\d+)(?![\d.])",
                  lambda m: _digits(m[0]), text)
    # A bare year before what names a year (2025新品发布会, 2024到2025学年) digit by digit.
    text = re.sub(r"(?<![\d.第$¥￥€£₩])((?:19|20)\d\d)(?=(?:到(?:19|20)\d\d)?(?:学年|赛季|年度|财年|新品|新年|跨年|春晚"
                  r"|奥运|世界杯|届|版|款|级))", lambda m: _digits(m[1]), text)
    text = _liang(text)
    try:
        text = cn2an.transform(text, "an2cn")
    except (ValueError, KeyError, IndexError) as exc:  # odd input: fall back to plain readings
        logger.debug("cn2an could not transform %r: %s", text, exc)
        text = re.sub(r"-?\d+(?:\.\d+)?", lambda m: _number(m[0]), text)
    text = text.replace("%", "")  # a "%" cn2an did not attach to a number
    return re.sub(r"\d+", lambda m: _digits(m[0]), text)


# Measure words after which a lone 2 is 两 (两个, 两本, 两岁), and the big units (两千, 两万).
_MEASURE_WORDS = ("个|位|只|本|件|条|张|次(?!方)|天|岁|年(?!级)|小时|分钟|秒钟|秒|种|家|台|辆|双|倍|周|名|片|杯|瓶"
                  "|块|斤|公斤|公里|人|晚|圈|克|升|度|点(?!\\d)|米|层|间|所|部|套|份|群|节|段|项|句|遍|回|声|口|头|匹"
                  "|棵|朵|座|架|支|把|颗|粒|封|篇|首|门|届|批|组|对|排|元|千|万|亿")


def _liang(text: str) -> str:
    """A lone 2 that counts is 两 (2个 -> 两个, 2-3天 -> 两到三天, 下午2点 -> 两点), and so is the 2
    leading a number of thousands or more (2000元 -> 两千元, 25000 -> 两万五千); digits only, so
    a 二 the user wrote (二次函数, 星期二) is left alone. Runs on digits, before cn2an."""
    text = re.sub(rf"(?<![\d.第/:：])2(?=(?:到\d+)?(?:{_MEASURE_WORDS}))", "两", text)
    return re.sub(r"(?<![\d.第])2\d{3,}(?![\d.%])", lambda m: _counted(m[0]), text)


def _counted(digits: str) -> str:
    """A whole number that counts, 两 leading its thousands: "2000" -> 两千, "25000" -> 两万五千."""
    spoken = _number(digits)
    return "两" + spoken[1:] if spoken[:2] in ("二千", "二万", "二亿") else spoken


# Words after which a number is a code, read digit by digit.
_CODE_WORDS_ZH = "订单号|单号|验证码|编号|账号|卡号|工号|学号|房间号|密码|邮编|尾号|车牌号|快递单号|航班号|车次"

# Service numbers read digit by digit after 拨打/电话/热线 (not "打100分").
_SERVICE_NUMBERS = r"110|119|120|122|114|12315|12345|12306|12110|10086|10010|10000|95\d{3}"


def _phones(text: str) -> str:
    """Phone numbers digit by digit, group by group: 400-123-4567, 010-12345678, 138 0013
    8000, +86 ...; service numbers after 拨打/电话/热线 (110, 12345)."""
    def groups(m: re.Match[str]) -> str:
        return "，".join(_digits(g) for g in re.findall(r"\d+", m[0]))
    text = re.sub(r"\+86\s?", "加八六，", text)
    text = re.sub(r"(?<![\d.-])(?:[48]00[-\s]?\d{3}[-\s]?\d{4}|0\d{2,3}-\d{3,4}-?\d{4}|1[3-9]\d[-\s]\d{4}[-\s]\d{4})"
                  r"(?![\d.-])", groups, text)
    return re.sub(r"(拨打|热线|电话|报警|致电|拨|打)([:：]?\s?)(" + _SERVICE_NUMBERS + r")(?!\d)",
                  lambda m: m[1] + m[2] + _digits(m[3]), text)


_OPERATORS_ZH = {"+": "加", "-": "减", "×": "乘", "*": "乘", "x": "乘", "÷": "除以", "/": "除以", "=": "等于"}


def _maths(text: str) -> str:
    """1+1=2 -> 一加一等于二; 5-3=2 -> 五减三等于二; 3×5=15 -> 三乘五等于十五; x=5 -> x等于5."""
    number = r"-?\d+(?:\.\d+)?"

    def equation(m: re.Match[str]) -> str:
        return re.sub(r"(?<=[\d\s])\s*([-+×*x÷/=])\s*(?=[-\d])", lambda o: _OPERATORS_ZH[o[1]], m[0])
    text = re.sub(rf"(?<![\d.])\d+(?:\.\d+)?(?:\s?[-+×*x÷/]\s?{number})+\s?=\s?{number}(?![\d.])", equation, text)
    return text.replace("=", "等于").replace("×", "乘").replace("÷", "除以")


# Unit abbreviations after a number in a Chinese sentence -> 体重65kg -> 六十五公斤.
UNITS_ZH = {"km/h": "公里每小时", "kg": "公斤", "km": "公里", "cm": "厘米", "mm": "毫米", "mg": "毫克", "ml": "毫升",
            "mL": "毫升", "m": "米", "g": "克", "L": "升"}


# Words after "5g" in a Chinese sentence that make it the network, not five grams.
NETWORK_AFTER_5G = "(?:网络|手机|信号|的|时代|技术|套餐)"


def _units(text: str) -> str:
    names = "|".join(re.escape(u) for u in sorted(UNITS_ZH, key=len, reverse=True))
    return re.sub(rf"(?<=\d)\s?({names})(?![A-Za-z])",
                  lambda m: m[0] if re.search(r"(?<!\d)5\s?g$", context.before(m) + m[0])
                  and re.match(NETWORK_AFTER_5G, context.after(m)) else UNITS_ZH[m[1]], text)


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
