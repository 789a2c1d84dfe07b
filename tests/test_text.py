"""Stage ``text``: normalisation, language runs, pauses, dropped characters, errors, G2P."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from talkinghead import phonemes as _phonemes
from talkinghead.errors import InputError
from talkinghead.text import (
    PAUSE_SECONDS,
    Pause,
    Phrase,
    Utterance,
    Word,
    analyze,
    normalize_en,
    normalize_zh,
    split_language_runs,
)

# --- English normalisation --------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("It costs $12.50.", "It costs twelve dollars and fifty cents."),
    ("25% of 1,234", "twenty five percent of one thousand two hundred and thirty four"),
    ("On March 3rd, 2024 at 3:15 pm", "On March third, twenty twenty four at three fifteen p.m."),
    ("Dr. Smith lives on Baker St. and has 2.5 kids",
     "Doctor Smith lives on Baker Street and has two point five kids"),
    ("-7 degrees", "minus seven degrees"),
    ("the 21st century", "the twenty first century"),
    ("1999", "nineteen ninety nine"),
    ("42", "forty two"),
    ("1st, 2nd and 3rd", "first, second and third"),
    ("In 2005 and since 2024", "In two thousand and five and since twenty twenty four"),
    ("I have 1999 apples", "I have one thousand nine hundred and ninety nine apples"),
    ("3.14", "three point one four"),
    ("$1 and $0.50", "one dollar and fifty cents"),
    ("£3.20 and €5", "three pounds and twenty pence and five euros"),
    ("¥300", "three hundred yen"),
    ("$3.5 million", "three point five million dollars"),
    ("3.5% more", "three point five percent more"),
    ("3:05", "three oh five"),
    ("3:00", "three o'clock"),
    ("10:30am and 10:30 PM", "ten thirty a.m. and ten thirty p.m."),
    ("Mr. and Mrs. Smith vs. Ms. Jones", "Mister and Missus Smith versus Miz Jones"),
    ("apples, pears, etc. The end.", "apples, pears, et cetera. The end."),
    ("e.g. this, i.e. that", "for example this, that is that"),
    ("No. 5 by Prof. Lee Jr.", "Number five by Professor Lee Junior."),
    ("Acme Inc. and Foo Ltd. make approx. 5 kg", "Acme Incorporated and Foo Limited make"
     " approximately five kilograms"),
    ("1 km in 5 min.", "one kilometer in five minutes."),
    ("Tom & Jerry", "Tom and Jerry"),
    ("forty-two well-known", "forty two well known"),
    ("pages 5-10", "pages five to ten"),
    ("the 1990s", "the nineteen nineties"),
    ("agent 007", "agent zero zero seven"),
    ("In St. Louis", "In Saint Louis"),
    ("the U.S.A. is big", "the U S A is big"),
    ("Wait... what?", "Wait… what?"),
])
def test_normalize_en(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    # month first, any case, abbreviated, with or without the year and its comma
    ("Due March 9", "Due March ninth"),
    ("due march 9th", "due March ninth"),
    ("on aug. 3, 2019", "on August third, twenty nineteen"),
    ("NOV 30 2001", "November thirtieth, two thousand and one"),
    ("Oct-4-1999", "October fourth, nineteen ninety nine"),
    ("in December 1905", "in December nineteen oh five"),
    # day first: the day is an ordinal, "of" the month
    ("on 4 October 2011", "on the fourth of October, twenty eleven"),
    ("the 3rd of dec", "the third of December"),
    ("by the 12th June", "by the twelfth of June"),
    # numeric: year first; else month first unless the first number cannot be a month
    ("2011-10-04", "October fourth, twenty eleven"),
    ("2011/10/4", "October fourth, twenty eleven"),
    ("4/10/2011", "April tenth, twenty eleven"),
    ("24/10/2011", "the twenty fourth of October, twenty eleven"),
    ("24.10.2011", "the twenty fourth of October, twenty eleven"),
    ("3/7/09", "March seventh, oh nine"),
    # decades, quarters, eras
    ("the '60s and the 1870s", "the sixties and the eighteen seventies"),
    ("the 1960 s", "the nineteen sixties"),
    ("sales in 3Q19", "sales in the third quarter of nineteen"),
    ("in 410 AD", "in four ten AD"),
    # not dates: a modal "may", version numbers, a plain count
    ("you may 2 times", "you may two times"),
    ("version 1.2.3", "version one dot two dot three"),
    ("Only 17 may attend", "Only seventeen may attend"),
])
def test_dates_read_as_people_say_them(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("at 9:15:07", "at nine hours fifteen minutes and seven seconds"),
    ("7:45 p.m. PST", "seven forty five p.m. P S T"),
    ("7:45pm e.d.t.", "seven forty five p.m. E D T."),
    ("from 9am-11am", "from nine a.m. to eleven a.m."),
    ("open 9:00-17:00", "open nine o'clock to seventeen hundred"),
    ("open 9:00–17:30", "open nine o'clock to seventeen thirty"),
    ("4.30 p.m.", "four thirty p.m.."),  # the word "p.m.", then the full stop
    ("4.30 metres", "four point three zero metres"),  # no am/pm: a decimal
])
def test_times_with_seconds_ranges_and_zones(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("$.05", "five cents"),
    ("$.125", "point one two five dollars"),
    ("£4.01", "four pounds and one penny"),
    ("$7.500", "seven dollars and fifty cents"),
    ("$3-8", "three to eight dollars"),
    ("€10 to €20", "ten euros to twenty euros"),
    ("$5-$10", "five dollars to ten dollars"),  # the hyphen is "to", not a pause between two amounts
    ("US$4 billion", "four billion US dollars"),
    ("₩5000", "five thousand won"),
])
def test_money_forms_and_ranges(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2nd and 52nd", "second and fifty second"),
    ("5rd", "five rd"),  # a suffix that does not fit: read as written
    ("12,345,678,901,234,567", "twelve quadrillion three hundred and forty five trillion six hundred and "
                               "seventy eight billion nine hundred and one million two hundred and thirty "
                               "four thousand five hundred and sixty seven"),
    ("part 42-7", "part forty two, seven"),  # going down: not a range
])
def test_ordinals_grouped_numbers_and_codes(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Five or more digits without separators: a code, read digit by digit ...
    ("13000", "one three zero zero zero"),
    ("My zip code is 90210.", "My zip code is nine zero two one zero."),
    ("order 12345 has shipped", "order one two three four five has shipped"),
    ("Ext. 12345 please", "extension one two three four five please"),
    # ... unless what it counts follows, or it is grouped, signed, decimal, money or a range.
    ("13000 people came", "thirteen thousand people came"),
    ("Our goal is 50000. Population: 80000.", "Our goal is fifty thousand. Population: eighty thousand."),
    ("Your code is 48213.", "Your code is four eight two one three."),
    ("Springfield, IL 62704. The password is 55555.",
     "Springfield, IL six two seven zero four. The password is five five five five five."),
    ("In the US, 30000 people; A 10000-step goal; SF1234567",
     "In the US, thirty thousand people; A ten thousand step goal; SF one two three four five six seven"),
    ("13,000.", "thirteen thousand."),
    ("-13000", "minus thirteen thousand"),
    ("13000.5", "thirteen thousand point five"),
    ("$15000", "fifteen thousand dollars"),
    ("from 10000 to 20000.", "from ten thousand to twenty thousand."),
    ("10000-20000", "ten thousand to twenty thousand"),
    ("9000", "nine thousand"),  # four digits are never a code
])
def test_long_ungrouped_numbers_are_codes_unless_they_count_something(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Phone numbers: group by group, a short pause between.
    ("Call 1-800-555-0199 today.", "Call one, eight hundred, five five five, zero one nine nine today."),
    ("(555) 123-4567", "five five five, one two three, four five six seven"),
    ("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("call me at 555-1234.", "call me at five five five, one two three four."),
    ("pages 555-1234", "pages five hundred and fifty five to one thousand two hundred and thirty four"),
    # Fractions, and a slash that is not one.
    ("1/2 cup", "one half cup"),
    ("3/4 of them", "three quarters of them"),
    ("2 1/2 hours", "two and a half hours"),
    ("5/8 inch", "five eighths inch"),
    ("due on 3/4", "due on March fourth"),  # after a date word: month first, as numeric dates
    ("24/7 and 9/11", "twenty four seven and nine eleven"),
    # Degrees.
    ("It is 72°F.", "It is seventy two degrees Fahrenheit."),
    ("-7 °C", "minus seven degrees Celsius"),
    ("25° C", "twenty five degrees Celsius"),
    ("turn 90°", "turn ninety degrees"),
    # Percent and year ranges; quarters; street abbreviations.
    ("3-5%", "three to five percent"),
    ("50%-60%", "fifty to sixty percent"),
    ("2010-2020", "twenty ten to twenty twenty"),
    ("2010–2020", "twenty ten to twenty twenty"),
    ("from 1990 to 2000", "from nineteen ninety to two thousand"),
    ("1990-95", "nineteen ninety to ninety five"),
    ("Q3 2024 sales", "Q three twenty twenty four sales"),
    ("5th Ave. and Main Rd. meet", "fifth Avenue and Main Road meet"),
])
def test_phones_fractions_degrees_and_ranges(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Years in more places; decades with an apostrophe.
    ("The year was 1985.", "The year was nineteen eighty five."),
    ("The 1984 Olympics", "The nineteen eighty four Olympics"),
    ("2024 was a great year.", "twenty twenty four was a great year."),
    ("Between 1990 and 2000.", "Between nineteen ninety and two thousand."),
    ("In the 1990's and 80's", "In the nineteen nineties and eighties"),
    # Short dates after a date word; ratings; ratios.
    ("Christmas is on 12/25.", "Christmas is on December twenty fifth."),
    ("Rated 4.5/5 stars, 10/10.", "Rated four point five out of five stars, ten out of ten."),
    ("a 50/50 split in a 2:1 ratio", "a fifty fifty split in a two to one ratio"),
    # Ranges that end a sentence, go down by a digit, or are written with an en dash.
    ("Kids ages 3-5.", "Kids ages three to five."),
    ("Open 9-5, Mon-Fri.", "Open nine to five, Monday to Friday."),
    ("Office hours are 10am–2pm.", "Office hours are ten a.m. to two p.m.."),
    ("Costs $5-10.", "Costs five to ten dollars."),
    ("Temperatures of 20-25°C.", "Temperatures of twenty to twenty five degrees Celsius."),
    # The period after a month is a full stop; "4th of July" as written.
    ("The launch is on 15 March. Don't miss it.", "The launch is on the fifteenth of March. Don't miss it."),
    ("Happy 4th of July!", "Happy fourth of July!"),
    ("Sat., Oct. 12 and I sat down", "Saturday, October twelfth and I sat down"),
    # Roman numerals.
    ("World War II and Henry VIII", "World War two and Henry the eighth"),
    ("Type I, not I", "Type one, not I"),
    # Maths, dimensions, units, per, a unit as an adjective, scales, service numbers.
    ("2+2=4 and 5 × 3 = 15", "two plus two equals four and five times three equals fifteen"),
    ("5-3=2", "five minus three equals two"),
    ("x = 5", "x equals five"),
    ("12 x 8 x 4", "twelve by eight by four"),
    ("He is 6'2\" and 5 ft 10 in.", "He is six foot two and five feet ten inches."),
    ("Add 250 mL, 2 tbsp and 8 oz.", "Add two hundred and fifty milliliters, two tablespoons and eight ounces."),
    ("Only $4.99/mo!", "Only four dollars and ninety nine cents per month!"),
    ("A $5 bill and a 64 GB phone", "A five dollar bill and a sixty four gigabyte phone"),
    ("Over 1M downloads, 2.5M views", "Over one million downloads, two point five million views"),
    ("Room 3B is open", "Room three B is open"),  # a room, not three billion
    ("Elizabeth I love you; Mark II", "Elizabeth I love you; Mark two"),
    ("from 1/2 cup to 3/4 cup, on 1/2", "from one half cup to three quarters cup, on January second"),
    ("a day/night cycle at $5/person", "a day night cycle at five dollars per person"),
    # What the new rules must leave alone, or read the other way.
    ("The book I read in Chapter V", "The book I read in Chapter five"),
    ("The IV drip for Gen X", "The IV drip for Gen X"),
    ("We just hit 10000! 10000+ users", "We just hit ten thousand! ten thousand plus users"),
    ("Add 1/2 tsp salt and 2 1/2 cups", "Add half a teaspoon salt and two and a half cups"),
    ("The flight is 2h 30m on a 5g network.", "The flight is two hours thirty minutes on a five G network."),
    ("Add 5g sugar and 1/2 oz.", "Add five grams sugar and half an ounce."),
    ("Open 24h 7 days a week", "Open twenty four h seven days a week"),
    ("World War I changed it. She scored 12/20; 5/16 inch.",
     "World War one changed it. She scored twelve out of twenty; five sixteenths inch."),
    ("The ratio is 3:2, 55\" or 65\"", "The ratio is three to two, fifty five inches or sixty five inches"),
    ("a 2B pencil, 2.5B views", "a two B pencil, two point five billion views"),
    ('Press "1" to continue', 'Press "one" to continue'),
    ("Figure 2-1, Genesis 1:1", "Figure two, one, Genesis one:one"),
    ("the $50 you donated", "the fifty dollars you donated"),
    ("1234 Instagram followers", "one thousand two hundred and thirty four Instagram followers"),
    ("Sale ends 12/31. Give it a 7/10.", "Sale ends December thirty first. Give it a seven out of ten."),
    ("You need 8/15 to pass; 1/30 of a second", "You need eight out of fifteen to pass; one thirtieth of a second"),
    ("9/11 changed everything", "nine eleven changed everything"),
    ("She got 5/12 of the votes", "She got five twelfths of the votes"),
    ("He got 11/13", "He got eleven out of thirteen"),
    ("We need 1/2 cup; she got 3/4 right", "We need one half cup; she got three out of four right"),
    ("He needs 7/8 to pass", "He needs seven out of eight to pass"),
    ("Rated 3/5 by critics; they got 4/5 on the quiz",
     "Rated three out of five by critics; they got four out of five on the quiz"),
    ("Call 911.", "Call nine one one."),
    ("Starts 8 PM ET.", "Starts eight p.m. E T."),
])
def test_forms_users_type(text: str, expected: str) -> None:
    assert normalize_en(text) == expected


def test_context_rules_look_at_a_bounded_window() -> None:
    import re

    from talkinghead.text import context
    short = re.search(r"\d+", "in 1999")
    assert context.before(short) == "in " and context.after(short) == ""
    far = re.search(r"\d+", "a" * 200 + ". 1999 was")
    assert len(context.before(far)) == context.CONTEXT_CHARS + 1 and context.before(far).startswith("x")
    # The rules still see a clause start far into a long text, and a year far from the start.
    assert normalize_en("word " * 100 + ". 2024 was good.").endswith(". twenty twenty four was good.")
    assert "two thousand" in normalize_en("word " * 100 + "2024 apples")
    assert normalize_en("word " * 100 + "in 1999").endswith("in nineteen ninety nine")


def test_equations_survive_cleaning_but_markup_does_not() -> None:
    u = analyze("2+2=4 ==== a <= b", phonemize=False)
    assert [p.text for p in u.phrases] == ["two plus two equals four a b"]


def test_normalize_en_keeps_no_digits_or_number_hyphens() -> None:
    out = normalize_en("Call 555-1234 or 1,000,000 times at 7:45 on 2024-05-03, 21st, 99%.")
    assert not any(c.isdigit() for c in out), out
    assert "-" not in out
    assert "May third, twenty twenty four" in out


# --- Chinese normalisation --------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("今天是2024年5月3日，气温25度。", "今天是二零二四年五月三日，气温二十五度。"),
    ("５０%的人", "百分之五十的人"),  # full-width digits first
    ("3.5米", "三点五米"),
    ("价格是$5, 好吗?", "价格是五美元， 好吗？"),
    ("3:05开会", "三点五分开会"),
    ("电话13812345678", "电话一三八一二三四五六七八"),
    ("他说\"好的\"...", "他说“好的”……"),
    ("气温-5~10度", "气温负五到十度"),
    ("2024-05-03", "二零二四年五月三日"),
])
def test_normalize_zh(text: str, expected: str) -> None:
    assert normalize_zh(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2019年07月09号出发", "二零一九年七月九日出发"),
    ("09月", "九月"),
    ("截止到18号", "截止到十八日"),
    ("3号线", "三号线"),  # a line number, not a date
    ("2018/3/9", "二零一八年三月九日"),
    ("2018·3·9", "二零一八年三月九日"),
    ("19.3.9", "一九年三月九日"),
    ("公元618年", "公元六一八年"),
    ("618ad", "公元六一八年"),
    ("221bc", "公元前二二一年"),
    ("07:08:09", "七点八分九秒"),
    ("12:00:00", "十二点零分零秒"),
    ("08:30", "八点三十分"),
    ("$2-9", "二到九美元"),
    ("€30到50", "三十到五十欧元"),
    ("₩800", "八百韩元"),
    ("$2.5亿", "二点五亿美元"),
    ("气温25°C", "气温二十五摄氏度"),
    ("98°F", "九十八华氏度"),
    ("转45°", "转四十五度"),
])
def test_chinese_dates_times_and_money(text: str, expected: str) -> None:
    assert normalize_zh(text) == expected


@pytest.mark.parametrize("text, expected", [
    # 两 where a lone 2 counts something.
    ("我们有2个孩子，2000元", "我们有两个孩子，两千元"),
    ("第2个，十二个，星期2，二年级", "第二个，十二个，星期二，二年级"),
    # A count of years is a number; a year is said digit by digit.
    ("我工作了10年，30年后", "我工作了十年，三十年后"),
    ("中国有5000年历史", "中国有五千年历史"),
    ("在98年，05年", "在九八年，零五年"),
    # Ranges: 到 after times, percentages and dates.
    ("9:00-11:30", "九点到十一点三十分"),
    ("3点-5点，50%-60%", "三点到五点，百分之五十到百分之六十"),
    ("3月1日~3月31日", "三月一日到三月三十一日"),
    ("2019-2020年", "二零一九到二零二零年"),
    # Phone and service numbers digit by digit; scores; 90后.
    ("请拨打400-123-4567", "请拨打四零零，一二三，四五六七"),
    ("电话：010-12345678", "电话：零一零，一二三四五六七八"),
    ("+86 138 0013 8000", "加八六，一三八，零零一三，八零零零"),
    ("请拨打110，打100分", "请拨打一一零，打一百分"),
    ("比分是3:2，90后", "比分是三比二，九零后"),
    # Money with separators and a doubled unit; equations; units.
    ("￥1,299.00元", "一千二百九十九元"),
    ("营收123,456,789元", "营收一亿二千三百四十五万六千七百八十九元"),
    ("5-3=2，3×5=15", "五减三等于二，三乘五等于十五"),
    ("体重65kg，身高175cm", "体重六十五公斤，身高一百七十五厘米"),
    # More counts with 两, years and counts of years, per, scores, codes.
    ("2人套餐，需要2-3天，下午2点", "两人套餐，需要两到三天，下午两点"),
    ("二次函数，x的2次方，星期二天气", "二次函数，x的二次方，星期二天气"),  # a written 二 stays
    ("第10年，保修10年，有2000年历史", "第十年，保修十年，有两千年历史"),
    ("50年代，2025新品发布会", "五十年代，二零二五新品发布会"),
    ("9.9元/月，5元/kg", "九点九元每月，五元每公斤"),
    ("比分是21:19，以3-0结束", "比分是二十一比十九，以三比零结束"),
    ("订单号123456，速度120km/h", "订单号一二三四五六，速度一百二十公里每小时"),
    ("原价1999，2000多人，售价2,999元", "原价一千九百九十九，两千多人，售价两千九百九十九元"),
    ("到了2025年，1920×1080", "到了二零二五年，一千九百二十乘一千零八十"),
    ("加入1/2杯牛奶，以2-3人为一组，以3-0获胜", "加入二分之一杯牛奶，以两到三人为一组，以三比零获胜"),
    ("加5g盐，5g网络", "加五克盐，五g网络"),
    ("从业15年，大约1990年左右，2000年以来", "从业十五年，大约一九九零年左右，二零零零年以来"),
    ("原价¥2,999", "原价两千九百九十九元"),
    ("1500年前，近2000年来，2019年前", "一千五百年前，近两千年来，二零一九年前"),
])
def test_chinese_forms_users_type(text: str, expected: str) -> None:
    assert normalize_zh(text) == expected


def test_a_code_after_a_chinese_word_is_read_digit_by_digit() -> None:
    u = analyze("快递单号SF1234567。", phonemize=False)
    assert [(p.lang, p.text) for p in u.phrases] == [("zh", "快递单号"), ("en", "SF one two three four five six seven")]
    assert normalize_en("My code is A12345.") == "My code is A one two three four five."


def test_units_and_full_width_symbols_stay_in_the_chinese_sentence() -> None:
    u = analyze("体重65kg，气温25℃，增长了50％。", phonemize=False)
    assert [(p.lang, p.text) for p in u.phrases] == [
        ("zh", "体重六十五公斤"), ("zh", "气温二十五摄氏度"), ("zh", "增长了百分之五十")]
    assert u.dropped == ()


# --- language runs ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("今天是2024年", [("zh", "今天是2024年")]),
    ("我用Python写代码", [("zh", "我用"), ("en", "Python"), ("zh", "写代码")]),
    ("我用 Python 写代码。", [("zh", "我用"), ("en", "Python"), ("zh", "写代码。")]),
    ("Hello, world!", [("en", "Hello, world!")]),
    ("2024", [("en", "2024")]),
    ("I have 3个苹果", [("en", "I have"), ("zh", "3个苹果")]),
    ("气温25°C，很热", [("zh", "气温25°C，很热")]),  # the C of °C is no English word
    ("气温25°C而Python", [("zh", "气温25°C而"), ("en", "Python")]),
])
def test_split_language_runs(text: str, expected: list[tuple[str, str]]) -> None:
    assert split_language_runs(text) == expected


# --- analyze: words, phrases, pauses ----------------------------------------------------------


def test_chinese_sentence_words_and_one_pause() -> None:
    u = analyze("今天是2024年5月3日，气温25度。", phonemize=False)
    assert [w.text for w in u.words] == list("今天是二零二四年五月三日气温二十五度")
    assert [p.mark for p in u.pauses] == ["，"]
    assert [p.lang for p in u.phrases] == ["zh", "zh"]
    sources = {w.text + w.source for w in u.words}
    assert {"二2024", "四2024", "五5", "三3", "今今", "五25"} <= sources


def test_mixed_sentence_is_zh_en_zh() -> None:
    u = analyze("我用Python写代码", phonemize=False)
    assert [(p.lang, p.text) for p in u.phrases] == [("zh", "我用"), ("en", "Python"),
                                                      ("zh", "写代码")]
    assert u.pauses == ()


def test_english_sources_and_phrase_text() -> None:
    u = analyze("It costs $12.50.", phonemize=False)
    assert u.text == "It costs twelve dollars and fifty cents"
    assert [w.source for w in u.words] == ["It", "costs"] + ["$12.50"] * 5
    u = analyze("Dr. Smith", phonemize=False)
    assert u.words[0] == Word("Doctor", "Dr.", written="Dr.")


def test_pause_lengths_follow_punctuation() -> None:
    u = analyze("One, two. Three", phonemize=False)
    comma, period = u.pauses
    assert (comma.mark, period.mark) == (",", ".")
    assert 0 < comma.seconds < period.seconds
    assert PAUSE_SECONDS["，"] < PAUSE_SECONDS["。"] < PAUSE_SECONDS["\n\n"]


def test_no_pause_for_abbreviations_or_decimal_points() -> None:
    assert analyze("Dr. Smith has 3.5 kids", phonemize=False).pauses == ()
    assert analyze("Meet Mr. Lee at 10:30 a.m. today", phonemize=False).pauses == ()
    assert len(analyze("Dr. Smith has 3.5 kids. He is happy", phonemize=False).pauses) == 1


def test_paragraph_break_is_the_longest_pause_and_pauses_merge() -> None:
    u = analyze("First part.\n\nSecond part?! Yes…", phonemize=False)
    assert [p.mark for p in u.pauses] == ["\n\n", "?"]
    assert u.pauses[0].seconds == PAUSE_SECONDS["\n\n"]


@pytest.mark.parametrize("text", [
    "...Hello, , world!!! (yes) 。", "“Quoted.” — Then, (aside)", "你好！！Hello。。。世界……",
    "\n\n  Hi.\n\n\n\nBye.\n\n",
])
def test_segment_invariants(text: str) -> None:
    segs = analyze(text, phonemize=False).segments
    assert isinstance(segs[0], Phrase) and isinstance(segs[-1], Phrase)
    for a, b in zip(segs, segs[1:]):
        assert not (isinstance(a, Pause) and isinstance(b, Pause)), segs
    assert all(p.words and p.text for p in segs if isinstance(p, Phrase))


def test_records_are_frozen() -> None:
    u = analyze("Hi there", phonemize=False)
    assert isinstance(u, Utterance)
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.words[0].text = "x"  # type: ignore[misc]


def test_unsupported_characters_are_dropped_with_one_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="talkinghead.text"):
        u = analyze("Great 😀 job ★ again 😀!", phonemize=False)
    assert u.dropped == ("😀", "★")
    assert [w.text for w in u.words] == ["Great", "job", "again"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "😀" in warnings[0].getMessage() and "★" in warnings[0].getMessage()


def test_nothing_dropped_means_no_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="talkinghead.text"):
        u = analyze("Café naïve 你好, it's fine", phonemize=False)
    assert u.dropped == ()
    assert not caplog.records
    assert [w.text for w in u.words][:2] == ["Café", "naïve"]
    assert "it's" in [w.text for w in u.words]


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    ("   \n\t", "whitespace"),
    ("😀🎉", "only unsupported characters: 😀 🎉"),
    ("!!!", "only punctuation"),
    ("。，…", "only punctuation"),
])
def test_nothing_to_speak_is_an_input_error(text: str, why: str) -> None:
    with pytest.raises(InputError) as info:
        analyze(text, phonemize=False)
    assert "nothing to speak" in info.value.problem
    assert why in info.value.problem
    assert info.value.fix


def test_unknown_language_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        analyze("hello", lang="klingon", phonemize=False)
    assert "klingon" in info.value.problem
    for allowed in ('"auto"', '"en"', '"zh"'):
        assert allowed in info.value.fix


def test_forced_languages() -> None:
    u = analyze("Hello 你好 42", lang="en", phonemize=False)
    assert [w.text for w in u.words] == ["Hello", "forty", "two"]
    assert u.dropped == ("你", "好")
    u = analyze("2024", lang="zh", phonemize=False)
    assert [(p.lang, p.text) for p in u.phrases] == [("zh", "两千零二十四")]  # a number, as written
    u = analyze("他说OK", lang="zh", phonemize=False)
    assert [p.lang for p in u.phrases] == ["zh", "en"]


def test_non_string_input_is_an_input_error() -> None:
    with pytest.raises(InputError):
        analyze(None, phonemize=False)  # type: ignore[arg-type]


# --- phonemisation ----------------------------------------------------------------------------



def test_english_phonemes() -> None:
    u = analyze("Bob paid $5 for well-known rock'n'roll, didn't he?")
    assert all(w.phonemes for w in u.words), [(w.text, w.phonemes) for w in u.words]
    assert u.words[0].phonemes[0] == "b"
    assert u.words[0].phonemes[-1] == "b"
    assert all(k in _phonemes.INVENTORY for w in u.words for k in w.phonemes)


def test_chinese_phonemes_use_pinyin_in_context() -> None:
    (bo,) = analyze("波").words
    assert bo.phonemes[0] == "b"
    bank, walk = analyze("银行").words[1], analyze("行走").words[0]
    assert bank.text == walk.text == "行"
    assert bank.phonemes != walk.phonemes  # háng vs xíng
    u = analyze("我用Python写代码")
    assert all(w.phonemes for w in u.words)
    assert all(k in _phonemes.INVENTORY for w in u.words for k in w.phonemes)


def test_other_espeak_language() -> None:
    u = analyze("Bonjour le monde", lang="fr")
    assert [p.lang for p in u.phrases] == ["fr"]
    assert all(w.phonemes for w in u.words)


def test_chinese_sentence_with_digits_maps_pinyin_to_visemes() -> None:
    from talkinghead.phonemes import Viseme, viseme_of

    u = analyze("今天是2024年5月3日，气温25度。")
    first = {w.text: viseme_of(w.phonemes[0]) for w in u.words}
    assert first["今"] == Viseme.POSTALVEOLAR  # j = tɕ
    assert first["是"] == Viseme.POSTALVEOLAR  # sh = ʂ
    assert first["五"] == Viseme.ROUNDED_VOWEL  # w- + u
    assert first["度"] == Viseme.ALVEOLAR  # d
    assert first["月"] in (Viseme.ROUNDED_VOWEL, Viseme.ROUNDED_GLIDE)  # üe
    assert viseme_of(u.words[0].phonemes[1]) == Viseme.SPREAD_VOWEL  # jin: i
    assert all(w.phonemes for w in u.words)


def test_phonemize_false_leaves_phonemes_empty() -> None:
    assert all(w.phonemes == () for w in analyze("Hello 你好", phonemize=False).words)


def test_long_text_keeps_every_word() -> None:
    sentence = "今天是2024年5月3日，气温25度。我用Python写代码! Dr. Smith paid $12.50 on March 3rd. "
    one = analyze(sentence, phonemize=False)
    many = analyze(sentence * 300 + "没有标点的长句子" * 100 + " word" * 400, phonemize=False)
    assert many.words[:len(one.words)] == one.words
    assert len(many.words) == 300 * len(one.words) + 800 + 400


@pytest.mark.parametrize("text, written", [
    ("It costs $12.50, okay?", ["It", "costs", "$12.50,", "", "", "", "", "okay?"]),
    ("Hello — world... \"quoted\" (aside) end.", ["Hello —", "world...", '"quoted"', "(aside)", "end."]),
    ("Wait ... what ?", ["Wait ...", "what ?"]),
    ("我在2024年买了3本书。你呢？", ["我", "在", "2024", "", "", "", "年", "买", "了", "3", "本", "书。", "你", "呢？"]),
    ("「好」", ["「好」"]),
])
def test_each_word_knows_the_text_it_was_written_as(text, written) -> None:
    u = analyze(text, phonemize=False)
    assert [w.written for w in u.words] == written
    # Nothing the user wrote is lost or doubled: the written forms put back give the text.
    spaced = " ".join(w.written for w in u.words if w.written)
    assert "".join(spaced.split()) == "".join(text.split())
