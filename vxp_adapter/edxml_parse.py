"""Read edXML as real traffic writes it (vxp-edxml.md §2–4, §5a).

Elements are matched by local name in any order and under any prefix; only the envelope must
be in the QCVN 102 namespace. `Bussiness` and `Business` are both read, a Signature in either
namespace is noticed, attachments may be raw or zipped, inside or outside the envelope, and
`ContentId` may carry any number of `cid:` prefixes. Leaf text is stripped.
"""

from __future__ import annotations

import re
from datetime import date

from vxp_adapter.attachments import read_attachments
from vxp_adapter.codes import NS, PRIORITY_VALUES, STATUS_LABELS, BusinessDocType
from vxp_adapter.dates import parse_date, parse_timestamp
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.model import (
    Business,
    DocumentType,
    DocumentUpdate,
    Edoc,
    Organization,
    OtherInfo,
    Receiver,
    Replacement,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)
from vxp_adapter.xmlsafe import DEFAULT_LIMITS, Limits, Node, parse_xml

ORGAN_ID_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
_TRUE = frozenset({"true", "1", "yes"})


class _Reader:
    """Helpers that collect warnings while reading one message."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def required(self, node: Node | None, name: str, where: str) -> str:
        value = node.text_of(name) if node is not None else ""
        if not value:
            raise InvalidMessage(Problem.MISSING_FIELD, f"{where}/{name}")
        return value

    def opt_int(self, node: Node, name: str) -> int | None:
        value = node.text_of(name)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            self.warnings.append(f"{name} không phải số: {value!r}")
            return None

    def opt_date(self, node: Node, name: str) -> date | None:
        value = node.text_of(name)
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.warnings.append(f"{name} không đọc được: {value!r}")
            return None

    def organization(self, node: Node, where: str) -> Organization:
        organ_id = self.required(node, "OrganId", where)
        if not ORGAN_ID_RE.match(organ_id):
            self.warnings.append(f"Mã định danh không theo QCVN 102: {organ_id}")
        return Organization(
            organ_id=organ_id,
            organ_name=node.text_of("OrganName"),
            organization_in_charge=node.text_of("OrganizationInCharge"),
            organ_add=node.text_of("OrganAdd"),
            email=node.text_of("Email"),
            telephone=node.text_of("Telephone"),
            fax=node.text_of("Fax"),
            website=node.text_of("Website"),
        )

    def response_for(self, node: Node) -> ResponseFor | None:
        organ_id, document_id = node.text_of("OrganId"), node.text_of("DocumentId")
        if not organ_id and not document_id:
            return None  # the axis empties <ResponseFor/> when relaying
        return ResponseFor(
            organ_id=organ_id,
            document_id=document_id,
            code=node.text_of("Code"),
            promulgation_date=self.opt_date(node, "PromulgationDate"),
        )


def _staff(node: Node | None) -> StaffInfo:
    if node is None:
        return StaffInfo()
    return StaffInfo(
        department=node.text_of("Department"),
        staff=node.text_of("Staff"),
        email=node.text_of("Email"),
        mobile=node.text_of("Mobile"),
        department_id=node.text_of("DepartmentId"),
        staff_id=node.text_of("StaffId"),
    )


def _flag(text: str) -> bool:
    return text.strip().lower() in _TRUE


def _envelope(data: bytes, limits: Limits) -> tuple[Node, Node, Node]:
    root = parse_xml(data, limits)
    if root.name != "edXML":
        raise InvalidMessage(Problem.NOT_EDXML, f"phần tử gốc là {root.name}")
    envelope = root.child("edXMLEnvelope")
    if envelope is None:
        raise InvalidMessage(Problem.NOT_EDXML, "thiếu edXMLEnvelope")
    if envelope.ns != NS or root.ns not in ("", NS):
        raise InvalidMessage(Problem.WRONG_NAMESPACE, envelope.ns or "(không có)")
    header = envelope.child("edXMLHeader")
    if header is None or header.child("MessageHeader") is None:
        raise InvalidMessage(Problem.MISSING_FIELD, "edXMLHeader/MessageHeader")
    return root, envelope, header


def parse_message(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Edoc | StatusMessage:
    """Parse an edoc or a status message.

    :raises InvalidMessage: the message is unsafe, malformed or misses mandatory fields.
    """
    root, envelope, header = _envelope(data, limits)
    mh = header.child("MessageHeader")
    assert mh is not None
    if mh.child("StatusCode") is not None:
        return _status(mh)
    return _edoc(root, envelope, header, mh, limits)


def parse_edoc(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Edoc:
    """Parse an edoc message.

    :raises InvalidMessage: as `parse_message`, or the message is a status.
    """
    msg = parse_message(data, limits)
    if not isinstance(msg, Edoc):
        raise InvalidMessage(Problem.NOT_EDXML, "đây là gói tin trạng thái")
    return msg


def parse_status(data: bytes, limits: Limits = DEFAULT_LIMITS) -> StatusMessage:
    """Parse a status message.

    :raises InvalidMessage: as `parse_message`, or the message is an edoc.
    """
    msg = parse_message(data, limits)
    if not isinstance(msg, StatusMessage):
        raise InvalidMessage(Problem.NOT_EDXML, "đây là gói tin văn bản")
    return msg


def _status(mh: Node) -> StatusMessage:
    r = _Reader()
    froms = mh.all("From")
    if not froms:
        raise InvalidMessage(Problem.MISSING_FIELD, "MessageHeader/From")
    ref_node = mh.child("ResponseFor")
    ref = r.response_for(ref_node) if ref_node is not None else None
    if ref is None or not ref.document_id or not ref.organ_id:
        raise InvalidMessage(Problem.MISSING_FIELD, "MessageHeader/ResponseFor")
    code = r.required(mh, "StatusCode", "MessageHeader")
    if code.isdigit() and len(code) == 1:
        code = "0" + code  # "3" written for "03"
    if code not in STATUS_LABELS:
        r.warnings.append(f"Mã trạng thái không xác định: {code}")
    stamp = mh.text_of("Timestamp")
    timestamp = None
    if stamp:
        try:
            timestamp = parse_timestamp(stamp)
        except ValueError:
            r.warnings.append(f"Timestamp không đọc được: {stamp!r}")
    return StatusMessage(
        sender=r.organization(froms[0], "From"),
        response_for=ref,
        status_code=code,
        description=mh.text_of("Description"),
        timestamp=timestamp,
        staff=_staff(mh.child("StaffInfo")),
        warnings=tuple(dict.fromkeys(r.warnings)),
    )


def _edoc(root: Node, envelope: Node, header: Node, mh: Node, limits: Limits) -> Edoc:
    r = _Reader()
    froms = mh.all("From")
    if not froms:
        raise InvalidMessage(Problem.MISSING_FIELD, "MessageHeader/From")
    if len(froms) > 1:
        r.warnings.append("Có nhiều phần tử From; dùng phần tử đầu tiên")
    code = mh.child("Code")
    promulgation = mh.child("PromulgationInfo")
    date_text = r.required(promulgation, "PromulgationDate", "PromulgationInfo")
    try:
        promulgation_date = parse_date(date_text)
    except ValueError as e:
        raise InvalidMessage(Problem.BAD_DATE, f"PromulgationDate={date_text!r}") from e
    traces, business = _trace_list(header, r)
    return Edoc(
        sender=r.organization(froms[0], "From"),
        recipients=_recipients(mh, r),
        code_number=r.required(code, "CodeNumber", "Code"),
        code_notation=r.required(code, "CodeNotation", "Code"),
        promulgation_date=promulgation_date,
        subject=r.required(mh, "Subject", "MessageHeader"),
        document_id=mh.text_of("DocumentId"),
        place=promulgation.text_of("Place") if promulgation is not None else "",
        document_type=_document_type(mh.child("DocumentType"), r),
        content=mh.text_of("Content"),
        signer=_signer(mh.child("SignerInfo")),
        due_date=r.opt_date(mh, "DueDate"),
        other=_other_info(mh.child("OtherInfo"), r),
        response_for=tuple(x for n in mh.all("ResponseFor") if (x := r.response_for(n))),
        steering_type=r.opt_int(mh, "SteeringType"),
        to_places=_places(mh.child("ToPlaces")),
        traces=traces,
        business=business,
        attachments=read_attachments(root, envelope, limits, r.warnings),
        has_signature=header.child("Signature") is not None
        or envelope.child("Signature") is not None,
        warnings=tuple(dict.fromkeys(r.warnings)),
    )


def _recipients(mh: Node, r: _Reader) -> tuple[Organization, ...]:
    seen: dict[str, Organization] = {}
    for node in mh.all("To"):
        org = r.organization(node, "To")
        if org.organ_id in seen:
            r.warnings.append(f"Nơi nhận trùng lặp: {org.organ_id}")
            continue
        seen[org.organ_id] = org
    if not seen:
        raise InvalidMessage(Problem.MISSING_FIELD, "MessageHeader/To")
    return tuple(seen.values())


def _document_type(node: Node | None, r: _Reader) -> DocumentType:
    if node is None:
        return DocumentType(type=0)
    return DocumentType(
        type=r.opt_int(node, "Type") or 0,
        type_detail=r.opt_int(node, "TypeDetail") or 0,
        type_name=node.text_of("TypeName"),
    )


def _signer(node: Node | None) -> SignerInfo:
    if node is None:
        return SignerInfo()
    return SignerInfo(
        competence=node.text_of("Competence"),
        position=node.text_of("Position"),
        full_name=node.text_of("FullName"),
    )


def _other_info(node: Node | None, r: _Reader) -> OtherInfo:
    if node is None:
        return OtherInfo()
    text = node.text_of("Priority")
    try:
        priority = int(text) if text else 0
    except ValueError:
        raise InvalidMessage(Problem.BAD_VALUE, f"Priority={text!r}") from None
    if priority not in PRIORITY_VALUES:
        raise InvalidMessage(Problem.BAD_VALUE, f"Priority={priority}")
    appendixes = node.child("Appendixes")
    return OtherInfo(
        priority=priority,
        sphere_of_promulgation=node.text_of("SphereOfPromulgation"),
        typer_notation=node.text_of("TyperNotation"),
        promulgation_amount=r.opt_int(node, "PromulgationAmount"),
        page_amount=r.opt_int(node, "PageAmount"),
        direction=_flag(node.text_of("Direction")),
        appendixes=tuple(a.text for a in appendixes.all("Appendix")) if appendixes else (),
    )


def _places(node: Node | None) -> tuple[str, ...]:
    return tuple(p.text for p in node.all("Place") if p.text) if node is not None else ()


def _trace_list(header: Node, r: _Reader) -> tuple[tuple[TraceHeader, ...], Business]:
    tl = header.child("TraceHeaderList")
    scope = tl.children if tl is not None else header.children
    traces: list[TraceHeader] = []
    business = Business()
    for node in scope:
        if node.name == "TraceHeader":
            stamp = node.text_of("Timestamp")
            try:
                when = parse_timestamp(stamp) if stamp else None
            except ValueError:
                r.warnings.append(f"TraceHeader/Timestamp không đọc được: {stamp!r}")
                when = None
            traces.append(TraceHeader(node.text_of("OrganId"), when))
        elif node.name in ("Bussiness", "Business"):
            business = _business(node, r)
    return tuple(traces), business


def _either(node: Node, suffix: str) -> Node | None:
    """Return the child named Bussiness<suffix> or Business<suffix>."""
    return node.child(f"Bussiness{suffix}") or node.child(f"Business{suffix}")


def _business(node: Node, r: _Reader) -> Business:
    type_node = _either(node, "DocType")
    text = type_node.text if type_node is not None else "0"
    try:
        doc_type = BusinessDocType(int(text or "0"))
    except ValueError:
        raise InvalidMessage(Problem.BAD_VALUE, f"BussinessDocType={text!r}") from None
    reason = _either(node, "DocReason")
    info = _either(node, "DocumentInfo")
    update = None
    if info is not None:
        rl = info.child("ReceiverList")
        receivers = tuple(
            Receiver(x.text_of("OrganId"), r.opt_int(x, "ReceiverType") or 0)
            for x in (rl.all("Receiver") if rl is not None else [])
        )
        update = DocumentUpdate(
            document_info=_flag(info.text_of("DocumentInfo")),
            document_receiver=_flag(info.text_of("DocumentReceiver")),
            receivers=receivers,
        )
    rl_node = node.child("ReplacementInfoList")
    replacements = tuple(
        _replacement(ri) for ri in (rl_node.all("ReplacementInfo") if rl_node is not None else [])
    )
    return Business(
        doc_type=doc_type,
        reason=reason.text if reason is not None else "",
        paper=_flag(node.text_of("Paper")),
        document_id=node.text_of("DocumentId"),
        staff=_staff(node.child("StaffInfo")),
        update=update,
        replacements=replacements,
    )


def _replacement(node: Node) -> Replacement:
    organs = node.child("OrganIdList")
    ids = tuple(o.text for o in organs.all("OrganId")) if organs is not None else ()
    return Replacement(node.text_of("DocumentId"), ids)
