"""The difference policy used to judge changes after a signature.

pyHanko's default policy recognises signing, form filling and validation data, but has no rule
for comments: a comment added after signing is reported as "other" (the same as rewriting the
page). Reviewers comment on received documents all the time, so :class:`MarkupAnnotationRule`
recognises *added* markup annotations (notes, highlights, ink...) at the ANNOTATIONS level. It
never approves deleting or editing an annotation, widgets, links or any change to a page besides
its /Annots entry; those stay "other".
"""

from __future__ import annotations

from collections.abc import Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    ModificationLevel,
    StandardDiffPolicy,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.rules_api import ReferenceUpdate, WhitelistRule

__all__ = ["POLICY", "MarkupAnnotationRule"]

MARKUP_SUBTYPES = frozenset(
    {
        "/Text",
        "/FreeText",
        "/Line",
        "/Square",
        "/Circle",
        "/Polygon",
        "/PolyLine",
        "/Highlight",
        "/Underline",
        "/Squiggly",
        "/StrikeOut",
        "/Caret",
        "/Ink",
        "/Popup",
    }
)


def _refs(array: generic.PdfObject) -> list[generic.Reference] | None:
    array = array.get_object()
    if not isinstance(array, generic.ArrayObject):
        return None
    if not all(isinstance(item, generic.IndirectObject) for item in array):
        return None
    return [item.reference for item in array]


def _annots(
    page: generic.DictionaryObject,
) -> tuple[set[generic.Reference], generic.Reference | None] | None:
    if "/Annots" not in page:
        return set(), None
    raw = page.raw_get("/Annots")
    refs = _refs(raw)
    if refs is None:
        return None
    return set(refs), raw.reference if isinstance(raw, generic.IndirectObject) else None


class MarkupAnnotationRule(WhitelistRule):
    """Approve markup annotations added to pages, with their appearance streams and popups."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[ReferenceUpdate]:
        yield from self._walk(old.root["/Pages"], new.root["/Pages"], old, new, depth=0)

    def _walk(self, old_node, new_node, old, new, depth: int) -> Iterator[ReferenceUpdate]:
        old_kids = _refs(old_node.get("/Kids", generic.ArrayObject()))
        new_kids = _refs(new_node.get("/Kids", generic.ArrayObject()))
        if old_kids is None or old_kids != new_kids or depth > 32:
            return  # page tree changed or is odd: leave it to the other rules (or to "other")
        for ref in new_kids:
            old_kid, new_kid = old.get_object(ref), new.get_object(ref)
            if old_kid.get("/Type") == "/Pages":
                yield from self._walk(old_kid, new_kid, old, new, depth + 1)
            else:
                yield from self._page(ref, old_kid, new_kid, old, new)

    @staticmethod
    def _page(ref, old_page, new_page, old, new) -> Iterator[ReferenceUpdate]:
        before, after = _annots(old_page), _annots(new_page)
        if before is None or after is None:
            return
        (old_annots, old_array), (new_annots, new_array) = before, after
        added = new_annots - old_annots
        if not added or old_annots - new_annots:
            return  # nothing added, or something deleted (never approved)
        if not all(old.is_ref_unassignable(a) for a in added):
            return  # an "added" annotation reuses an existing object: not a plain addition
        if not all(new.get_object(a).get("/Subtype") in MARKUP_SUBTYPES for a in added):
            return
        if not compare_dicts(old_page, new_page, frozenset({"/Annots"}), raise_exc=False):
            return
        # as pyHanko does for new signature widgets: pages are referenced from many places,
        # and only their /Annots entry changed, so approve the page object in every context
        yield ReferenceUpdate(ref)
        if new_array is not None and (new_array == old_array or old.is_ref_unassignable(new_array)):
            yield ReferenceUpdate(new_array)
        for annot in added:
            yield ReferenceUpdate(annot)
            deps = new.collect_dependencies(new.get_object(annot), since_revision=old.revision + 1)
            for dep in deps:
                yield ReferenceUpdate(dep)


POLICY = StandardDiffPolicy(
    global_rules=[
        *DEFAULT_DIFF_POLICY.global_rules,
        MarkupAnnotationRule().as_qualified(ModificationLevel.ANNOTATIONS),
    ],
    form_rule=DEFAULT_DIFF_POLICY.form_rule,
)
"""pyHanko's default policy plus :class:`MarkupAnnotationRule`."""
