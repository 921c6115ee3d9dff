"""The adapter's error hierarchy: every failure carries a machine code and a Vietnamese message."""

from __future__ import annotations

from enum import StrEnum


class Problem(StrEnum):
    """Machine codes of what can be wrong with an edXML message."""

    MALFORMED = "malformed_xml"
    ENCODING = "bad_encoding"
    DOCTYPE = "doctype_forbidden"
    TOO_LARGE = "message_too_large"
    TOO_MANY_ELEMENTS = "too_many_elements"
    NOT_EDXML = "not_edxml"
    WRONG_NAMESPACE = "wrong_namespace"
    MISSING_FIELD = "missing_field"
    BAD_VALUE = "bad_value"
    BAD_DATE = "bad_date"
    BAD_BASE64 = "bad_base64"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ZIP_BOMB = "zip_bomb"
    ATTACHMENT_CORRUPT = "attachment_corrupt"
    DUPLICATE_RECIPIENT = "duplicate_recipient"
    SECRET_DOCUMENT = "secret_document"  # noqa: S105 - a problem code, not a password
    SCHEMA = "schema_invalid"
    UNKNOWN_DOCUMENT = "unknown_document"


_MESSAGES: dict[Problem, str] = {
    Problem.MALFORMED: "Gói tin edXML không đúng cú pháp XML",
    Problem.ENCODING: "Gói tin edXML phải được mã hóa UTF-8",
    Problem.DOCTYPE: "Gói tin edXML không được chứa khai báo DOCTYPE hoặc thực thể",
    Problem.TOO_LARGE: "Gói tin edXML vượt quá dung lượng cho phép",
    Problem.TOO_MANY_ELEMENTS: "Gói tin edXML có quá nhiều phần tử",
    Problem.NOT_EDXML: "Tệp không phải là gói tin edXML",
    Problem.WRONG_NAMESPACE: "Gói tin edXML không thuộc không gian tên QCVN 102:2016",
    Problem.MISSING_FIELD: "Gói tin edXML thiếu trường bắt buộc",
    Problem.BAD_VALUE: "Gói tin edXML có giá trị không hợp lệ",
    Problem.BAD_DATE: "Gói tin edXML có ngày tháng không hợp lệ",
    Problem.BAD_BASE64: "Tệp đính kèm không được mã hóa base64 hợp lệ",
    Problem.TOO_MANY_ATTACHMENTS: "Gói tin edXML có quá nhiều tệp đính kèm",
    Problem.ATTACHMENT_TOO_LARGE: "Tệp đính kèm vượt quá dung lượng cho phép",
    Problem.ZIP_BOMB: "Tệp nén đính kèm vượt quá giới hạn giải nén an toàn",
    Problem.ATTACHMENT_CORRUPT: "Tệp đính kèm bị hỏng (mã kiểm tra không khớp)",
    Problem.DUPLICATE_RECIPIENT: "Danh sách nơi nhận có mã định danh trùng lặp",
    Problem.SECRET_DOCUMENT: "Văn bản mật không được gửi qua trục liên thông",
    Problem.SCHEMA: "Gói tin edXML tạo ra không đúng lược đồ",
    Problem.UNKNOWN_DOCUMENT: "Không tìm thấy văn bản mà gói tin nhắc đến",
}


class VxpError(Exception):
    """Base class of every error raised by vxp_adapter."""


class InvalidMessage(VxpError):
    """An edXML message that cannot be read or built."""

    def __init__(self, code: Problem, detail: str = "") -> None:
        self.code = code
        self.message = _MESSAGES[code]
        self.detail = detail
        super().__init__(f"{self.message}: {detail}" if detail else self.message)


class TransportError(VxpError):
    """The axis could not be reached or answered something unreadable."""


class RemoteError(VxpError):
    """The axis answered a call with a failure (`status` FAIL or `ErrorCode` not "0")."""

    def __init__(self, operation: str, error_code: str, error_desc: str) -> None:
        self.operation = operation
        self.error_code = error_code
        self.error_desc = error_desc
        super().__init__(f"{operation}: trục trả lỗi {error_code}: {error_desc}")
