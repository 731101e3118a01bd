"""Whether a text an admin wants to publish still names the contributor.

The published version of an identity field (`REDACTABLE_FIELDS`) is shown to
reviewers instead of the masked value, so it must not carry the contributor's
own details back in. A plain substring test let near-copies through ("Acme
Housing  Trust", "ACME-HOUSING TRUST", "J. Smithson"); here both sides are
compared as words: Unicode-normalised (NFKC, so full-width and ligature forms
fold), case-folded, punctuation and spacing dropped; and a person's surname
counts on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MIN_CHARS = 3  # shorter values (initials, "UK") would refuse almost any text
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The text's words, normalised: NFKC, case-folded, letters and digits only."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def names_contributor(text: str, own_values: Iterable[str], people: Iterable[str] = ()) -> bool:
    """True if `text` contains one of `own_values` (an organisation, a region,
    a host name, an email's domain...) once both are reduced to their words and
    run together (so spacing, punctuation, case and look-alike Unicode forms
    make no difference), or a word that is the surname (last word) of one of
    `people`."""
    text_words = words(text)
    squashed = "".join(text_words)
    for value in own_values:
        value_squashed = "".join(words(value))
        if len(value_squashed) >= MIN_CHARS and value_squashed in squashed:
            return True
    surnames = {w[-1] for w in map(words, people) if w and len(w[-1]) >= MIN_CHARS}
    return not surnames.isdisjoint(text_words)
