"""Code lists of edXML and the VXP API, and the urgency/secrecy ↔ Priority mapping."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from vxp_adapter.errors import InvalidMessage, Problem

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
"""The QCVN 102:2016 namespace every edXML element is in."""

XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


class Urgency(StrEnum):
    """Mức độ khẩn (NĐ 30/2020 Đ4.2c)."""

    THUONG = "thuong"
    KHAN = "khan"
    THUONG_KHAN = "thuong_khan"
    HOA_TOC = "hoa_toc"


class Secrecy(StrEnum):
    """Độ mật (Luật BVBMNN 2018); only KHONG_MAT may travel through the axis."""

    KHONG_MAT = "khong_mat"
    MAT = "mat"
    TOI_MAT = "toi_mat"
    TUYET_MAT = "tuyet_mat"


_PRIORITY_OF: dict[Urgency, int] = {
    Urgency.THUONG: 0,
    Urgency.KHAN: 1,
    Urgency.THUONG_KHAN: 2,
    Urgency.HOA_TOC: 3,
}
_URGENCY_OF: dict[int, Urgency] = {v: k for k, v in _PRIORITY_OF.items()}
_URGENCY_OF[4] = Urgency.HOA_TOC  # legacy "hỏa tốc hẹn giờ": the timed variant is gone
PRIORITY_VALUES = frozenset(_URGENCY_OF)


def priority_of(urgency: Urgency) -> int:
    """Return the edXML `OtherInfo/Priority` code of an urgency level."""
    return _PRIORITY_OF[urgency]


def urgency_of(priority: int) -> Urgency:
    """Return the urgency level an edXML `Priority` code stands for.

    :raises InvalidMessage: the code is not 0..4.
    """
    try:
        return _URGENCY_OF[priority]
    except KeyError:
        raise InvalidMessage(Problem.BAD_VALUE, f"Priority={priority}") from None


def require_sendable(secrecy: Secrecy) -> None:
    """Refuse a secret document: the axis carries no secrecy mark and must not carry secrets.

    :raises InvalidMessage: the document is secret.
    """
    if secrecy is not Secrecy.KHONG_MAT:
        raise InvalidMessage(Problem.SECRET_DOCUMENT, str(secrecy))


class BusinessDocType(IntEnum):
    """`Bussiness/BussinessDocType`: what an edoc does."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


BUSINESS_REASONS: dict[BusinessDocType, str] = {
    BusinessDocType.NEW: "Văn bản điện tử mới",
    BusinessDocType.REVOKE: "Thu hồi văn bản điện tử",
    BusinessDocType.UPDATE: "Cập nhật văn bản điện tử",
    BusinessDocType.REPLACE: "Văn bản thay thế",
}

STATUS_LABELS: dict[str, str] = {
    "01": "Đã đến",
    "02": "Từ chối",
    "03": "Đã tiếp nhận",
    "04": "Phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
    "13": "Lấy lại",
    "15": "Đồng ý lấy lại/thu hồi/cập nhật",
    "16": "Từ chối lấy lại/thu hồi/cập nhật",
}
"""Business status codes (edXML StatusCode); any other code is kept as an opaque string."""


def status_label(code: str) -> str | None:
    """Return the Vietnamese name of a business status code, or None when it is unknown."""
    return STATUS_LABELS.get(code)


class MessageType(StrEnum):
    """`messagetype` of the VXP API."""

    EDOC = "edoc"
    STATUS = "status"


class TransportAck(StrEnum):
    """`updateStatus` values: the transport acknowledgement, distinct from business statuses."""

    DONE = "done"
    FAIL = "fail"
    PROCESSING = "processing"


SERVICE_TYPE = "eDoc"
