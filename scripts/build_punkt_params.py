"""Regenerate audiobook_tts/text/data/punkt_en.json, the Punkt parameters shipped with the package.

The parameters are curated, not trained: a trained file depends on its corpus, and the
chunking of a book must be the same on every machine, online or offline. Run

    python scripts/build_punkt_params.py [OUTPUT]

The output is deterministic (sorted lists, fixed formatting); tests check that the shipped
file equals what this script builds.
"""

from __future__ import annotations

import json
import string
import sys
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "audiobook_tts" / "text" / "data" / "punkt_en.json"

# Punkt stores abbreviations lower-cased and without their final period ("e.g." -> "e.g").
TITLES = (
    "mr mrs ms messrs mme mlle dr prof rev hon gen col capt lt sgt maj cmdr adm gov pres supt "
    "insp esq jr sr st mt ft"
)
LATIN = "etc viz vs cf e.g i.e al ibid ca"
REFERENCES = "vol vols ch chap pp fig figs nos para"
# Left out because as words they end far more sentences in fiction than they abbreviate:
# "no" (normalize expands "No. 5" before splitting), "art", "sec", "ed", "mar", "sat",
# "sun", "wed".
DATES = "jan feb apr jun jul aug sep sept oct nov dec mon tue tues thu thur thurs fri"
TIMES_AND_PLACES = "a.m p.m a.d b.c u.s u.k u.s.a ave rd blvd sq co inc ltd bros corp dept univ"
# Single letters are initials ("H. G. Wells"), except "i", which ends sentences as a pronoun.
INITIALS = " ".join(c for c in string.ascii_lowercase if c != "i")

# Capitalised words that nearly always start a sentence: after an abbreviation ("etc. The")
# Punkt then ends the sentence. Only function words: surnames such as "Young", "White" or
# "Little" must not break "Mr. Young".
SENT_STARTERS = (
    "a after all also although an and as at because before both but by each even every for "
    "from he her here his how however i if in it its meanwhile my neither nor now of oh on "
    "once only or our perhaps she since so some still such suddenly that the their then there "
    "these they this those though thus to we what when where which while who why with yes yet "
    "you your"
)


def build_params() -> dict[str, object]:
    abbrevs = set()
    for group in (TITLES, LATIN, REFERENCES, DATES, TIMES_AND_PLACES, INITIALS):
        abbrevs.update(w.rstrip(".") for w in group.split())
    return {
        "abbrev_types": sorted(abbrevs),
        "collocations": [],
        "sent_starters": sorted(set(SENT_STARTERS.split())),
        "ortho_context": {},
    }


def render(params: dict[str, object]) -> str:
    return json.dumps(params, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(build_params()), encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
