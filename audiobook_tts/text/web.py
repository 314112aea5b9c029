"""Rule 2 of the narration normaliser: web and e-mail addresses, read as a narrator says them.

"www.example.com" -> "w w w dot example dot com", "jane@example.org" -> "jane at example dot
org", "https://example.com/news" -> "example dot com slash news" (the scheme is not said).
A bare domain is an address only with a common top-level domain ("example.com", not
"e.g." or "etc.").
"""

from __future__ import annotations

import re

_SYMBOL_WORDS = {
    ".": "dot", "@": "at", "/": "slash", "-": "dash", "_": "underscore", ":": "colon",
    "?": "question mark", "=": "equals", "&": "and", "#": "hash", "~": "tilde",
    "%": "percent", "+": "plus",
}
_TLDS = "com|org|net|edu|gov|mil|int|info|biz|io|uk|us|ca|au|nz|ie|de|fr|eu"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_LOWER_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
# A path may hold punctuation, but never ends with it ("see www.example.com." ends a
# sentence) nor with an underscore (Gutenberg's italics: "_www.example.com/news_").
_PATH = r"(?:[/?#][\w\-./~%?=&#+:]*[A-Za-z0-9\-/~%=&#+]|/)?"
# Digits may touch an address ("example.com3"): rule 12 pads them into words of their own.
_NOT_IN_WORD = r"(?![A-Za-z@])"
_URL_RE = re.compile(
    rf"(?<![A-Za-z@.])(?:"
    rf"(?:https?|ftp)://{_HOST}(?::\d+)?{_PATH}"
    rf"|www\.{_HOST}{_PATH}"
    rf"|{_LOWER_LABEL}(?:\.{_LOWER_LABEL})*\.(?:{_TLDS}){_NOT_IN_WORD}(?!\.\w){_PATH}"
    rf")"
)
_EMAIL_RE = re.compile(rf"(?<![A-Za-z.+-])[A-Za-z0-9][\w.+-]*@{_HOST}\.[A-Za-z]{{2,}}{_NOT_IN_WORD}")
_SCHEME_RE = re.compile(r"^(?:https?|ftp)://")
_PIECE_RE = re.compile(r"[A-Za-z]+|\d+|.")


def _spoken(address: str) -> str:
    words = []
    for piece in _PIECE_RE.findall(_SCHEME_RE.sub("", address).rstrip("/")):
        if piece.lower() == "www":
            words += list(piece)  # said letter by letter
        else:
            words.append(_SYMBOL_WORDS.get(piece, piece))
    return " ".join(words)


def read_addresses(text: str) -> str:
    """Rule 2 of :func:`normalize.normalize`: e-mail and web addresses become words."""
    text = _EMAIL_RE.sub(lambda m: _spoken(m[0]), text)
    return _URL_RE.sub(lambda m: _spoken(m[0]), text)
