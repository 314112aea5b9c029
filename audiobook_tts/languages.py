"""Language codes: the languages Chatterbox speaks, their names, and how books spell them.

Books name their language in many ways: "en-GB" (EPUB, BCP 47), "fr_FR" (a locale), "ger" or
"deu" (ISO 639-2, old EPUBs and MARC records), "French" (front matter). Everything here is
reduced to the ISO 639-1 code the models use. No project imports: config validates with it.
"""

from __future__ import annotations

# The languages of Chatterbox Multilingual (ISO 639-1), with their English names.
NAMES: dict[str, str] = {
    "ar": "Arabic", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "ms": "Malay", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sv": "Swedish",
    "sw": "Swahili", "tr": "Turkish", "zh": "Chinese",
}
SUPPORTED: tuple[str, ...] = tuple(sorted(NAMES))
# A book that does not say (or says "undetermined") is read in English, as before languages.
DEFAULT_LANGUAGE = "en"

# Other spellings of the same languages: ISO 639-2 (bibliographic and terminology codes),
# Norwegian's written standards, Hebrew's withdrawn code, Mandarin.
_ALIASES: dict[str, str] = {
    "ara": "ar", "dan": "da", "ger": "de", "deu": "de", "gre": "el", "ell": "el",
    "eng": "en", "spa": "es", "fin": "fi", "fre": "fr", "fra": "fr", "heb": "he", "iw": "he",
    "hin": "hi", "ita": "it", "jpn": "ja", "kor": "ko", "may": "ms", "msa": "ms", "zsm": "ms",
    "dut": "nl", "nld": "nl", "nor": "no", "nb": "no", "nn": "no", "nob": "no", "nno": "no",
    "pol": "pl", "por": "pt", "rus": "ru", "swe": "sv", "swa": "sw", "swh": "sw",
    "tur": "tr", "chi": "zh", "zho": "zh", "cmn": "zh",
    **{name.casefold(): code for code, name in NAMES.items()},
}
# Codes that say nothing about the language: undetermined, multiple, no linguistic content.
_NO_LANGUAGE = frozenset({"", "und", "mul", "zxx", "mis"})


def normalize_code(raw: str) -> str:
    """"en-GB" -> "en", "fr_FR" -> "fr", "deu" -> "de", "French" -> "fr", "und" -> "".

    An unknown language keeps its primary subtag ("la-Latn" -> "la"), so an error can name it.
    """
    tag = raw.strip().replace("_", "-").casefold()
    primary = tag.split("-")[0]
    if tag in _ALIASES:  # "french" and the like may contain no subtag at all
        return _ALIASES[tag]
    primary = _ALIASES.get(primary, primary)
    return "" if primary in _NO_LANGUAGE else primary


def name(code: str) -> str:
    """"fr" -> "French"; an unknown code is its own name."""
    return NAMES.get(code, code)


def parse_language(raw: str) -> str:
    """A language the user asked for (flag or profile) -> its code; "" means "from the book".

    Raises ValueError with the message to show when Chatterbox speaks no such language.
    """
    code = normalize_code(raw)
    if raw.strip() and code not in NAMES:
        raise ValueError(
            f"{raw!r} is not a language Chatterbox speaks (use one of: {', '.join(SUPPORTED)})"
        )
    return code
