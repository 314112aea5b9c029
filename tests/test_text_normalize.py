"""Normalisation: each rule of audiobook_tts.text.normalize, number words, chapter titles."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiobook_tts.text import normalize, normalize_title
from audiobook_tts.text import number_words as nw
from audiobook_tts.text.normalize import roman_to_int


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (40, "forty"),
        (42, "forty-two"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (999, "nine hundred and ninety-nine"),
        (1000, "one thousand"),
        (1005, "one thousand and five"),
        (1234, "one thousand two hundred and thirty-four"),
        (1_000_000, "one million"),
        (2_000_017, "two million and seventeen"),
        (10**12 + 1, "one trillion and one"),
    ],
)
def test_cardinal(n: int, words: str) -> None:
    assert nw.cardinal(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"), (9, "ninth"),
     (11, "eleventh"), (12, "twelfth"), (20, "twentieth"), (22, "twenty-second"),
     (101, "one hundred and first"), (1000, "one thousandth")],
)
def test_ordinal(n: int, words: str) -> None:
    assert nw.ordinal(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(1905, "nineteen oh five"), (1900, "nineteen hundred"), (1066, "ten sixty-six"),
     (2000, "two thousand"), (2005, "two thousand and five"), (2023, "twenty twenty-three"),
     (1999, "nineteen ninety-nine")],
)
def test_year(n: int, words: str) -> None:
    assert nw.year(n) == words


def test_long_digit_runs_and_leading_zeros_are_read_digit_by_digit() -> None:
    assert nw.integer("007") == "zero zero seven"
    assert nw.integer("1" * (nw.MAX_CARDINAL_DIGITS + 1)) == " ".join(["one"] * (nw.MAX_CARDINAL_DIGITS + 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quotes
        ("\u201cHello,\u201d she said. \u2018Quite so.\u2019", "\"Hello,\" she said. 'Quite so.'"),
        ("\u00abOui\u00bb and `this'", "\"Oui\" and 'this'"),
        # dashes
        ("He paused\u2014then went on.", "He paused - then went on."),
        ("Wait -- no!", "Wait - no!"),
        ("\u201cI was going to\u2014\u201d", "\"I was going to -\""),
        ("\"I was going to--\"", "\"I was going to -\""),
        ("the years 1905\u20131910", "the years nineteen oh five to nineteen ten"),
        ("a well-known man", "a well-known man"),
        # ellipses and whitespace
        ("Well\u2026 maybe. . . yes....", "Well... maybe... yes..."),
        # Spaced dots after an abbreviation: once and twice normalised read the same.
        ("At 9 p.m.   ... then", "At nine p.m... then"),
        ("  a \t b\n\nc  ,d  ! ", "a b c,d!"),
        ("no\u00a0break and soft\u00adhyphen", "no break and softhyphen"),
        # emphasis
        ("It was _very_ *bold* of him", "It was very bold of him"),
        ("* * *", ""),
        ("snake_case", "snake case"),
        # numbers
        ("in 1905 he had 3 hens", "in nineteen oh five he had three hens"),
        ("1,234 hens", "one thousand two hundred and thirty-four hens"),
        ("the 1st, 2nd and 23rd", "the first, second and twenty-third"),
        ("pi is 3.14", "pi is three point one four"),
        ("50% and 2.5 per cent", "fifty percent and two point five percent"),
        ("in the 1920s and the '60s", "in the nineteen twenties and the sixties"),
        ("at 10:30 or 7:05 or 6:00", "at ten thirty or seven oh five or six o'clock"),
        ("2\u00bd miles and \u00be of it", "two and a half miles and three quarters of it"),
        ("No. 5 and p. 12", "Number five and page twelve"),
        ("5ft", "five feet"),
        ("#3", "number three"),
        # currency
        ("$5", "five dollars"),
        ("$1", "one dollar"),
        ("$5.50", "five dollars and fifty cents"),
        ("$0.05", "five cents"),
        ("\u20ac2.50", "two euros and fifty cents"),
        ("\u00a33 10s. 6d. a week", "three pounds ten shillings and sixpence a week"),
        ("\u00a31 and 2s. 6d. and 4d. each", "one pound and two shillings and sixpence and fourpence each"),
        ("$3 million", "three million dollars"),
        # symbols
        ("Smith & Sons", "Smith and Sons"),
        ("hens, ducks, &c. The end", "hens, ducks, et cetera. The end"),
    ],
)
def test_normalize_rules(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Darcy and Mrs. Bennet", "Mister Darcy and Missus Bennet"),
        ("Dr. Watson met Prof. Moriarty and Capt. Hook", "Doctor Watson met Professor Moriarty and Captain Hook"),
        ("MR. SMITH", "MISTER SMITH"),
        ("at St. Paul's", "at Saint Paul's"),
        ("Then St. Paul said", "Then Saint Paul said"),
        ("in Baker St. Then he left.", "in Baker Street. Then he left."),
        ("Oxford St., where", "Oxford Street, where"),
        ("apples, pears, etc. The next day", "apples, pears, et cetera. The next day"),
        ("apples, etc. and pears", "apples, et cetera and pears"),
        ("fruit, e.g. apples, i.e. food", "fruit, for example apples, that is food"),
        ("Smith vs. Jones, cf. Brown", "Smith versus Jones, compare Brown"),
        ("John Smith, Jr. He came.", "John Smith, Junior. He came."),
        ("on 5 Jan. 1906", "on the fifth of January nineteen oh six"),
        ("Jan. 5", "January fifth"),
        # Not before a number: "No." is the word no, "Jan." may be a name.
        ("No. I won't.", "No. I won't."),
        ("I met Jan. She smiled.", "I met Jan. She smiled."),
        # Kept (known to the sentence splitter, read well as letters).
        ("at 5 p.m. sharp", "at five p.m. sharp"),
        ("J. R. R. Tolkien", "J. R. R. Tolkien"),
        # Roman numerals after a keyword and regnal numbers, not the pronoun.
        ("see Chapter IV and Part II.", "see Chapter four and Part two."),
        ("the part I played", "the part I played"),
        ("Henry VIII", "Henry the Eighth"),
    ],
)
def test_abbreviations_and_roman_numerals(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Chapter IV", "Chapter 4"),
        ("CHAPTER XII. THE HENS", "Chapter 12. The Hens"),
        ("CHAPTER I THE START", "Chapter 1 The Start"),
        ("chapter iv: the end", "chapter 4: the end"),
        ("XIV", "Chapter 14"),
        ("I. MY FIRST DAY", "Chapter 1. My First Day"),
        ("I Meet Her", "I Meet Her"),
        ("The Book Mix", "The Book Mix"),
        ("  _Part_   III  ", "Part 3"),
        ("DON'T PANIC", "Don't Panic"),
    ],
)
def test_normalize_title(title: str, expected: str) -> None:
    assert normalize_title(title) == expected


def test_spoken_title_reads_the_number() -> None:
    assert normalize(normalize_title("CHAPTER IV")) == "Chapter four"


@pytest.mark.parametrize(("numeral", "value"), [("IV", 4), ("ix", 9), ("MCMV", 1905), ("XL", 40)])
def test_roman_to_int(numeral: str, value: int) -> None:
    assert roman_to_int(numeral) == value


@pytest.mark.parametrize("numeral", ["", "IIII", "VX", "MIM", "ABC"])
def test_roman_to_int_rejects_malformed(numeral: str) -> None:
    assert roman_to_int(numeral) is None


_PIECES = st.sampled_from(
    ["word", "Hens", "Mr.", "Mrs.", "St.", "Dr.", "etc.", "e.g.", "p.m.", "J.", "No.", "Jan.",
     "1905", "3.14", "$5.50", "\u00a33", "22nd", "50%", "1,000", "10:30", "1920s", "007",
     "\u201c", "\u201d", "\u2019", "\u2014", "--", "...", "\u2026", "_", "*", ",", ";", ":",
     "!", "?", ".", "(", ")", "&", "\u00bd", "IV", "Chapter", " ", "\n", "\u00a0"]
)
_TEXT = st.lists(_PIECES, max_size=40).map(lambda parts: " ".join(parts)) | st.text(max_size=80)


@settings(max_examples=150, deadline=None)
@given(_TEXT)
def test_normalize_is_idempotent_and_leaves_no_digits_or_typography(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert not re.search(r"[0-9_*\u2014\u2013\u201c\u201d\u2018\u2019\u2026]", once)
    assert once == " ".join(once.split())


# Lower-case words: capitalised ones may be titles ("Prof."), Roman numerals ("Part IV") or
# "St.", which are meant to change; single letters may spell "e. g.". Of the other
# lower-case abbreviations only these expand.
_WORD = st.from_regex(r"[a-z]{2,12}", fullmatch=True).filter(
    lambda w: w not in {"etc", "vs", "cf", "viz"}
)
_SEPARATOR = st.sampled_from([" ", ", ", "; ", " \u2014 ", "... ", ". ", "! ", "? ", "\u201d \u201c", "\n"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_WORD, _SEPARATOR), min_size=1, max_size=30))
def test_normalize_keeps_every_word(parts: list[tuple[str, str]]) -> None:
    text = "".join(word + sep for word, sep in parts)
    assert re.findall(r"[A-Za-z]+", normalize(text)) == [word for word, _ in parts]
