"""Rule 9 of the narration normaliser: units of measure after a number, said in full.

"5 ft." -> "5 feet", "1 lb." -> "1 pound", "60 mph" -> "60 miles per hour", "-5°C" ->
"-5 degrees Celsius", "30°" -> "30 degrees", "5'10\"" -> "5 feet 10 inches"; in a compound
the unit is singular, as spoken ("a 10-lb. salmon" -> "a 10-pound salmon"). The number stays
in digits for rule 12. Only after a number: "in." is otherwise the word "in" ending a
sentence, and "m" a letter; but "lb.", "oz." and "yds." are no words ("per lb." -> "per
pound").
"""

from __future__ import annotations

import re

from .sentences import stop_if_sentence_ends

_UNITS = {  # abbreviation: (one, many)
    "ft": ("foot", "feet"), "in": ("inch", "inches"), "yd": ("yard", "yards"),
    "yds": ("yard", "yards"), "mi": ("mile", "miles"), "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "mph": ("mile per hour", "miles per hour"), "kph": ("kilometre per hour", "kilometres per hour"),
    "km/h": ("kilometre per hour", "kilometres per hour"),
    "mm": ("millimetre", "millimetres"), "cm": ("centimetre", "centimetres"),
    "m": ("metre", "metres"), "km": ("kilometre", "kilometres"),
    "mg": ("milligram", "milligrams"), "kg": ("kilogram", "kilograms"),
    "ml": ("millilitre", "millilitres"),
}
# Also words: "6 in the box", "3 mi amigos". With a full stop after a number they are units.
_NEED_STOP = frozenset({"in", "mi"})
_SCALES = {"C": "Celsius", "F": "Fahrenheit"}

# A plain number, a mixed number or a fraction, not part of money or a longer number.
_NUMBER = (
    r"(?<![\w.,$£€¥/])"
    r"((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:(?: and |[ -])\d{1,3}/\d{1,3})?|\d{1,3}/\d{1,3})"
)
_UNIT_NAMES = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
# The full stop of "5 ft." but not the first of "5 ft...".
_UNIT_RE = re.compile(rf"{_NUMBER}(\s?|-)({_UNIT_NAMES})(\.(?!\.))?(?![\w/])")
_DEGREES_RE = re.compile(rf"{_NUMBER}\s?°(?:\s?([CF])(?![A-Za-z]))?")
# Any degree sign left after a digit ("Mr.98.6°") still reads.
_OTHER_DEGREES_RE = re.compile(r"(?<=\d)\s?°")
_FEET_INCHES_RE = re.compile(r"(?<![\w.,'])(\d{1,2})'\s?(\d{1,2})(?:\"|'')")
_FRACTION_RE = re.compile(r"(\d+)/(\d+)")
# Without a number only the abbreviations that are no English word: "some lb. of tea" (whose
# full stop would otherwise end a sentence), "per oz.".
_BARE_UNIT_RE = re.compile(r"(?<![A-Za-z])(lbs?|oz|yds?)\.(?!\.)")
_SINGULAR_AFTER_RE = re.compile(r"(?<![A-Za-z])(?:a|an|per|the|each|every|one)\s+$", re.IGNORECASE)


def _is_one(number: str) -> bool:
    """Does a unit after ``number`` read singular ("1 lb.", "1/2 in." -> "inch")?"""
    fraction = _FRACTION_RE.fullmatch(number)
    return number == "1" or bool(fraction and int(fraction[1]) < int(fraction[2]))


def _unit(m: re.Match[str]) -> str:
    number, separator, unit, stop = m[1], m[2], m[3], m[4]
    if unit in _NEED_STOP and not stop:
        return m[0]
    one, many = _UNITS[unit]
    if separator == "-":  # a compound adjective: "a 6-foot wall"
        return f"{number}-{one}" + (stop_if_sentence_ends(m) if stop else "")
    words = one if _is_one(number) else many
    return f"{number} {words}" + (stop_if_sentence_ends(m) if stop else "")


def _bare_unit(m: re.Match[str]) -> str:
    one, many = _UNITS[m[1]]
    singular = _SINGULAR_AFTER_RE.search(m.string[max(0, m.start() - 8):m.start()])
    return (one if singular else many) + stop_if_sentence_ends(m)


def _degrees(m: re.Match[str]) -> str:
    words = "degree" if _is_one(m[1]) else "degrees"
    return f"{m[1]} {words}" + (f" {_SCALES[m[2]]}" if m[2] else "")


def _feet_inches(m: re.Match[str]) -> str:
    feet = "foot" if m[1] == "1" else "feet"
    inches = "inch" if m[2] == "1" else "inches"
    return f"{m[1]} {feet} {m[2]} {inches}"


def read_units(text: str) -> str:
    """Rule 9 of :func:`normalize.normalize`: units after a number become words."""
    text = _FEET_INCHES_RE.sub(_feet_inches, text)
    text = _OTHER_DEGREES_RE.sub(" degrees", _DEGREES_RE.sub(_degrees, text))
    return _BARE_UNIT_RE.sub(_bare_unit, _UNIT_RE.sub(_unit, text))
