"""Fold Vietnamese text for diacritics-insensitive search ("quyet dinh" finds "Quyết định")."""

from __future__ import annotations

import re
import unicodedata

# Đ/đ is a letter of its own, not D plus a combining mark, so decomposition leaves it alone.
# The look-alikes (Icelandic eth, African D) turn up in text converted from legacy fonts.
_STROKED_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "Ɖ": "d", "ɖ": "d"})
_WORD = re.compile(r"[^\W_]+")


def fold_vietnamese(text: str) -> str:
    """Return ``text`` lower-cased with every diacritic removed and đ folded to d.

    Composed (NFC) and decomposed (NFD) input fold to the same string; compatibility forms
    (full-width letters, ligatures) fold to their plain letters.
    """
    # Lower-case before stripping: some capitals lower-case to a letter plus a combining mark.
    decomposed = unicodedata.normalize("NFKD", text.translate(_STROKED_D).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Compatibility forms such as "ℌ" decompose to a capital, hence the second lower().
    return stripped.lower()


def search_terms(query: str) -> list[str]:
    """Return the folded words of a search query, in order, without repeats."""
    return list(dict.fromkeys(_WORD.findall(fold_vietnamese(query))))


def matches_all_terms(text: str, query: str) -> bool:
    """Return whether every word of ``query`` occurs, folded, somewhere in ``text``.

    Words match as substrings, so "quyet" finds "quyết định" and "15/QĐ" finds "15/QĐ-UBND".
    An empty query matches everything.
    """
    folded = fold_vietnamese(text)
    return all(term in folded for term in search_terms(query))
