"""English text normalisation: numbers, currency, times, abbreviations -> words.

The result is plain words plus the sentence punctuation that later becomes pauses
(``, . ! ? ; : … — ( )``). Periods that do not end a sentence (abbreviations, decimal
points, initialisms) are consumed here, so every "." left over is a sentence end.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

from . import context

# The largest number read as a number; longer digit strings (IDs, phone numbers) are read
# digit by digit, which is also how people say them.
MAX_CARDINAL = 10**15
# A whole number written without separators and at least this long is a code (ZIP, order,
# account number), read digit by digit, unless a word it counts follows it ("13000 people"):
# style guides group the digits of quantities this long ("13,000"), and so do users who mean one.
CODE_MIN_DIGITS = 5
# Words after which such a number is a code even when a word follows ("order 12345 shipped").
_CODE_WORDS = (r"(?:zip|code|postcode|number|id|pin|order|account|invoice|ticket|flight|room"
               r"|extension|ext|serial|model|part|tracking|booking|confirmation|reference|ref"
               r"|customer|policy|case|item|sku|phone|call|dial|password|passcode|otp|isbn|pnr)")
# Four-digit numbers in this range may be read as years ("nineteen ninety-nine").
YEAR_MIN, YEAR_MAX = 1100, 2099

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November"
           r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)")
# Words after which "3/4" is a date (month first, as numeric dates are read), not a fraction.
_DATE_PREPOSITIONS = r"(?:on|by|until|till|thru|before|after|since|due|from|through)"
# Words after which a four-digit number is a year ("in 1999", "since 2020").
_YEAR_PREPOSITIONS = (r"(?:in|of|since|by|from|until|till|through|circa|during|year|between|before|after"
                      r"|around|born|founded|established|est|copyright|early|late|mid|spring|summer"
                      r"|autumn|fall|winter|class)")
# Verbs after which a four-digit number that opens its clause is a year ("2024 was ...").
_YEAR_VERBS = (r"(?:was|is|will|has|had|saw|sees|marked|marks|brought|brings|began|begins|ended|ends"
               r"|became|starts|started)")

# An integer as written: plain digits or with thousands separators ("1,234").
_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"

# currency symbol -> (unit singular, unit plural, subunit singular, subunit plural or None)
_CURRENCIES: dict[str, tuple[str, str, str | None, str | None]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),  # yen has no subunit in use: decimals are read as decimals
    "₩": ("won", "won", None, None),
}
_SCALES = {"k": "thousand", "thousand": "thousand", "m": "million", "mn": "million",
           "million": "million", "b": "billion", "bn": "billion", "billion": "billion",
           "trillion": "trillion"}

# unit after a number -> (singular, plural)
_UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "km": ("kilometer", "kilometers"),
    "kg": ("kilogram", "kilograms"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "mph": ("mile per hour", "miles per hour"),
    "lbs": ("pound", "pounds"),
    "lb": ("pound", "pounds"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "m": ("meter", "meters"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "mL": ("milliliter", "milliliters"),
    "ml": ("milliliter", "milliliters"),
    "L": ("liter", "liters"),
    "oz": ("ounce", "ounces"),
    "tsp": ("teaspoon", "teaspoons"),
    "tbsp": ("tablespoon", "tablespoons"),
    "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°": ("degree", "degrees"),
}

# Abbreviations with a period that never end a sentence: they precede a name.
_TITLES = {"Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor"}
# Abbreviations that can end a sentence: their period doubles as a full stop when the next
# word starts a new sentence. Matched case-insensitively.
_ABBREVIATIONS = {"jr": "Junior", "sr": "Senior", "inc": "Incorporated", "ltd": "Limited",
                  "etc": "et cetera", "min": "minutes", "co": "Company",
                  "corp": "Corporation", "dept": "Department", "ave": "Avenue", "rd": "Road",
                  "blvd": "Boulevard"}
# Abbreviations that stand inside a sentence: never a full stop.
_INNER_ABBREVIATIONS = {"vs": "versus", "e.g": "for example", "i.e": "that is",
                        "approx": "approximately", "mt": "Mount", "cf": "compare",
                        "ext": "extension"}
# Unit abbreviations that may stand without a period or a number.
_BARE_UNITS = {"km": "kilometers", "kg": "kilograms"}


def _words(spelled: str) -> str:
    """num2words output -> space-separated words: "one thousand, two hundred and thirty-four"
    -> "one thousand two hundred and thirty four" (its commas would become pauses)."""
    return re.sub(r"\s+", " ", spelled.replace(",", " ").replace("-", " ")).strip()


def _digits(s: str) -> str:
    """Digit by digit: "007" -> "zero zero seven"."""
    return " ".join(_DIGIT_WORDS[int(c)] for c in s if c.isdigit())


def cardinal(number: str) -> str:
    """An integer as written ("1,234", "42", "007") -> words, hyphens as spaces."""
    digits = number.replace(",", "")
    grouped = "," in number  # "124,444,234,854,823,834,553" is a quantity, however large
    if len(digits) > 1 and digits.startswith("0") or (int(digits) >= MAX_CARDINAL and not grouped):
        return _digits(digits)
    return _words(num2words(int(digits), lang="en", to="cardinal"))


def _decimal(int_part: str, frac: str) -> str:
    """"3", "14" -> "three point one four" (fraction digit by digit, so "2.50" keeps its zero)."""
    head = cardinal(int_part) if int_part else "zero"
    return f"{head} point {_digits(frac)}"


def _number(int_part: str, frac: str | None, sign: str | None = None) -> str:
    spoken = _decimal(int_part, frac) if frac else cardinal(int_part)
    return f"minus {spoken}" if sign else spoken


def _is_one(int_part: str, frac: str | None) -> bool:
    return int_part.replace(",", "") == "1" and not (frac and frac.strip("0"))


def _year(n: int) -> str:
    return _words(num2words(n, lang="en", to="year"))


def _plural_decade(spelled: str) -> str:
    """"nineteen ninety" -> "nineteen nineties"; "twenty" -> "twenties"."""
    if spelled.endswith("y"):
        return spelled[:-1] + "ies"
    return spelled + "s"


_SENTENCE_AFTER = re.compile(r"[ \t]*(?:$|\n)|\s+[\"“(]?[A-Z]")


def _ends_sentence(text: str, end: int) -> bool:
    """Whether the period that ends at ``end`` also ends a sentence: the text ends, a line
    ends, or the next word is capitalised."""
    return _SENTENCE_AFTER.match(text, end) is not None


def _before_capital(m: re.Match[str]) -> bool:
    """Whether a capitalised word follows the match."""
    return re.match(r"\s+[A-Z]", context.after(m)) is not None


def _after_name(m: re.Match[str]) -> bool:
    """Whether the match follows a capitalised word that is not the first of its sentence
    ("Baker St." but not "In St. Louis")."""
    before = context.before(m)
    return re.search(r"[\w,;:]\s+[A-Z][a-z]+\s+$", before) is not None


def _full_stop(m: re.Match[str], had_period: bool = True) -> str:
    """"." when the abbreviation period just matched doubles as a full stop, else ""."""
    return "." if had_period and _ends_sentence(m.string, m.end()) else ""


# --- rules, in the order they run -----------------------------------------------------------

_CANONICAL_CHARS = str.maketrans({
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "《": '"', "》": '"', "‘": "'", "’": "'", "‚": "'", "`": "'", "´": "'",
    "，": ",", "、": ",", "。": ".", "！": "!", "？": "?", "；": ";", "：": ":", "（": "(",
    "）": ")", "【": "(", "】": ")", "［": "(", "］": ")", "[": "(", "]": ")", "·": " ",
    "−": "-", "‐": "-", "‑": "-", "―": "—", "～": "~", "．": ".", "￥": "¥",
})


def _canonical(text: str) -> str:
    """One spelling per punctuation mark; spaces/tabs collapsed (newlines kept: they mark
    paragraphs)."""
    text = text.translate(_CANONICAL_CHARS)
    text = re.sub(r"\.{3,}|…+", "…", text)
    text = re.sub(r"(?<=\d)\s*[–~]\s*(?=\d)", " to ", text)  # 5–10, 5~10
    text = re.sub(r"(\d\s?[AaPp]\.?\s?[Mm]\.?)\s*[–-]\s*(?=\d)", r"\1-", text)  # 10am–2pm, 10am - 6pm
    text = re.sub(r"\s*(?:—+|–|--+|(?<=\s)-(?=\s))\s*", " — ", text)  # dashes between words
    text = text.replace("~", " ")
    return re.sub(r"[ \t\f\v]+", " ", text)


def _describes_noun(m: re.Match[str]) -> bool:
    """Does the matched amount describe the noun after it ("a $5 bill", "a 5 km run"), so
    its unit is said in the singular?"""
    return (re.search(r"\b(?:a|an|the|this|that|our|your|my)\s+$", context.before(m), re.IGNORECASE) is not None
            and re.match(rf"\s+(?!{_NOT_COUNTED}\b)[A-Za-z]", context.after(m)) is not None)


# Words after an amount that are not what it counts or describes ("a $5 or ...", "3B is").
_NOT_COUNTED = (r"(?:and|or|to|of|in|on|for|per|a|an|the|is|was|are|were|has|had|each|off|from|with|away|ago"
                r"|I|at|by|as|but|so|if|than|then|it|this|that|you|we|they|he|she|me|us|them|him|her|my"
                r"|your|our|their|his|its|will|would|can|could|should|must|may|might|do|did|does)")


_OPERATORS = {"+": "plus", "-": "minus", "×": "times", "*": "times", "x": "times", "÷": "divided by",
              "/": "divided by", "=": "equals"}


def _math(text: str) -> str:
    """2+2=4 -> two plus two equals four; 5 × 3 = 15; x = 5 -> x equals five; 12 x 8 x 4 and
    1920x1080 -> twelve by eight by four (dimensions)."""
    number = r"-?\d+(?:\.\d+)?"

    def equation(m: re.Match[str]) -> str:
        return re.sub(r"(?<=[\d\s])\s*([-+×*x÷/=])\s*(?=[-\d])", lambda o: f" {_OPERATORS[o[1]]} ", m[0])
    text = re.sub(rf"(?<![\w.])\d+(?:\.\d+)?(?:\s?[-+×*x÷/]\s?{number})+\s?=\s?{number}(?![\w]|\.\d)",
                  equation, text)
    text = re.sub(r"(?<=\w)\s?=\s?(?=[\w-])", " equals ", text)  # x = 5
    text = text.replace("=", " ")
    # A ratio where one is meant ("a 2:1 ratio", "odds of 3:1", "16:9 aspect"), not "Genesis 1:1".
    text = re.sub(r"\b(a|an|of)\s(\d{1,2}):(\d)(?![\d:])", r"\1 \2 to \3", text)
    text = re.sub(r"(?<![\w:.])(\d{1,2}):(\d{1,2})(?![\d:])",
                  lambda m: f"{m[1]} to {m[2]}" if re.search(r"\b(?:ratio|odds|mix|mixed|scale)\b[^.!?\d]{0,25}$",
                                                             context.before(m), re.IGNORECASE) else m[0], text)
    text = re.sub(r"(?<![\w:.])(\d{1,2}):(\d{1,2})(?=\s+(?:ratio|odds|split|aspect|scale|mix|lead|win|victory)\b)",
                  r"\1 to \2", text)
    return re.sub(r"(?<=\d)\s?[x×]\s?(?=\d)", " by ", text)


def _feet_inches(text: str) -> str:
    """6'2" -> six foot two; 5 ft 10 in -> five feet ten inches; a 65" TV -> a sixty five inch
    TV; 65" -> sixty five inches."""
    text = re.sub(r"(?<![\w.])(\d+)\s?ft\.?\s?(\d{1,2})\s?in\b", lambda m: f"{m[1]} ft {m[2]} inches", text)
    text = re.sub(r"(?<![\w.'])(\d)'\s?(\d{1,2})(?:\"|'')?(?![\w\d])", lambda m: f"{cardinal(m[1])} foot {cardinal(m[2])}", text)
    def inches(m: re.Match[str]) -> str:
        if len(re.findall(r'(?<!\d)"', context.before(m))) % 2:  # it closes a quote: 'Press "1"'
            return m[0]
        return f"{cardinal(m[1])} {'inch' if _describes_noun(m) else 'inches'}"
    return re.sub(r"(?<![\w.])(\d{1,3})\"(?=\s|$|[.,;!?])", inches, text)


# Days of the week: abbreviations are read in full where they are dates, not words ("Sat").
_DAYS = {"mon": "Monday", "tue": "Tuesday", "tues": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
         "thur": "Thursday", "thurs": "Thursday", "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
_DAY = (r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues|Tue|Wed|Thurs|Thur|Thu"
        r"|Fri|Sat|Sun)")


def _day_name(word: str) -> str:
    return _DAYS.get(word.lower().rstrip("."), word)


def _days(text: str) -> str:
    """Mon-Fri / Monday–Friday -> Monday to Friday; "Sat., Oct. 12" / "Wed, Jan 3rd" ->
    Saturday, Wednesday (an abbreviation only before a date: "Sat" alone is a verb)."""
    text = re.sub(rf"(?<![\w.])({_DAY})\.?\s?(?:-|—|to)\s?({_DAY})(?P<dot>\.)?(?!\w)",
                  lambda m: f"{_day_name(m[1])} to {_day_name(m[2])}" + _full_stop(m, bool(m["dot"])), text)
    return re.sub(rf"(?<![\w.])({_DAY})\.?(?=,?\s+(?:{_MONTHS}|\d))",
                  lambda m: _day_name(m[1]), text)


# Roman numerals (I, V and X only: 1-39) after these words are numbers ("World War II" -> two).
_ROMAN_AFTER = (r"(?:war|chapter|part|volume|vol|act|book|phase|type|stage|level|episode|section|article"
                r"|title|class|round|season|grade|tier|apollo)")
# ... and after these names they are regnal ("Henry VIII" -> Henry the eighth).
_REGNAL_NAMES = (r"(?:Henry|Elizabeth|Louis|George|Charles|Edward|William|James|Richard|John|Paul|Pius|Leo"
                 r"|Benedict|Gregory|Innocent|Clement|Alexander|Nicholas|Frederick|Philip|Peter|Catherine"
                 r"|Mary|Ramesses|Ramses|Napoleon|Constantine|Felipe|Carlos|Ferdinand|Francis|Henri"
                 r"|Wilhelm|Otto|Gustav|Olaf|Harald|Haakon|Christian|Frederik|Umberto|Alfonso|Isabella"
                 r"|Anne|Sixtus|Urban|Boniface|Martin|Juan|Victor|Ivan|Stephen|David)")
# Capitalised words after which a numeral is no sequel number ("The IV drip", "Gen X").
_NOT_TITLES = (r"(?:The|A|An|This|That|These|Those|My|Your|Our|His|Her|Their|Its|In|On|At|Of|And|Or|With"
               r"|For|To|From|By|Gen|Generation|Malcolm|Planet|Brand|Size|Vitamin)")


def _roman_value(numeral: str) -> int | None:
    """"VIII" -> 8; not a well-formed numeral of I, V and X -> None."""
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for i, ch in enumerate(numeral):
        v = values[ch]
        total += -v if i + 1 < len(numeral) and values[numeral[i + 1]] > v else v
    ones = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")
    return total if 0 < total < 40 and "X" * (total // 10) + ones[total % 10] == numeral else None


def _roman(text: str) -> str:
    """World War II -> World War two; Henry VIII -> Henry the eighth; Type I -> Type one. A
    lone "I" or a numeral after other words is left as written."""
    def repl(m: re.Match[str]) -> str:
        value = _roman_value(m["num"])
        if value is None:
            return m[0]
        if re.fullmatch(_REGNAL_NAMES, m["word"]) and m["num"] != "I":  # "Elizabeth I love ..."
            return f"{m['word']} the {_ordinal_words(value)}"
        keyword = re.fullmatch(_ROMAN_AFTER, m["word"], re.IGNORECASE)
        if len(m["num"]) == 1:  # "War I", "Chapter V"; not "the book I read"
            sequel = keyword and m["word"][0].isupper()
        else:  # "type II", "Rocky II", "Final Fantasy VII"
            sequel = keyword or (m["word"][0].isupper() and not re.fullmatch(_NOT_TITLES, m["word"]))
        if sequel:
            return f"{m['word']} {cardinal(str(value))}"
        return m[0]
    return re.sub(r"\b(?P<word>[A-Za-z]+)\.?\s+(?P<num>[IVX]{1,6})(?![\w'-])", repl, text)


# Emergency and service numbers, read digit by digit after "call" or "dial".
_SERVICE_NUMBERS = r"(?:911|999|112|111|000|411|311|211|988)"
# Words before a seven-digit local number ("call 555-1234"), which is otherwise a range.
_PHONE_WORDS = r"(?:call|phone|telephone|tel|dial|fax|mobile|cell)"


def _phone_digits(group: str, area: bool = False) -> str:
    """A group of a phone number digit by digit; an area code like 800 as "eight hundred"."""
    if area and re.fullmatch(r"[2-9]00", group):
        return f"{_DIGIT_WORDS[int(group[0])]} hundred"
    return _digits(group)


def _telephones(text: str) -> str:
    """Phone numbers, group by group with a short pause between: "1-800-555-0199" -> "one,
    eight hundred, five five five, zero one nine nine"; "(555) 123-4567"; "+44 20 7946 0958"
    -> "plus four four, two zero, ..."; "call 555-1234" (a bare 555-1234 is a range)."""
    def nanp(m: re.Match[str]) -> str:
        groups = [_phone_digits(m["area"] or m["area2"], area=True), _digits(m["ex"]), _digits(m["line"])]
        return ", ".join(([_digits(m["cc"])] if m["cc"] else []) + groups)
    text = re.sub(r"(?<![\w.+-])(?:\+?(?P<cc>1)[-. ])?(?:\((?P<area>\d{3})\)\s?|(?P<area2>\d{3})[-.])"
                  r"(?P<ex>\d{3})[-.](?P<line>\d{4})(?![\w-]|[.-]\d)", nanp, text)

    def international(m: re.Match[str]) -> str:
        groups = re.findall(r"\d+", m[0])
        if not 7 <= sum(map(len, groups)) <= 15:
            return m[0]
        return "plus " + ", ".join(_digits(g) for g in groups)
    text = re.sub(r"(?<![\w+])\+\d{1,3}(?:[ -]\(?\d{1,5}\)?){2,6}(?![\w-])", international, text)

    text = re.sub(rf"(?<=\b(?:call|dial|Call|Dial|CALL|DIAL) )({_SERVICE_NUMBERS})(?!\w)", lambda m: _digits(m[1]), text)

    def local(m: re.Match[str]) -> str:
        if not re.search(rf"\b{_PHONE_WORDS}\b[^.!?;\d]{{0,20}}$", context.before(m), re.IGNORECASE):
            return m[0]
        return f"{_digits(m[1])}, {_digits(m[2])}"
    return re.sub(r"(?<![\w.+-])(\d{3})-(\d{4})(?![\w-]|[.-]\d)", local, text)


_MONTH_NUMBERS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                  "oct": 10, "nov": 11, "dec": 12}
# An abbreviation's period is part of it ("Jan. 5"); after a full name it ends the sentence.
_MONTH_WORD = (r"(?P<mon>january|february|march|april|may|june|july|august|september|october|november"
               r"|december|(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?)")
# Month words that are also everyday words: a date only when written capitalised, with a year,
# or with an ordinal day ("may 5" in "you may 5 times…" is not a date).
_MONTH_WORDS_TOO = {"may", "mar", "march"}


def _month(word: str) -> int:
    return _MONTH_NUMBERS[word[:3].lower()]


def _ordinal_words(n: int) -> str:
    return _words(num2words(n, lang="en", to="ordinal"))


def _year_words(year: str) -> str:
    """A year as written: four digits as a year ("twenty twelve", "two thousand six",
    "nineteen oh five"); two digits as the two digits are said ("ninety eight", "oh five")."""
    if len(year) == 2:
        return f"oh {_DIGIT_WORDS[int(year[1])]}" if year[0] == "0" else cardinal(year)
    return _year(int(year))


def _month_day(month: int, day: int, year: str | None) -> str:
    """"May fifth" / "May fifth, twenty twelve" (the American order, month first)."""
    spoken = f"{_MONTH_NAMES[month - 1]} {_ordinal_words(day)}"
    return f"{spoken}, {_year_words(year)}" if year else spoken


def _day_month(day: int, month: int, year: str | None, the: bool = True) -> str:
    """"the fifth of May" / "the fifth of May, twenty twelve" (day first, as written)."""
    spoken = f"{'the ' if the else ''}{_ordinal_words(day)} of {_MONTH_NAMES[month - 1]}"
    return f"{spoken}, {_year_words(year)}" if year else spoken


def _dates(text: str) -> str:
    """Dates in their common written forms -> words, days as ordinals and years as years.

    * Month first: "July 25 2012", "Jan. 15, 2020", "jan 15", "Jan-15-2020" -> "January
      fifteenth, twenty twenty".
    * Day first: "25 July 2012", "25th of Jul", "the 26th May" -> "the twenty-fifth of July,
      twenty twelve".
    * Numeric: "2016-11-03", "2016/07/03" (year first: year, month, day); "10/06/2005",
      "01.10.2010", "11/17/05" (month first, the American order) unless the first number
      cannot be a month: "15-01-2020", "15.01.2020" -> "the fifteenth of January".
    * Quarters: "2Q22" -> "the second quarter of twenty two"; eras: "340 A.D" -> "three forty AD".
    """
    flags = re.IGNORECASE
    day_re = r"(?P<day>\d{1,2})(?P<suffix>st|nd|rd|th)?"

    def month_first(m: re.Match[str]) -> str:
        month, day = _month(m["mon"]), int(m["day"])
        if not 1 <= day <= 31 or (m["mon"].lower() in _MONTH_WORDS_TOO and m["mon"].islower()
                                  and not (m["year"] or m["suffix"])):
            return m[0]
        return _month_day(month, day, m["year"])
    text = re.sub(rf"(?<![\w.]){_MONTH_WORD}(?:\s+|-){day_re}(?![\d:.]\d|\w)"
                  r"(?:(?:,?\s+|-)(?P<year>\d{4})(?![\w]|[.,:]\d))?", month_first, text, flags=flags)

    def day_first(m: re.Match[str]) -> str:
        month, day = _month(m["mon"]), int(m["day"])
        if not 1 <= day <= 31 or (m["mon"].lower() in _MONTH_WORDS_TOO and m["mon"].islower() and not m["year"]):
            return m[0]
        the = m["the"] or ""
        # "Happy 4th of July" is said as written; "on 4 July" gains its "the".
        as_written = m["of"] and not re.search(rf"\b{_DATE_PREPOSITIONS}\s+$", context.before(m), flags)
        return the + _day_month(day, month, m["year"], the=not (the or as_written))
    text = re.sub(rf"(?<![\w.$£€¥₩])(?P<the>the\s+)?{day_re}\s+(?P<of>of\s+)?{_MONTH_WORD}(?!\w)"
                  r"(?:,?\s+(?P<year>\d{4})(?![\w]|[.,:]\d))?", day_first, text, flags=flags)

    def numeric(m: re.Match[str]) -> str:
        a, b, c = m["a"], m["b"], m["c"]
        if len(a) == 4:  # year first
            year, month, day = a, int(b), int(c)
            if len(c) > 2:
                return m[0]
        else:
            if len(c) not in (2, 4):
                return m[0]
            year = c
            month, day = int(a), int(b)
            if month > 12 and day <= 12:  # the first number cannot be a month: day first
                return _day_month(month, day, year)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m[0]
        return _month_day(month, day, year)
    text = re.sub(r"(?<![\w./:-])(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
                  r"(?![\w]|[/.:-]\d)", numeric, text)

    text = re.sub(rf"(?<![\w.]){_MONTH_WORD}\s+(?P<year>\d{{4}})(?![\w]|[.,:]\d)",
                  lambda m: f"{_MONTH_NAMES[_month(m['mon']) - 1]} {_year_words(m['year'])}", text, flags=flags)

    def quarter(m: re.Match[str]) -> str:
        return f"the {_ordinal_words(int(m[1]))} quarter of {_year_words(m[2]) if len(m[2]) == 4 else cardinal(m[2])}"
    text = re.sub(r"(?<![\w.])([1-4])Q(\d{2}|\d{4})(?!\w)", quarter, text)

    def era(m: re.Match[str]) -> str:
        letters = m[2].replace(".", "").upper()
        return f"{_year(int(m[1]))} {' '.join(letters) if len(letters) > 2 else letters}"
    return re.sub(r"(?<![\w.,])(\d{1,4})\s?(A\.D\.?|B\.C\.?|AD|BC|BCE|CE)(?![\w])", era, text)


def _titles_and_abbreviations(text: str) -> str:
    """Expand abbreviations so their periods do not become pauses."""
    title_re = r"(?<![\w.])(" + "|".join(_TITLES) + r")\.(?=\s)"
    text = re.sub(title_re, lambda m: _TITLES[m[1]], text)

    def doctor(m: re.Match[str]) -> str:
        # "Dr. Smith" is a doctor; "Mulholland Dr. and ..." is a drive. Never a sentence end.
        if _before_capital(m) or not _after_name(m):
            return "Doctor"
        return "Drive"
    text = re.sub(r"(?<![\w.])[Dd]r\.", doctor, text)

    def saint(m: re.Match[str]) -> str:
        # "St. Louis" is a saint; "Baker St." is a street (which may end a sentence).
        if _before_capital(m) and not _after_name(m):
            return "Saint"
        return "Street" + _full_stop(m)
    text = re.sub(r"(?<![\w.])St\.", saint, text)

    # "No. 5" is "number five"; "No." before anything else is the word no.
    text = re.sub(r"(?<![\w.])(N|n)o\.\s*(?=#?\d)", lambda m: "Number " if m[1] == "N" else
                  "number ", text)
    text = re.sub(r"(?<![\w.])#(?=\d)", "number ", text)

    inner_re = (r"(?<![\w.])(" + "|".join(re.escape(a) for a in _INNER_ABBREVIATIONS)
                + r")\.(?!\w)")
    text = re.sub(inner_re, lambda m: _INNER_ABBREVIATIONS[m[1].lower()], text,
                  flags=re.IGNORECASE)
    abbr_re = r"(?<![\w.])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")\.(?!\w)"
    text = re.sub(abbr_re, lambda m: _ABBREVIATIONS[m[1].lower()] + _full_stop(m), text,
                  flags=re.IGNORECASE)
    return text


def _initialisms(text: str) -> str:
    """U.S.A. -> U S A (capital letters, which espeak reads as letter names)."""
    def repl(m: re.Match[str]) -> str:
        letters = " ".join(m[0].replace(".", "").upper())
        return letters + _full_stop(m)
    return re.sub(r"(?<![\w.])(?:[A-Za-z]\.){2,}(?!\w)", repl, text)


_TIME_ZONES = ("EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST", "HST", "GMT", "UTC", "BST",
               "CET", "CEST", "EET", "IST", "JST", "KST", "AEST", "AEDT", "NZST", "ET", "PT", "CT", "MT")


def _unit_count(n: int, unit: str) -> str:
    return f"{cardinal(str(n))} {unit}{'' if n == 1 else 's'}"


def _times(text: str) -> str:
    """3:15 -> three fifteen; 3:05 -> three oh five; 3:00 -> three o'clock; 10:30pm -> ten
    thirty p.m.; 1.59 p.m. -> one fifty nine p.m.; 14:10:30 -> fourteen hours ten minutes and
    thirty seconds; a time zone after a time is spelled (EST -> E S T); 2pm-5pm -> two p.m.
    to five p.m. ("a.m."/"p.m." are single words that espeak and cmudict both know; "a m"
    would be read as the article "a")."""
    ampm = r"\s*(?P<ap>[AaPp])\.?\s?[Mm](?P<dot>\.)?(?!\w)"
    zones = "|".join(r"\.?".join(z) for z in sorted(_TIME_ZONES, key=len, reverse=True))
    zone = rf"(?:\s?(?P<zone>{zones})\.?(?!\w))?"
    # Ranges of times: the hyphen reads "to" (not a minus).
    text = re.sub(r"(?<=\d)(\s?[AaPp]\.?\s?[Mm]\.?)\s?-\s?(?=\d)", r"\1 to ", text)
    text = re.sub(r"(?<![\w:.])(\d{1,2}:\d{2})\s?-\s?(?=\d{1,2}:\d{2}(?!\d))", r"\1 to ", text)

    def repl(m: re.Match[str]) -> str:
        hour, minute = int(m["h"]), int(m["m"]) if m["m"] else 0
        if hour > 24 or minute > 59 or (m["ap"] and hour > 12):
            return m[0]
        if m["s"]:  # with seconds: a clock reading of hours, minutes and seconds
            second = int(m["s"])
            if second > 59:
                return m[0]
            parts = [f"{_unit_count(hour, 'hour')} {_unit_count(minute, 'minute')} and "
                     f"{_unit_count(second, 'second')}"]
        else:
            parts = [cardinal(str(hour))]
            if m["m"] and minute == 0 and not m["ap"]:
                parts.append("hundred" if hour > 12 else "o'clock")
            elif minute:
                parts.append(f"oh {_DIGIT_WORDS[minute]}" if minute < 10 else cardinal(str(minute)))
        if m["ap"]:
            parts.append(m["ap"].lower() + ".m." + ("" if m["zone"] else _full_stop(m, bool(m["dot"]))))
        if m["zone"]:
            parts.append(" ".join(m["zone"].replace(".", "").upper()) + _full_stop(m, m[0].endswith(".")))
        return " ".join(parts)

    text = re.sub(r"(?<![\w:.])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?![\d:])"
                  rf"(?:{ampm})?{zone}", repl, text, flags=re.IGNORECASE)
    # "1.59 p.m.": a dot between hour and minutes, only with am/pm (else it is a decimal).
    text = re.sub(rf"(?<![\w:.])(?P<h>\d{{1,2}})\.(?P<m>\d{{2}})(?P<s>){ampm}{zone}", repl, text,
                  flags=re.IGNORECASE)
    # "3pm", "3 p.m." (no minutes): only with am/pm, else it is a plain number.
    return re.sub(r"(?<![\w:.])(?P<h>\d{1,2})(?P<m>)(?P<s>)" + ampm + zone, repl, text, flags=re.IGNORECASE)


def _currency(text: str) -> str:
    """$12.50 -> twelve dollars and fifty cents; €5m -> five million euros; $.01 -> one cent;
    $5-10 -> five to ten dollars; $5-$10 -> five dollars to ten dollars; US$5 -> five US dollars."""
    scale = r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|[kKmMbB])(?![\w]))?"

    def spoken(m: re.Match[str], int_part: str, frac: str | None, with_unit: bool = True) -> str:
        unit, units, sub, subs = _CURRENCIES[m["cur"]]
        if m["us"]:
            unit, units = f"US {unit}", f"US {units}"
        # Zeros past the cents add nothing: "$20.500" is twenty dollars fifty cents.
        if frac and len(frac) > 2 and not frac[2:].strip("0"):
            frac = frac[:2]
        if m["scale"]:
            return f"{_number(int_part or '0', frac)} {_SCALES[m['scale'].lower()]}" + (f" {units}" if with_unit else "")
        if frac and sub is not None and len(frac) <= 2:
            cents = int(frac.ljust(2, "0"))
            whole = int(int_part.replace(",", "")) if int_part else 0
            spoken_units = f"{cardinal(int_part)} {unit if whole == 1 else units}" if whole else ""
            spoken_cents = f"{cardinal(str(cents))} {sub if cents == 1 else subs}"
            if cents == 0:
                return spoken_units or f"zero {units}"
            if whole == 0:
                return spoken_cents
            return f"{spoken_units} and {spoken_cents}"
        amount = _number(int_part, frac) if int_part else f"point {_digits(frac or '')}"
        if not with_unit:
            return amount
        return f"{amount} {unit if _is_one(int_part or '0', frac) else units}"

    def repl(m: re.Match[str]) -> str:
        spoken_amount = ("minus " if m["sign"] else "") + spoken(m, m["int"], m["frac"])
        # "a $5 bill", "the $20 gift card": the amount describes a noun, its unit is singular.
        if _describes_noun(m) and not (m["frac"] and m["frac"].strip("0")):
            unit, units = _CURRENCIES[m["cur"]][:2]
            spoken_amount = re.sub(rf"\b{units}$", unit, spoken_amount)
        return spoken_amount

    def span(m: re.Match[str]) -> str:  # "$5-10", "$5 to 10" with one symbol: one unit at the end
        first = spoken(m, m["int"], m["frac"], with_unit=False)
        return f"{first} to {spoken(m, m['int2'], m['frac2'])}"

    # "$5-$10": two amounts, each with its unit, the hyphen read as "to".
    text = re.sub(r"(?<=\d)\s?-\s?(?=(?:US\s?)?[$£€¥₩]\s?\.?\d)", " to ", text)
    cur = r"(?P<us>US\s?)?(?P<cur>[$£€¥₩])"
    amount = rf"(?P<int>{_INT})?(?:\.(?P<frac>\d+))?(?<=\d)"
    text = re.sub(rf"(?<![\w.])(?P<sign>)(?P<scale>){cur}\s?{amount}\s?(?:-|to)\s?(?P<int2>{_INT})"
                  rf"(?:\.(?P<frac2>\d+))?(?!\w|\.\d)", span, text)
    text = re.sub(rf"(?<![\w.])(?P<sign>-)?{cur}\s?{amount}{scale}", repl, text)
    # Amount before the symbol, as written in much of Europe: "5 €", "12,50€" is not handled.
    return re.sub(rf"(?<![\w.])(?P<sign>-)?(?P<us>)(?P<int>{_INT})(?:\.(?P<frac>\d+))?(?P<scale>)\s?(?P<cur>[$£€¥₩])",
                  repl, text)


_PER = {"mo": "month", "month": "month", "yr": "year", "year": "year", "wk": "week", "week": "week",
        "day": "day", "hr": "hour", "hour": "hour", "min": "minute", "person": "person", "user": "user",
        "seat": "seat", "night": "night", "kg": "kilogram", "lb": "pound", "item": "item", "each": "each"}


def _per(text: str) -> str:
    """$4.99/mo -> ... per month; 60 km/hr -> ... per hour (after a number or an amount)."""
    names = "|".join(sorted(_PER, key=len, reverse=True))
    return re.sub(rf"(\d\s?(?:[A-Za-z]{{1,3}})?)\s?/\s?({names})\b", lambda m: f"{m[1]} per {_PER[m[2].lower()]}", text,
                  flags=re.IGNORECASE)


def _percentages(text: str) -> str:
    """25% -> twenty-five percent; 3.5% -> three point five percent; 3-5% and 50%-60% ->
    three to five percent."""
    text = re.sub(rf"(?<![\w.-])(?P<int>{_INT})(?:\.(?P<frac>\d+))?\s?%?\s?(?:-|to)\s?"
                  rf"(?P<int2>{_INT})(?:\.(?P<frac2>\d+))?\s?%",
                  lambda m: f"{_number(m['int'], m['frac'])} to {_number(m['int2'], m['frac2'])} percent", text)
    text = re.sub(rf"(?<![\w.])(?P<sign>-)?(?P<int>{_INT})(?:\.(?P<frac>\d+))?\s?%",
                  lambda m: _number(m["int"], m["frac"], m["sign"]) + " percent", text)
    return text.replace("%", " percent ")


def _ordinal_suffix(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _ordinals(text: str) -> str:
    """21st -> twenty-first. A suffix that does not fit the number ("4rd") is read as
    written, number then letters: it may be a code, not a rank."""
    def repl(m: re.Match[str]) -> str:
        n = int(m[1].replace(",", ""))
        if m[2].lower() != _ordinal_suffix(n):
            return f"{cardinal(m[1])} {m[2]}"
        return _ordinal_words(n)
    return re.sub(rf"(?<![\w.])({_INT})(st|nd|rd|th)\b", repl, text, flags=re.IGNORECASE)


def _decades(text: str) -> str:
    """1990s -> nineteen nineties; '80s / 80s -> eighties."""
    text = re.sub(r"(?<![\w.])((?:1[1-9]|20)\d0) s\b", r"\1s", text)  # "1980 s"
    text = re.sub(r"(?<![\w.])(1[1-9]|20)(\d)0'?s\b",
                  lambda m: _plural_decade(_year(int(m[1] + m[2] + "0"))), text)
    return re.sub(r"(?<![\w.])'?([2-9])0'?s\b",
                  lambda m: _plural_decade(cardinal(m[1] + "0")), text)


_BETWEEN_YEARS = re.compile(r"\s*(?:to|through|until|till|and|or)\s*")


def _years(text: str) -> str:
    """A four-digit number 1100-2099 reads as a year when it stands alone in its clause, or
    follows in/of/since/by/from/..., a month ("March 3rd, 2024"), a quarter or half ("Q3
    2024"), or ends a range that starts with a year ("from 1990 to 2000", "2010-2020")."""
    # "2010-2020", "2010–2020", "1990-95": a rising pair of years (before "-" is read as a range).
    def span(m: re.Match[str]) -> str:
        first, second = int(m[1]), int(m[2]) if len(m[2]) == 4 else int(m[1][:2] + m[2])
        if not (YEAR_MIN <= first < second <= YEAR_MAX):
            return m[0]
        return f"{_year(first)} to {_year_words(m[2])}"
    text = re.sub(r"(?<![\w.,$£€¥:-])(\d{4})(?:\s?-\s?|\s+to\s+)(\d{4}|\d{2})(?![\w%-]|[.,:]\d)", span, text)
    after_word = re.compile(rf"(?:\b{_YEAR_PREPOSITIONS}|\b[QH][1-4])\s+$", re.IGNORECASE)
    years_end: list[int] = []  # where the years read so far end: "from 1990 to 2000"
    after_month = re.compile(rf"(?:\b{_MONTHS}\.?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?"
                             rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\.?,?\s+)$")
    clause_edge = r"[.!?;:,\n\"()—…]"

    def repl(m: re.Match[str]) -> str:
        n = int(m[1])
        if not YEAR_MIN <= n <= YEAR_MAX:
            return m[0]
        before, after = context.before(m), context.after(m)
        alone = (re.search(rf"(?:^|{clause_edge})\s*$", before) is not None
                 and re.match(rf"\s*(?:$|{clause_edge})", after) is not None)
        # Read as a year at the end of its clause ("The year was 1985."), before a name ("the
        # 1984 Olympics"), or opening a clause before a verb ("2024 was ..."); not before a
        # word it counts ("1999 apples").
        last = re.match(rf"\s*(?:$|{clause_edge})", after) is not None
        named = (re.match(r"\s+[A-Z][a-z]", after) is not None
                 and re.search(r"\b(?:the|a|an|his|her|their|our|my|your)\s+$", before, re.IGNORECASE) is not None)
        opens = (re.search(rf"(?:^|{clause_edge})\s*$", before) is not None
                 and re.match(rf"\s+{_YEAR_VERBS}\b", after) is not None)
        continues = bool(years_end) and _BETWEEN_YEARS.fullmatch(m.string, years_end[-1], m.start()) is not None
        if alone or last or named or opens or continues or after_word.search(before) or after_month.search(before):
            years_end.append(m.end())
            return _year(n)
        return m[0]
    return re.sub(r"(?<![\w.,$£€¥:-])(\d{4})(?![\w%]|[.,:]\d)", repl, text)


# Denominators read as fractions ("3/4" -> three quarters); others ("9/11", "24/7") are not.
_FRACTION_DENOMINATORS = (2, 3, 4, 5, 8, 10, 16)


def _fraction(numerator: int, denominator: int) -> str:
    """3, 4 -> "three quarters"; 1, 2 -> "one half"."""
    if denominator == 2:
        part = "half" if numerator == 1 else "halves"
    elif denominator == 4:
        part = "quarter" if numerator == 1 else "quarters"
    else:
        part = _ordinal_words(denominator) + ("" if numerator == 1 else "s")
    return f"{cardinal(str(numerator))} {part}"


# Words before a score written with a slash ("scored 12/20"): read "out of".
_SCORE_WORDS = r"\b(?:scored?|got|get|need|needs|rated|rating|grade|marks?|points?|answered|passed)\s+$"


def _mixed(whole: str, numerator: int, denominator: int) -> str:
    """"2", 1, 2 -> "two and a half"; "2", 3, 4 -> "two and three quarters"."""
    part = "a half" if (numerator, denominator) == (1, 2) else _fraction(numerator, denominator)
    return f"{cardinal(whole)} and {part}"


def _fractions(text: str) -> str:
    """1/2 -> one half; 3/4 -> three quarters; 2 1/2 -> two and a half; "on 3/4", "by
    12/25" -> a date (month first, as numeric dates); "4.5/5", "4/5 stars", "10/10" -> four
    point five out of five. Other pairs are left for the slash to be read as a pause ("24/7",
    "9/11", "50/50")."""
    def repl(m: re.Match[str]) -> str:
        whole, num, den = m["whole"], m["num"], m["den"]
        before = context.before(m)
        fraction = "." not in num and 0 < int(num) < int(den) and int(den) in _FRACTION_DENOMINATORS
        date_word = re.search(rf"\b{_DATE_PREPOSITIONS}\s+$", before, re.IGNORECASE)
        # "on 3/4" is a date; "from 1/2 cup" stays a fraction (from/before/after are weaker).
        if (not whole and "." not in num and date_word
                and not (fraction and date_word[0].split()[0].lower() in ("from", "before", "after"))):
            month, day = int(num), int(den)
            return _month_day(month, day, None) if 1 <= month <= 12 and 1 <= day <= 31 else m[0]
        word_after = re.match(r"\s+([a-z]+)", context.after(m))
        scored = re.search(_SCORE_WORDS, before, re.IGNORECASE) is not None
        if (not whole and "." not in num and not fraction and 1 <= int(num) <= 12 and 12 < int(den) <= 31
                and not word_after
                and not scored):
            return _month_day(int(num), int(den), None)  # "Sale ends 12/31": the day is no month
        of = re.match(r"\s+of\b", context.after(m))
        if of and not whole and "." not in num and 0 < int(num) < int(den):
            return _fraction(int(num), int(den))  # "got 5/12 of the votes", "1/30 of a second"
        rating = ("." in num or (num == den and int(den) <= 10) or (den == "10" and not of)
                  # after "got"/"rated", a common fraction is a score unless a noun follows ("need 1/2 cup")
                  or (scored and (not fraction or not re.match(rf"\s+(?!{_NOT_COUNTED}\b)[a-z]", context.after(m))
                                  or re.match(r"\s+(?:right|correct)\b", context.after(m))))
                  or re.match(r"\s+(?:stars?|points?)\b", context.after(m)))
        if rating and not whole and float(num) <= int(den):
            int_part, _, frac = num.partition(".")
            return f"{_number(int_part, frac or None)} out of {cardinal(den)}"
        n, d = int(num) if "." not in num else 0, int(den)
        if 0 < n < d and d not in _FRACTION_DENOMINATORS and not whole and word_after:
            if word_after[1] in ("of", "scale", "second", "inch", "mile"):
                return _fraction(n, d)  # "1/30 of a second", "a 1/25 scale model"
            if scored or re.match(r"\s+(?:to pass|correct|right|questions|points|marks)\b", context.after(m)):
                return f"{cardinal(num)} out of {cardinal(den)}"  # "You need 8/15 to pass"
            return m[0]  # "9/11 changed everything"
        if not (0 < n < d and d in _FRACTION_DENOMINATORS):
            return m[0]
        if not whole:
            return _fraction(n, d)
        return _mixed(whole, n, d)
    return re.sub(r"(?<![\w./-])(?:(?P<whole>\d+)\s)?(?P<num>\d{1,2}(?:\.\d)?)/(?P<den>\d{1,2})(?![\w/]|[.,]\d)",
                  repl, text)


# Words before numbered items ("Figure 2-1", "Lesson 3-2"): their hyphen is no range.
_NUMBERED_ITEMS = (r"(?:figure|fig|table|lesson|chapter|section|step|exercise|unit|page|p|pp|article|rule"
                   r"|equation|eq|example|appendix|slide|question|problem|item)")


def _ranges(text: str) -> str:
    """5-10 -> 5 to 10 (before numbers are read, so the hyphen is not taken as a minus); so
    are single digits that go down ("open 9-5", "won 3-2"). A longer pair that goes down
    ("978-0", a code or a part number) is not a range: the hyphen is a separator, read as a
    short pause."""
    def repl(m: re.Match[str]) -> str:
        small = (len(m[1]) == 1 and len(m[2]) == 1
                 and not re.search(rf"\b{_NUMBERED_ITEMS}\.?\s+$", context.before(m), re.IGNORECASE))
        return f"{m[1]} to {m[2]}" if small or float(m[2]) >= float(m[1]) else f"{m[1]}, {m[2]}"
    return re.sub(r"(?<![\w.-])(\d+(?:\.\d+)?)\s?-\s?(\d+(?:\.\d+)?)(?![\w-]|\.\d)", repl, text)


def _units(text: str) -> str:
    """5 km -> five kilometers; 1 kg -> one kilogram; 20-25°C -> twenty to twenty five
    degrees Celsius."""
    names = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    text = re.sub(r"°\s+([CF])(?!\w)", r"°\1", text)  # "25° C" as "25°C"

    def fraction(m: re.Match[str]) -> str:  # "1/2 tsp" -> half a teaspoon; "2 1/2 cups"
        num, den = int(m["num"]), int(m["den"])
        one, many = _UNITS[m["unit"]]
        if not (0 < num < den and den in _FRACTION_DENOMINATORS):
            return m[0]
        if m["whole"]:
            return f"{_mixed(m['whole'], num, den)} {many}"
        article = "an" if one[0] in "aeiou" else "a"
        return f"half {article} {one}" if (num, den) == (1, 2) else f"{_fraction(num, den)} of {article} {one}"
    text = re.sub(rf"(?<![\w./-])(?:(?P<whole>\d+)\s)?(?P<num>\d{{1,2}})/(?P<den>\d{{1,2}})\s?(?P<unit>{names})(?![\w/])",
                  fraction, text)
    # "2h 30m", "1h30": hours and minutes, not meters.
    text = re.sub(r"(?<![\w.])(\d{1,2})\s?h\s?(\d{1,2})\s?(?:m|min)\b",
                  lambda m: f"{_unit_count(int(m[1]), 'hour')} {_unit_count(int(m[2]), 'minute')}", text)
    text = re.sub(r"(?<![\w.])5g(?=\s+(?:network|phone|speed|signal|coverage|data|plan|tower|internet|connection"
                  r"|service)s?\b)", "5 G", text)  # the network, not five grams

    def repl(m: re.Match[str]) -> str:
        one, many = _UNITS[m["unit"]]
        name = one if _is_one(m["int"], m["frac"]) or (_describes_noun(m) and not m["int0"]) else many
        spoken = f"{_number(m['int'], m['frac'], m['sign'])} {name}" + _full_stop(m, bool(m["dot"]))
        return f"{_number(m['int0'], m['frac0'])} to {spoken}" if m["int0"] else spoken
    # An optional first number: "20-25°C", "5 to 10 km" name the unit once, at the end.
    return re.sub(rf"(?<![\w.-])(?:(?P<int0>{_INT})(?:\.(?P<frac0>\d+))?\s?(?:-|to)\s?)?(?P<sign>-)?"
                  rf"(?P<int>{_INT})(?:\.(?P<frac>\d+))?\s?(?P<unit>{names})(?P<dot>\.)?(?![\w/])", repl, text)


def _bare_units(text: str) -> str:
    return re.sub(r"\b(" + "|".join(_BARE_UNITS) + r")\b", lambda m: _BARE_UNITS[m[1]], text)


def _versions(text: str) -> str:
    """1.2.3 / 192.168.0.1 -> one dot two dot three."""
    return re.sub(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w])",
                  lambda m: " dot ".join(cardinal(p) for p in m[0].split(".")), text)


def _scales(text: str) -> str:
    """1M downloads -> one million downloads; 2.5B -> two point five billion (K is left: "10K
    run" is said "ten K")."""
    big = {"M": "million", "B": "billion", "bn": "billion", "mn": "million"}

    def repl(m: re.Match[str]) -> str:
        # "2.5B", "5M+", "1M downloads" count; "Room 3B", "Apt 2B is", "a 2B pencil" do not.
        counts = "." in m[1] or m[3] or (m[2] in ("M", "mn")
                                          and re.match(rf"\s+(?!{_NOT_COUNTED}\b)[a-z]", context.after(m)))
        if not counts:
            return m[0]
        return f"{_number(*(m[1].split('.') + [None])[:2])} {big[m[2]]}" + (" plus" if m[3] else "")
    return re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(M|B|bn|mn)(\+)?(?=\s|$|[.,;!?])", repl, text)


def _split_letters_digits(text: str) -> str:
    """MP3 -> MP 3, 4K -> 4 K: digits glued to letters are read on their own; a long number
    glued to a capital prefix is a code ("SF1234567890", "A12345"), read digit by digit."""
    text = re.sub(rf"(?<![A-Za-z0-9.])([A-Z]{{1,3}})(\d{{{CODE_MIN_DIGITS},}})(?!\w|\.\d)", lambda m: f"{m[1]} {_digits(m[2])}",
                  text)
    return re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", text)


def _is_code(m: re.Match[str]) -> bool:
    """Is this bare whole number a code to read digit by digit (see ``CODE_MIN_DIGITS``)?"""
    written = m["int"]
    if m["sign"] or m["frac"] or "," in written or len(written) < CODE_MIN_DIGITS:
        return False
    before, after = context.before(m), context.after(m)
    if re.search(rf"(?:\b{_CODE_WORDS}\.?(?:\s+(?:is|was|are|were))?:?|#)\s*$", before, re.IGNORECASE):
        return True  # "zip 90210", "your code is 48213", "order #12345"
    if re.search(r",\s*(?:[A-Z]{2}|D\.? ?C\.?)\s+$", before):
        return True  # a ZIP code after "City, ST": "Springfield, IL 62704", "Washington, D.C. 20500"
    if re.search(r"\d\s*(?:to|and|or)\s*$", before):
        return False  # the end of a range or list whose first number counts: "13000 to 14000."
    # A word, "!", "+" or "-step" after it make it a quantity ("13000 people", "10000+ users");
    # so do words before it in its sentence ("Our goal is 50000."). A number that stands alone
    # in its sentence, as "13000" does, is a code.
    if re.match(r"\s*[^\W\d_]|[!+]|-[^\W\d_]", after):
        return False
    return not re.search(r"[^\W\d_][^.!?;\n]*$", before)


def _numbers(text: str) -> str:
    """Remaining numbers: -7 -> minus seven; 1,234 -> one thousand two hundred and thirty
    four; 3.14 -> three point one four; .5 -> point five; 13000 people -> thirteen thousand
    people, but zip code 90210 / 13000. -> digit by digit (a code, see ``CODE_MIN_DIGITS``)."""
    text = re.sub(rf"(?<![\w.])(?P<sign>-(?=\d))?(?P<int>{_INT})(?:\.(?P<frac>\d+))?(?!\w)",
                  lambda m: _digits(m["int"]) if _is_code(m) else _number(m["int"], m["frac"], m["sign"]),
                  text)
    text = re.sub(r"(?<![\w.])\.(\d+)(?!\w)", lambda m: "point " + _digits(m[1]), text)
    return re.sub(r"\d+", lambda m: f" {_digits(m[0])} ", text)  # anything left, e.g. 1:2:3:4


def _symbols(text: str) -> str:
    text = text.replace("&", " and ").replace("@", " at ").replace("+", " plus ")
    text = text.replace("#", " ").replace("/", " ").replace("°", " degrees ")
    # A period between letters is a dot in a name ("example.com"), not a sentence end.
    text = re.sub(r"(?<=[A-Za-z])\.(?=[A-Za-z]{2,}\b)", " dot ", text)
    # "forty-two" -> "forty two", "well-known" -> "well known": one Word per spoken word.
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)
    return text.replace("-", " ")


_RULES: tuple[Callable[[str], str], ...] = (
    _canonical, _telephones, _math, _days, _dates, _titles_and_abbreviations, _initialisms, _roman,
    _times, _per, _currency, _percentages, _feet_inches, _units, _bare_units, _decades, _years,
    _fractions, _ordinals, _ranges, _versions, _scales, _split_letters_digits, _numbers, _symbols,
)


def normalize_en(text: str) -> str:
    """Spell out English text as words a TTS reads correctly.

    Numbers, currency, percentages, times, ordinals, years and common abbreviations become
    words ("It costs $12.50." -> "It costs twelve dollars and fifty cents."); number words
    have no hyphens ("forty two"). Sentence punctuation stays so pauses can be derived; the
    periods of abbreviations and decimal points are consumed.

    Args:
        text: English text (may contain newlines; they are kept).

    Returns:
        The normalised text, single-spaced within lines.
    """
    for rule in _RULES:
        text = rule(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +(?=[,.!?;:…)])", "", text)  # "word ." -> "word."
    return re.sub(r" *\n *", "\n", text).strip(" ")
