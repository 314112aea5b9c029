"""Reading fidelity: what a narrator says for fractions, numerals, dates, units, codes and addresses."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiobook_tts.config import ChunkingOptions
from audiobook_tts.text import chunk_chapter, normalize, split_sentences
from audiobook_tts.text import number_words as nw
from audiobook_tts.text.chunker import coverage_mismatch
from audiobook_tts.text.normalize import roman_to_int


def _check(table: list[tuple[str, str]]):
    return pytest.mark.parametrize(("text", "spoken"), table)


@_check([
    ("1/3 of the men", "one third of the men"),
    ("3/4", "three quarters"),
    ("5/8 of an inch", "five eighths of an inch"),
    ("2 1/2 miles", "two and a half miles"),
    ("2-3/4", "two and three quarters"),
    ("2\u00bd", "two and a half"),
    ("\u00bd a mile", "half a mile"),
    # Not fractions: a date, words, numbers that are not a proper fraction.
    ("on 3/4/1990", "on three four nineteen ninety"),
    ("and/or", "and/or"),
    ("open 24/7", "open twenty-four seven"),
    ("a 50/50 chance", "a fifty fifty chance"),
    ("issue 11/92", "issue eleven ninety-two"),
])
def test_fractions(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("George III", "George the Third"),
    ("Henry VIII's wives", "Henry the Eighth's wives"),
    ("Pope Pius IX", "Pope Pius the Ninth"),
    ("Louis XIV and Louis XVIII.", "Louis the Fourteenth and Louis the Eighteenth."),
    ("Charles I of England", "Charles the First of England"),
    ("King Zog I.", "King Zog the First."),
    ("Part II", "Part two"),
    ("Chapter IV", "Chapter four"),
    ("Act III, Scene 2", "Act three, Scene two"),
    ("World War II", "World War two"),
    ("World War I began", "World War one began"),
    ("Session II.", "Session two."),
    # The pronoun, and capitals that only look like numerals.
    ("I told George I was leaving.", "I told George I was leaving."),
    ("Am I? Yes, I am.", "Am I? Yes, I am."),
    ("I went. THE MIX WAS CIVIL, DID HE SAY?", "I went. THE MIX WAS CIVIL, DID HE SAY?"),
    ("Mister MIX and Malcolm X", "Mister MIX and Malcolm X"),
    ("Part I think was best", "Part I think was best"),
])
def test_roman_numerals(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


# Day first: "the third of March"; month first: "March third" (and its comma before the year),
# as British and American narrators read them.
@_check([
    ("on 3 March 1815 he", "on the third of March eighteen fifteen he"),
    ("3 March 1815 was cold.", "The third of March eighteen fifteen was cold."),
    ("on 3rd March", "on the third of March"),
    ("on the 3rd of March, 1815", "on the third of March, eighteen fifteen"),
    ("on March 3, 1815, he", "on March third, eighteen fifteen, he"),
    ("by March 3rd", "by March third"),
    ("on 5 Jan. 1906", "on the fifth of January nineteen oh six"),
    ("May 10,000 men march?", "May ten thousand men march?"),
    ("in 1815", "in eighteen fifteen"),
    ("in 1900", "in nineteen hundred"),
    ("in 2005", "in two thousand and five"),
    ("in 1905", "in nineteen oh five"),
    ("in 2023", "in twenty twenty-three"),
])
def test_dates_and_years(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("1914\u20131918", "nineteen fourteen to nineteen eighteen"),
    ("1914-1918", "nineteen fourteen to nineteen eighteen"),
    ("the 1914-18 war", "the nineteen fourteen to eighteen war"),
    ("1905-06", "nineteen oh five to oh six"),
    ("1905\u201306", "nineteen oh five to oh six"),
    ("pp. 45\u201367", "pages forty-five to sixty-seven"),
    ("pp. 45-67", "pages forty-five to sixty-seven"),
    ("p. 5", "page five"),
    ("10-15 minutes", "ten to fifteen minutes"),
    ("won 3-2", "won three-two"),
])
def test_ranges(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("the '90s", "the nineties"),
    ("the 1860s", "the eighteen sixties"),
    ("the 1900s", "the nineteen hundreds"),
    ("in his 30s.", "in his thirties."),
])
def test_decades(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("-5\u00b0C", "minus five degrees Celsius"),
    ("it was \u20135\u00b0C", "it was minus five degrees Celsius"),
    ("\u22125", "minus five"),
    ("98.6\u00b0F", "ninety-eight point six degrees Fahrenheit"),
    ("30\u00b0", "thirty degrees"),
    ("1\u00b0 colder", "one degree colder"),
    ("from -5 to -10", "from minus five to minus ten"),
    ("x-5", "x-five"),
])
def test_temperatures_and_signs(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("5 ft. tall", "five feet tall"),
    ("5ft", "five feet"),
    ("6 in. long", "six inches long"),
    ("10 lb. of flour", "ten pounds of flour"),
    ("1 lb. of flour", "one pound of flour"),
    ("3 oz. of tea", "three ounces of tea"),
    ("60 mph", "sixty miles per hour"),
    ("5 km away", "five kilometres away"),
    ("2 kg", "two kilograms"),
    ("3 cm", "three centimetres"),
    ("the 100 m race", "the one hundred metres race"),
    ("1/2 in. thick", "one half inch thick"),
    ("2 1/2 in. thick", "two and a half inches thick"),
    ("a 10-lb. salmon", "a ten-pound salmon"),
    ("5'10\" tall", "five feet ten inches tall"),
    ("5\u203210\u2033 tall", "five feet ten inches tall"),
    ("He weighed 10 lb. The next", "He weighed ten pounds. The next"),
    # "in" is a unit only after a number and with its full stop.
    ("He came in. Then 5 in the box.", "He came in. Then five in the box."),
    ("I'm 5 m", "I'm five metres"),
    ("$5m", "five dollars m"),
    # "lb.", "oz." and "yds." are no English words: said even without a number.
    ("some lb. of tea", "some pounds of tea"),
    ("sold per oz.", "sold per ounce."),
])
def test_units(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("No. 5", "Number five"),
    ("No. I won't.", "No. I won't."),
    ("Smith vs. Jones", "Smith versus Jones"),
    ("hens, ducks, etc. The end", "hens, ducks, et cetera. The end"),
    ("built c. 1850", "built circa eighteen fifty"),
    ("built ca. 1850", "built circa eighteen fifty"),
    ("the 2nd ed. of it", "the second edition of it"),
    ("the 2nd ed.", "the second edition."),
    ("Poems, ed. Smith", "Poems, edited by Smith"),
    ("Poems, ed. by Smith", "Poems, edited by Smith"),
    ("Poems, ed. by the author", "Poems, edited by the author"),
    ("He ed. it", "He ed. it"),
    ("Smith (ed.), Poems", "Smith (editor), Poems"),
    ("Dr. Watson", "Doctor Watson"),
    ("said Dr. Watson", "said Doctor Watson"),
    ("Thank you, Dr.", "Thank you, Doctor"),
    ("Hello Dr. Smith", "Hello Doctor Smith"),
    ("on Mulholland Dr. He left.", "on Mulholland Drive. He left."),
    ("Elm Dr., where", "Elm Drive, where"),
    ("at St. Paul's", "at Saint Paul's"),
    ("in Baker St. Then he left.", "in Baker Street. Then he left."),
])
def test_abbreviations(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("\u00a31 10s. 6d.", "one pound ten shillings and sixpence."),
    ("\u00a325 1s. 8\u00bdd. was", "twenty-five pounds one shilling and eightpence halfpenny was"),
    ("2s. 6d. each", "two shillings and sixpence each"),
    ("Kirby, 6s. Satirical.", "Kirby, six shillings. Satirical."),
    ("paid 1d. for it", "paid one penny for it"),
    ("paid 12d. for it", "paid twelve pence for it"),
    ("a \u00bdd. stamp", "a halfpenny stamp"),
    ("paid \u00bdd. for it", "paid a halfpenny for it"),
    ("in the 20s. Then", "in the twenties. Then"),
])
def test_old_money(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("call 555-0123", "call five five five zero one two three"),
    ("call 555-1234", "call five five five one two three four"),
    ("call (555) 123-4567", "call five five five one two three four five six seven"),
    ("call 020 7946 0958", "call zero two zero seven nine four six zero nine five eight"),
    ("call +44 20 7946 0958", "call plus four four two zero seven nine four six zero nine five eight"),
    ("ISBN 0-14-044913-6", "ISBN zero one four zero four four nine one three six"),
    ("ISBN 9780140449136", "ISBN nine seven eight zero one four zero four four nine one three six"),
    ("agent 007", "agent zero zero seven"),
    ("123456789 ants", "one hundred and twenty-three million four hundred and fifty-six thousand "
                       "seven hundred and eighty-nine ants"),
])
def test_digit_strings(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@_check([
    ("see www.example.com.", "see w w w dot example dot com."),
    ("write to jane@example.org today", "write to jane at example dot org today"),
    ("write to jane.doe@mail.example.co.uk", "write to jane dot doe at mail dot example dot co dot uk"),
    ("https://example.com/news", "example dot com slash news"),
    ("http://www.gutenberg.org/ebooks/", "w w w dot gutenberg dot org slash ebooks"),
    ("_www.example.com_", "w w w dot example dot com"),
    ("visit example.com, then", "visit example dot com, then"),
    # Not addresses.
    ("e.g. this, i.e. that, etc.", "for example this, that is that, et cetera."),
    ("at 5 p.m. sharp", "at five p.m. sharp"),
])
def test_addresses(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_number_words_come_from_num2words_without_commas() -> None:
    assert nw.cardinal(1905) == "one thousand nine hundred and five"
    assert nw.cardinal(123_456_789) == (
        "one hundred and twenty-three million four hundred and fifty-six thousand "
        "seven hundred and eighty-nine"
    )
    assert nw.ordinal(1234) == "one thousand two hundred and thirty-fourth"
    assert nw.cardinal(-5) == "minus five"
    assert nw.year(1905) == "nineteen oh five"
    assert nw.cardinal(10**nw.MAX_QUANTITY_DIGITS) == "one " + " ".join(["zero"] * nw.MAX_QUANTITY_DIGITS)


# --- Sentences and chunks ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("He weighed 10 lb. of flour. Then he left.", ["He weighed ten pounds of flour.", "Then he left."]),
        ("It was 5 ft. tall and 6 in. wide. Then", ["It was five feet tall and six inches wide.", "Then"]),
        ("Add 3 oz. of tea. Stir.", ["Add three ounces of tea.", "Stir."]),
        ("Add some oz. of tea. Stir.", ["Add some ounces of tea.", "Stir."]),
        ("Smith vs. Jones was heard. It ended.", ["Smith versus Jones was heard.", "It ended."]),
        ("Hens, ducks, etc. and geese came.", ["Hens, ducks, et cetera and geese came."]),
        ("No. 5 was empty. We left.", ["Number five was empty.", "We left."]),
        ("Built c. 1850 by Smith. It fell.", ["Built circa eighteen fifty by Smith.", "It fell."]),
        ("Built ca. 1850 by Smith. It fell.", ["Built circa eighteen fifty by Smith.", "It fell."]),
        ("See the 2nd ed. of the book. Or not.", ["See the second edition of the book.", "Or not."]),
        ("The Poems, ed. Smith, are good. Yes.", ["The Poems, edited by Smith, are good.", "Yes."]),
        ("See pp. 45-67 for more. Then p. 5 again.",
         ["See pages forty-five to sixty-seven for more.", "Then page five again."]),
        # Words that end sentences stay sentence ends.
        ("He came in. Then he left.", ["He came in.", "Then he left."]),
        ("No. I won't.", ["No.", "I won't."]),
    ],
)
def test_expanded_abbreviations_do_not_end_sentences(paragraph: str, sentences: list[str]) -> None:
    assert split_sentences(normalize(paragraph)) == sentences


_READING_PARAGRAPHS = [
    "On 3 March 1815 George III paid \u00a31 10s. 6d. for 2 1/2 lb. of tea; see pp. 45\u201367.",
    "Call 555-0123 or write to jane@example.org, or see www.example.com. It was -5\u00b0C.",
    "In the '90s, c. 1890, Dr. Watson lived on Mulholland Dr. He was 5'10\" and weighed 10 st.",
    "World War II (1939-1945) ended; No. 5 vs. No. 6, etc. The 2nd ed. was out, ed. Smith.",
]


@pytest.mark.parametrize("options", [ChunkingOptions(), ChunkingOptions(
    short_max_chars=20, medium_max_chars=40, long_max_chars=60, min_chars=8)])
def test_chunks_cover_the_normalised_text(options: ChunkingOptions) -> None:
    chunks = chunk_chapter(1, "Chapter IV", _READING_PARAGRAPHS, options)
    assert coverage_mismatch(chunks, _READING_PARAGRAPHS) is None
    assert all(len(c.text) <= options.long_max_chars for c in chunks)


# --- Properties --------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _end_of_match(words: list[str], start: int, phrase: tuple[str, ...]) -> int | None:
    for word in phrase:
        try:
            start = words.index(word, start) + 1
        except ValueError:
            return None
    return start


def keeps_in_order(output: str, expected: list[tuple[tuple[str, ...], ...]]) -> bool:
    """Does ``output`` say, in order, one of the phrases allowed for each piece of the input?

    Taking the allowed phrase that ends earliest is optimal for a subsequence match.
    """
    words, at = _words(output), 0
    for phrases in expected:
        ends = [end for phrase in phrases if (end := _end_of_match(words, at, phrase)) is not None]
        if not ends:
            return False
        at = min(ends)
    return True


def _roman(numeral: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    value = roman_to_int(numeral)
    return numeral, (
        (numeral.lower(),), tuple(_words(nw.cardinal(value))), ("the", *_words(nw.ordinal(value)))
    )


# A piece of input and the phrases (any one) its words must become.
_SAID_AS = {
    "Mr.": [("mister",)], "Dr.": [("doctor",), ("drive",)], "St.": [("saint",), ("street",)],
    "No.": [("no",), ("number",)], "etc.": [("et", "cetera")], "vs.": [("versus",)],
    "e.g.": [("for", "example")], "c.": [("c",), ("circa",)], "ca.": [("ca",), ("circa",)],
    "ed.": [("ed",), ("edited", "by"), ("edition",), ("editor",)],
    "in.": [("in",), ("inch",), ("inches",)],
    "ft.": [("ft",), ("foot",), ("feet",)], "lb.": [("lb",), ("pound",), ("pounds",)],
    "oz.": [("oz",), ("ounce",), ("ounces",)], "p.": [("p",), ("page",)], "pp.": [("pp",), ("pages",)],
    "Jan.": [("jan",), ("january",)], "and/or": [("and", "or")], "MIX": [("mix",)],
    "CIVIL": [("civil",)], "DID": [("did",)], "I": [("i",), ("the", "first"), ("one",)],
    "www.example.com": [("w", "w", "w", "dot", "example", "dot", "com")],
    "jane@example.org": [("jane", "at", "example", "dot", "org")],
    "3 March 1815": [("march",)], "March 3, 1815": [("march",)], "5 ft.": [("feet",)],
    "1 lb.": [("pound",)], "-5\u00b0C": [("minus", "degrees", "celsius")],
    "\u00a31 10s. 6d.": [("pound", "shillings", "sixpence")],
}
_NUMBERS = ["5", "1", "1905", "3/4", "2 1/2", "1914-1918", "pp. 45-67", "-5", "555-0123", "10:30",
            "$5", "3rd", "1860s", "'90s", "98.6\u00b0F", "1,000", "007", "1/2"]
_FIXED = (
    [(text, tuple(phrases)) for text, phrases in _SAID_AS.items()]
    + [(number, ((),)) for number in _NUMBERS]
    + [_roman(numeral) for numeral in ("II", "IV", "IX", "XIV", "VIII")]
    + [(word, ((word.lower(),),)) for word in ("George", "Henry", "Part", "Session", "World", "War",
                                             "March", "May", "Mulholland", "Chapter", "the")]
    + [("in", (("in",), ("inch",), ("inches",)))]  # after a number and before a full stop
)
# Random words, except those that are abbreviations or units (which the table above covers).
_TAKEN = {w.lower().rstrip(".") for w in _SAID_AS} | {
    "mrs", "messrs", "prof", "rev", "hon", "gen", "col", "capt", "lt", "sgt", "maj", "adm", "cmdr",
    "gov", "supt", "insp", "mt", "jr", "sr", "esq", "bros", "ltd", "inc", "ave", "rd", "viz", "cf",
    "nos", "vol", "ch", "chap", "fig", "circ", "eds", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "yd", "yds", "mi", "lbs", "mph", "kph", "mm", "cm", "km", "mg",
    "kg", "ml", "www", "com", "org",
}
_RANDOM_WORD = st.from_regex(r"[A-Za-z][a-z]{1,11}", fullmatch=True).filter(
    lambda w: w.lower() not in _TAKEN
)
_PIECE = st.one_of(st.sampled_from(_FIXED), _RANDOM_WORD.map(lambda w: (w, ((w.lower(),),))))
_SEPARATOR = st.sampled_from(
    [" ", " ", ", ", "; ", " \u2014 ", "... ", ". ", "! ", "? ", "\u201d \u201c", "\n", " (", ") "]
)


# Every word of the input, or what its abbreviation, numeral or address is said as, must come
# out in order: a rule that eats a word ("No.", "I", "in", "MIX"), swaps two, or reads a word
# as something unlisted fails. Number pieces need no words, so the numbers rules may say them
# as they like; what they add between the pieces is allowed.
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PIECE, _SEPARATOR), min_size=1, max_size=25))
def test_normalize_keeps_every_word_in_order_and_is_idempotent(parts) -> None:
    text = "".join(piece + separator for (piece, _), separator in parts)
    once = normalize(text)
    assert keeps_in_order(once, [said for (_, said), _ in parts]), (text, once)
    assert normalize(once) == once
    assert not re.search(r"\d", once)


def test_the_word_check_catches_a_dropped_or_moved_word() -> None:
    expected = [(("no",), ("number",)), (("i",),), (("won",),)]
    assert keeps_in_order("No. I won't.", expected)
    assert not keeps_in_order("I won't.", expected)
    assert not keeps_in_order("I no won't.", expected)
