"""Typed errors of the signing library, each with a Vietnamese message for the user.

Every public function raises only these (third-party errors are wrapped with ``from``), and never
modifies the caller's input bytes, so a failed step leaves the original document untouched.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BrokenSignature",
    "CertificateError",
    "CertificateExpired",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUntrusted",
    "EncryptedPdf",
    "ExternalSignatureInvalid",
    "FieldAlreadyUsed",
    "FieldMissing",
    "ImageInvalid",
    "InvalidKeyFile",
    "KeyAccessError",
    "KeyUsageNotAllowed",
    "LevelUnavailable",
    "MalformedPdf",
    "NotSignedPdf",
    "PdfError",
    "PkiError",
    "SigningError",
    "TimestampUnavailable",
    "TokenKeyNotFound",
    "TokenLoginFailed",
    "TokenUnavailable",
    "WrongPassphrase",
]


class SigningError(Exception):
    """Base class of every error raised by :mod:`signing`."""

    code: ClassVar[str] = "signing_error"
    """Stable machine-readable code (for logs, the API and translations)."""

    message_vi: ClassVar[str] = "Không thực hiện được thao tác ký số."
    """Vietnamese message shown to the user."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.message_vi)
        self.detail = detail

    @property
    def vi(self) -> str:
        """Return the Vietnamese message, with the technical detail when there is one."""
        return f"{self.message_vi} ({self.detail})" if self.detail else self.message_vi


class KeyAccessError(SigningError):
    code = "key_access"
    message_vi = "Không truy cập được khóa ký số."


class WrongPassphrase(KeyAccessError):
    code = "wrong_passphrase"
    message_vi = "Mật khẩu của tệp khóa ký số (PKCS#12) không đúng."


class InvalidKeyFile(KeyAccessError):
    code = "invalid_key_file"
    message_vi = "Tệp khóa ký số không hợp lệ hoặc không chứa khóa và chứng thư số."


class TokenUnavailable(KeyAccessError):
    code = "token_unavailable"
    message_vi = (
        "Không kết nối được thiết bị ký số (USB token/HSM): kiểm tra thiết bị đã cắm "
        "và thư viện PKCS#11 đã cài đặt."
    )


class TokenLoginFailed(KeyAccessError):
    code = "token_login_failed"
    message_vi = "Mã PIN của thiết bị ký số không đúng hoặc thiết bị đã bị khóa."


class TokenKeyNotFound(KeyAccessError):
    code = "token_key_not_found"
    message_vi = "Không tìm thấy khóa hoặc chứng thư số trên thiết bị ký số."


class CertificateError(SigningError):
    code = "certificate"
    message_vi = "Chứng thư số không dùng được để ký."


class CertificateExpired(CertificateError):
    code = "certificate_expired"
    message_vi = "Chứng thư số đã hết hạn."


class CertificateNotYetValid(CertificateError):
    code = "certificate_not_yet_valid"
    message_vi = "Chứng thư số chưa đến thời điểm có hiệu lực."


class CertificateRevoked(CertificateError):
    code = "certificate_revoked"
    message_vi = "Chứng thư số đã bị thu hồi."


class KeyUsageNotAllowed(CertificateError):
    code = "key_usage_not_allowed"
    message_vi = (
        "Chứng thư số không được cấp cho mục đích ký văn bản (thiếu mục đích sử dụng khóa)."
    )


class CertificateUntrusted(CertificateError):
    code = "certificate_untrusted"
    message_vi = "Không xác thực được chứng thư số với danh sách tổ chức chứng thực tin cậy."


class PdfError(SigningError):
    code = "pdf"
    message_vi = "Tệp PDF không xử lý được."


class MalformedPdf(PdfError):
    code = "malformed_pdf"
    message_vi = "Tệp không phải PDF hợp lệ hoặc bị hỏng cấu trúc."


class EncryptedPdf(PdfError):
    code = "encrypted_pdf"
    message_vi = "Tệp PDF đã được mã hóa (đặt mật khẩu); không thể ký."


class BrokenSignature(PdfError):
    code = "broken_signature"
    message_vi = "Chữ ký số đã có trong tệp không còn toàn vẹn; không thể tiếp tục xử lý."


class NotSignedPdf(PdfError):
    code = "not_signed"
    message_vi = "Tệp PDF không có chữ ký số."


class FieldMissing(PdfError):
    code = "field_missing"
    message_vi = "Văn bản không có trường cần điền hoặc trường chữ ký cần dùng."


class FieldAlreadyUsed(PdfError):
    code = "field_already_used"
    message_vi = "Trường này đã được ký hoặc đã được điền."


class ImageInvalid(SigningError):
    code = "image_invalid"
    message_vi = "Ảnh chữ ký hoặc ảnh con dấu không hợp lệ (cần tệp PNG)."


class TimestampUnavailable(SigningError):
    code = "timestamp_unavailable"
    message_vi = "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA)."


class LevelUnavailable(SigningError):
    code = "level_unavailable"
    message_vi = "Không đạt được mức chữ ký yêu cầu (thiếu dấu thời gian hoặc thông tin thu hồi)."


class ExternalSignatureInvalid(SigningError):
    code = "external_signature_invalid"
    message_vi = "Chữ ký do thiết bị của người ký trả về không khớp với chứng thư số."


class PkiError(SigningError):
    code = "pki"
    message_vi = "Lỗi hạ tầng khóa công khai (PKI) thử nghiệm."
