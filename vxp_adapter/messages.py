"""Make the messages of the exchange: revocation, update, replacement, and statuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from vxp_adapter.codes import BUSINESS_REASONS, BusinessDocType
from vxp_adapter.model import (
    Business,
    DocumentUpdate,
    Edoc,
    Organization,
    Receiver,
    Replacement,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    default_document_id,
)


def document_id_of(edoc: Edoc) -> str:
    """Return the edoc's DocumentId, or the conventional one the builder writes when empty."""
    return edoc.document_id or default_document_id(
        edoc.sender.organ_id, edoc.promulgation_date, edoc.code_number, edoc.code_notation
    )


def reference_to(edoc: Edoc, counterparty: str | None = None) -> ResponseFor:
    """Return a ResponseFor naming an edoc; `counterparty` defaults to its sender."""
    return ResponseFor(
        organ_id=counterparty or edoc.sender.organ_id,
        document_id=document_id_of(edoc),
        code=edoc.notation,
        promulgation_date=edoc.promulgation_date,
    )


def _relay(edoc: Edoc, business: Business, at: datetime) -> Edoc:
    return dataclasses.replace(
        edoc,
        document_id=document_id_of(edoc),
        business=business,
        traces=(TraceHeader(edoc.sender.organ_id, at),),
    )


def revocation(
    original: Edoc, *, at: datetime, reason: str = "", staff: StaffInfo | None = None
) -> Edoc:
    """Return the edoc revoking a sent one (type 1): its metadata, no files, ResponseFor it.

    The revoked document is named both in ResponseFor and in Bussiness/DocumentId, because
    senders disagree on which one receivers read (vxp-edxml.md §9.8).
    """
    business = Business(
        doc_type=BusinessDocType.REVOKE,
        reason=reason or BUSINESS_REASONS[BusinessDocType.REVOKE],
        document_id=document_id_of(original),
        staff=staff or StaffInfo(),
    )
    revoked = _relay(original, business, at)
    return dataclasses.replace(revoked, attachments=(), response_for=(reference_to(original),))


def update(
    updated: Edoc,
    *,
    original_document_id: str,
    at: datetime,
    info_changed: bool = True,
    receivers: Sequence[Receiver] = (),
    reason: str = "",
    staff: StaffInfo | None = None,
) -> Edoc:
    """Return the edoc updating a sent one (type 2): new metadata and/or a new receiver list."""
    business = Business(
        doc_type=BusinessDocType.UPDATE,
        reason=reason or BUSINESS_REASONS[BusinessDocType.UPDATE],
        document_id=original_document_id,
        staff=staff or StaffInfo(),
        update=DocumentUpdate(
            document_info=info_changed,
            document_receiver=bool(receivers),
            receivers=tuple(receivers),
        ),
    )
    return _relay(updated, business, at)


def replacement(
    new: Edoc,
    *,
    replaced: Sequence[Replacement],
    at: datetime,
    reason: str = "",
    staff: StaffInfo | None = None,
) -> Edoc:
    """Return a new edoc replacing earlier ones (type 3), each for the listed agencies."""
    business = Business(
        doc_type=BusinessDocType.REPLACE,
        reason=reason or BUSINESS_REASONS[BusinessDocType.REPLACE],
        staff=staff or StaffInfo(),
        replacements=tuple(replaced),
    )
    return _relay(new, business, at)


def status(
    about: ResponseFor,
    *,
    sender: Organization,
    code: str,
    at: datetime,
    description: str = "",
    staff: StaffInfo | None = None,
) -> StatusMessage:
    """Return a status message; `about.organ_id` is the counterparty it is routed to.

    For 01–06, 15 and 16 that is the original sender (see `reference_to(edoc)`); for 13,
    sent by the original sender, it is the receiver (`reference_to(edoc, receiver)`).
    """
    return StatusMessage(
        sender=sender,
        response_for=about,
        status_code=code,
        description=description,
        timestamp=at,
        staff=staff or StaffInfo(),
    )
