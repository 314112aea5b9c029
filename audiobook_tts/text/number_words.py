"""English number words (British "and": "one hundred and five") for the narrator.

A thin wrapper over num2words, so callers keep one small API. No commas inside the words
(num2words writes "one thousand, nine hundred and five"): a comma would read as a pause and
become a place where the chunker may split a number in two.
"""

from __future__ import annotations

from num2words import num2words

# Past this many digits an ungrouped run is an identifier (a telephone, account or ISBN
# number), not a quantity: read digit by digit. A billion or more is written grouped
# ("1,000,000,000") or in words when it is an amount.
MAX_CARDINAL_DIGITS = 9
# Even grouped, nobody says "sextillion": past this many digits any number is read digit by digit.
MAX_QUANTITY_DIGITS = 21


def _words(n: int, to: str) -> str:
    return num2words(n, lang="en", to=to).replace(",", "")


def cardinal(n: int) -> str:
    """42 -> "forty-two", 1905 -> "one thousand nine hundred and five", -5 -> "minus five"."""
    if len(str(abs(n))) > MAX_QUANTITY_DIGITS:
        return ("minus " if n < 0 else "") + digits(str(abs(n)))
    return _words(n, "cardinal")


def digits(text: str) -> str:
    """"007" -> "zero zero seven"."""
    return " ".join(_words(int(d), "cardinal") for d in text)


def integer(text: str) -> str:
    """Digits as spoken: a quantity, or digit by digit for leading zeros and long runs."""
    if (len(text) > 1 and text.startswith("0")) or len(text) > MAX_CARDINAL_DIGITS:
        return digits(text)
    return cardinal(int(text))


def ordinal(n: int) -> str:
    """22 -> "twenty-second"."""
    if len(str(n)) > MAX_QUANTITY_DIGITS:
        return f"number {digits(str(n))}"
    return _words(n, "ordinal")


def year(n: int) -> str:
    """1905 -> "nineteen oh five", 1900 -> "nineteen hundred", 2005 -> "two thousand and five"."""
    # num2words hyphenates "oh-five"; a narrator's "oh" is a word of its own.
    return _words(n, "year").replace("oh-", "oh ")


def decimal(whole: str, fraction: str) -> str:
    """("3", "14") -> "three point one four"."""
    return f"{integer(whole)} point {digits(fraction)}"


def plural(words: str) -> str:
    """Plural of a number's words: "twenty" -> "twenties", "six" -> "sixes"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith(("x", "s")):
        return words + "es"
    return words + "s"
