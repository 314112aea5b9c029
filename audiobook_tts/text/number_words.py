"""English number words (British "and": "one hundred and five") for the narrator.

No commas inside the words: a comma would read as a pause and become a place where the
chunker may split a number in two.
"""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_IRREGULAR_ORDINALS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}
# Past this many digits a number is an identifier, not a quantity: read digit by digit.
MAX_CARDINAL_DIGITS = 15


def cardinal(n: int) -> str:
    """42 -> "forty-two", 1905 -> "one thousand nine hundred and five"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {cardinal(rest)}" if rest else "")
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            words = f"{cardinal(head)} {name}"
            if not rest:
                return words
            return words + (" and " if rest < 100 else " ") + cardinal(rest)
    raise AssertionError("unreachable: n >= 1000 matches a scale")


def digits(text: str) -> str:
    """"007" -> "zero zero seven"."""
    return " ".join(_ONES[int(d)] for d in text)


def integer(text: str) -> str:
    """Digits as spoken: a quantity, or digit by digit for leading zeros and very long runs."""
    if (len(text) > 1 and text.startswith("0")) or len(text) > MAX_CARDINAL_DIGITS:
        return digits(text)
    return cardinal(int(text))


def ordinal(n: int) -> str:
    """22 -> "twenty-second"."""
    words = cardinal(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _IRREGULAR_ORDINALS:
        return head + _IRREGULAR_ORDINALS[last]
    if last.endswith("y"):
        return head + last[:-1] + "ieth"
    return head + last + "th"


def year(n: int) -> str:
    """1905 -> "nineteen oh five", 1900 -> "nineteen hundred", 2023 -> "twenty twenty-three".

    Years 2000-2009 and whole thousands are read as cardinals ("two thousand and five").
    """
    if not 1000 <= n <= 9999 or n % 1000 == 0 or 2000 < n < 2010:
        return cardinal(n)
    century, rest = divmod(n, 100)
    if rest == 0:
        return f"{cardinal(century)} hundred"
    if rest < 10:
        return f"{cardinal(century)} oh {_ONES[rest]}"
    return f"{cardinal(century)} {cardinal(rest)}"


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
