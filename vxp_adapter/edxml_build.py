"""Write edXML the way the VNPT library does, so that every receiver on the axis can read it.

The shape (vxp-edxml.md §2, §5a): root `edXML` with the QCVN namespace as default, the envelope
redeclaring it with the `edXML:` prefix, the SDK's element order, `Bussiness` before
`TraceHeader`, `<Direction>` always present, dates `yyyy/MM/dd`, attachments outside the
envelope with `ContentTransferEncoded` declaring its own prefix, PDFs raw as application/pdf.
Text is written directly (not through a DOM) because the layout must be exact and it is fast.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from vxp_adapter.attachments import encode_for_wire, guess_type
from vxp_adapter.codes import BUSINESS_REASONS, NS, PRIORITY_VALUES
from vxp_adapter.dates import format_date, format_timestamp
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.model import (
    Attachment,
    Business,
    Edoc,
    Organization,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    default_document_id,
)
from vxp_adapter.schema import validate

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_HEAD = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}">\n'
    f'  <edXML:edXMLEnvelope xmlns:edXML="{NS}">\n    <edXML:edXMLHeader>\n'
)


def _esc(value: str) -> str:
    """Escape element text; characters XML 1.0 cannot carry are dropped (they are invisible)."""
    return _XML_INVALID.sub("", value).translate(_ESCAPES)


class _Writer:
    """Accumulate indented `edXML:`-prefixed elements."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.depth = 3

    def leaf(self, name: str, value: str | int) -> None:
        text = _esc(value) if isinstance(value, str) else str(value)
        pad = "  " * self.depth
        if text:
            self.parts.append(f"{pad}<edXML:{name}>{text}</edXML:{name}>\n")
        else:
            self.parts.append(f"{pad}<edXML:{name}/>\n")

    def opt(self, name: str, value: str | int | None) -> None:
        if value is not None and value != "":
            self.leaf(name, value)

    def open(self, name: str, attrs: str = "") -> None:
        self.parts.append(f"{'  ' * self.depth}<edXML:{name}{attrs}>\n")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.parts.append(f"{'  ' * self.depth}</edXML:{name}>\n")


def _organization(w: _Writer, tag: str, org: Organization) -> None:
    if not org.organ_id.strip():
        raise InvalidMessage(Problem.MISSING_FIELD, f"{tag}/OrganId")
    w.open(tag)
    w.leaf("OrganId", org.organ_id)
    w.opt("OrganizationInCharge", org.organization_in_charge)
    w.leaf("OrganName", org.organ_name)
    w.opt("OrganAdd", org.organ_add)
    w.opt("Email", org.email)
    w.opt("Telephone", org.telephone)
    w.opt("Fax", org.fax)
    w.opt("Website", org.website)
    w.close(tag)


def _response_for(w: _Writer, ref: ResponseFor) -> None:
    w.open("ResponseFor")
    w.leaf("OrganId", ref.organ_id)
    w.leaf("Code", ref.code)
    w.leaf("DocumentId", ref.document_id)
    if ref.promulgation_date is not None:
        w.leaf("PromulgationDate", format_date(ref.promulgation_date))
    w.close("ResponseFor")


def _staff(w: _Writer, staff: StaffInfo, *, with_ids: bool) -> None:
    w.open("StaffInfo")
    w.leaf("Department", staff.department)
    if with_ids:
        w.opt("DepartmentId", staff.department_id)
    w.leaf("Staff", staff.staff)
    if with_ids:
        w.opt("StaffId", staff.staff_id)
    w.leaf("Email", staff.email)
    w.leaf("Mobile", staff.mobile)
    w.close("StaffInfo")


def _check_edoc(edoc: Edoc) -> None:
    for name, value in (
        ("Code/CodeNumber", edoc.code_number),
        ("Code/CodeNotation", edoc.code_notation),
        ("Subject", edoc.subject),
    ):
        if not value.strip():
            raise InvalidMessage(Problem.MISSING_FIELD, name)
    if not edoc.recipients:
        raise InvalidMessage(Problem.MISSING_FIELD, "To")
    ids = [r.organ_id for r in edoc.recipients]
    if len(set(ids)) != len(ids):
        raise InvalidMessage(Problem.DUPLICATE_RECIPIENT, ", ".join(ids))
    if not edoc.traces:
        raise InvalidMessage(Problem.MISSING_FIELD, "TraceHeaderList/TraceHeader")
    if edoc.other.priority not in PRIORITY_VALUES:
        raise InvalidMessage(Problem.BAD_VALUE, f"Priority={edoc.other.priority}")


def _message_header(w: _Writer, edoc: Edoc) -> None:
    w.open("MessageHeader")
    _organization(w, "From", edoc.sender)
    for org in edoc.recipients:
        _organization(w, "To", org)
    w.leaf(
        "DocumentId",
        edoc.document_id
        or default_document_id(
            edoc.sender.organ_id, edoc.promulgation_date, edoc.code_number, edoc.code_notation
        ),
    )
    w.open("Code")
    w.leaf("CodeNumber", edoc.code_number)
    w.leaf("CodeNotation", edoc.code_notation)
    w.close("Code")
    w.open("PromulgationInfo")
    w.leaf("Place", edoc.place)
    w.leaf("PromulgationDate", format_date(edoc.promulgation_date))
    w.close("PromulgationInfo")
    w.open("DocumentType")
    w.leaf("Type", edoc.document_type.type)
    w.leaf("TypeDetail", edoc.document_type.type_detail)
    w.leaf("TypeName", edoc.document_type.type_name)
    w.close("DocumentType")
    w.leaf("Subject", edoc.subject)
    w.opt("Content", edoc.content)
    w.open("SignerInfo")
    w.leaf("Competence", edoc.signer.competence)
    w.leaf("Position", edoc.signer.position)
    w.leaf("FullName", edoc.signer.full_name)
    w.close("SignerInfo")
    if edoc.due_date is not None:
        w.leaf("DueDate", format_date(edoc.due_date))
    _other_info(w, edoc)
    for ref in edoc.response_for:
        _response_for(w, ref)
    w.opt("SteeringType", edoc.steering_type)
    if edoc.to_places:
        w.open("ToPlaces")
        for place in edoc.to_places:
            w.leaf("Place", place)
        w.close("ToPlaces")
    w.close("MessageHeader")


def _other_info(w: _Writer, edoc: Edoc) -> None:
    other = edoc.other
    w.open("OtherInfo")
    w.leaf("Priority", other.priority)
    w.opt("SphereOfPromulgation", other.sphere_of_promulgation)
    w.opt("TyperNotation", other.typer_notation)
    w.opt("PromulgationAmount", other.promulgation_amount)
    w.opt("PageAmount", other.page_amount)
    w.leaf("Direction", "true" if other.direction else "false")
    if other.appendixes:
        w.open("Appendixes")
        for appendix in other.appendixes:
            w.leaf("Appendix", appendix)
        w.close("Appendixes")
    w.close("OtherInfo")


def _business(w: _Writer, business: Business) -> None:
    w.open("Bussiness")  # the wire spelling; `Business` is lost by VNPT receivers
    w.opt("DocumentId", business.document_id)
    w.leaf("BussinessDocType", int(business.doc_type))
    w.leaf("BussinessDocReason", business.reason or BUSINESS_REASONS[business.doc_type])
    w.leaf("Paper", int(business.paper))
    if business.update is not None:
        w.open("BussinessDocumentInfo")
        w.leaf("DocumentInfo", int(business.update.document_info))
        w.leaf("DocumentReceiver", int(business.update.document_receiver))
        w.open("ReceiverList")
        for receiver in business.update.receivers:
            w.open("Receiver")
            w.leaf("OrganId", receiver.organ_id)
            w.leaf("ReceiverType", receiver.receiver_type)
            w.close("Receiver")
        w.close("ReceiverList")
        w.close("BussinessDocumentInfo")
    if business.replacements:
        w.open("ReplacementInfoList")
        for rep in business.replacements:
            w.open("ReplacementInfo")
            w.leaf("DocumentId", rep.document_id)
            w.open("OrganIdList")
            for organ_id in rep.organ_ids:
                w.leaf("OrganId", organ_id)
            w.close("OrganIdList")
            w.close("ReplacementInfo")
        w.close("ReplacementInfoList")
    _staff(w, business.staff, with_ids=True)
    w.close("Bussiness")


def _trace_list(w: _Writer, edoc: Edoc) -> None:
    w.open("TraceHeaderList")
    _business(w, edoc.business)
    for trace in edoc.traces:
        w.open("TraceHeader")
        w.leaf("OrganId", trace.organ_id)
        w.leaf("Timestamp", format_timestamp(trace.timestamp) if trace.timestamp else "")
        w.close("TraceHeader")
    w.close("TraceHeaderList")


def _with_ids(attachments: tuple[Attachment, ...]) -> Iterator[tuple[Attachment, str]]:
    for att in attachments:
        yield att, att.content_id or str(uuid.uuid4())


def build_edoc(edoc: Edoc, *, check_schema: bool = True) -> bytes:
    """Write an edoc message as UTF-8 edXML bytes.

    :raises InvalidMessage: a mandatory field is missing, a recipient repeats, or the result
        does not satisfy the adapter's XSD.
    """
    _check_edoc(edoc)
    w = _Writer()
    w.parts.append(_HEAD)
    _message_header(w, edoc)
    _trace_list(w, edoc)
    w.close("edXMLHeader")
    w.open("edXMLBody")
    w.open("edXMLManifest", ' version="1.0"')
    attachments = list(_with_ids(edoc.attachments))
    for att, cid in attachments:
        w.open("Reference")
        w.leaf("ContentId", f"cid:{cid}")
        w.leaf("ContentType", att.content_type or guess_type(att.name))
        w.opt("Description", att.description)
        w.leaf("AttachmentName", att.name)
        w.close("Reference")
    w.close("edXMLManifest")
    w.close("edXMLBody")
    w.close("edXMLEnvelope")
    head = "".join(w.parts).encode("utf-8")
    if not attachments:
        return _finish([head, b"</edXML>\n"], [], check_schema)
    chunks = [head, b"  <AttachmentEncoded>\n"]
    payloads: list[int] = []
    for att, cid in attachments:
        wire = encode_for_wire(att.name, att.data, att.content_type, cid)
        before, after = _attachment_xml(att, cid, wire.content_type)
        chunks.append(before)
        payloads.append(len(chunks))
        chunks += [wire.base64, after]
    chunks.append(b"  </AttachmentEncoded>\n</edXML>\n")
    return _finish(chunks, payloads, check_schema)


def _attachment_xml(att: Attachment, cid: str, wire_type: str) -> tuple[bytes, bytes]:
    """Return the XML around an attachment's base64 payload."""
    description = f"      <Description>{_esc(att.description)}</Description>\n"
    before = (
        "    <Attachment>\n"
        f"      <ContentId>cid:{_esc(cid)}</ContentId>\n"
        f"      <AttachmentName>{_esc(att.name)}</AttachmentName>\n"
        f"{description if att.description else ''}"
        f"      <ContentType>{_esc(wire_type)}</ContentType>\n"
        f'      <edXML:ContentTransferEncoded xmlns:edXML="{NS}">'
    )
    return before.encode("utf-8"), b"</edXML:ContentTransferEncoded>\n    </Attachment>\n"


def build_status(status: StatusMessage, *, check_schema: bool = True) -> bytes:
    """Write a status message as UTF-8 edXML bytes.

    :raises InvalidMessage: a mandatory field is missing or the result fails the XSD.
    """
    ref = status.response_for
    if not (ref.organ_id and ref.document_id):
        raise InvalidMessage(Problem.MISSING_FIELD, "ResponseFor")
    if not status.status_code.strip() or status.timestamp is None:
        raise InvalidMessage(Problem.MISSING_FIELD, "StatusCode/Timestamp")
    w = _Writer()
    w.parts.append(_HEAD)
    w.open("MessageHeader")
    _organization(w, "From", status.sender)
    _response_for(w, ref)
    _staff(w, status.staff, with_ids=False)
    w.leaf("StatusCode", status.status_code)
    w.leaf("Description", status.description)
    w.leaf("Timestamp", format_timestamp(status.timestamp))
    w.close("MessageHeader")
    w.close("edXMLHeader")
    w.close("edXMLEnvelope")
    w.parts.append("</edXML>\n")
    return _finish(["".join(w.parts).encode("utf-8")], [], check_schema)


def _finish(chunks: list[bytes], payloads: list[int], check_schema: bool) -> bytes:
    """Join the message; validate it with each base64 payload left out.

    Payloads come from `base64.b64encode`, so they are valid by construction; leaving them
    out keeps schema checking cheap for large attachments.
    """
    if check_schema:
        skip = set(payloads)
        validate(b"".join(c for i, c in enumerate(chunks) if i not in skip))
    return b"".join(chunks)
