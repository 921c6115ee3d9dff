"""Request and answer models of the USB-token signing endpoints (``signing.py``).

Imported by :mod:`eoffice.web.api.openapi`, whose OpenAPI document collects them with its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from eoffice import clock

_STRICT = ConfigDict(extra="forbid", strict=True)


class ExternalStartBody(BaseModel):
    """Which step to prepare for the user's USB token."""

    model_config = _STRICT

    step: Literal["sign", "seal"] = Field(
        description="sign: chữ ký của người ký (văn bản đã duyệt); seal: văn thư cấp số, ngày "
        "và ký số cơ quan (văn bản đã ký hoặc đã cấp số)"
    )


class ExternalFinishBody(BaseModel):
    model_config = _STRICT

    signature: str = Field(
        description="Giá trị chữ ký do USB token tính trên data_to_sign (hoặc digest_to_sign), "
        "Base64: RSA PKCS#1 v1.5 hoặc ECDSA (DER), SHA-256"
    )


class ExternalSignatureOut(BaseModel):
    """A prepared signature waiting for the user's USB token."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: int
    document_id: int
    step: Literal["sign", "seal"]
    certificate_subject: str
    signature_algorithm: Literal["rsa-pkcs1v15-sha256", "ecdsa-sha256", "unsupported"]
    data_to_sign: str = Field(
        description="Base64 của thuộc tính CMS đã ký (DER): dữ liệu USB token phải ký với SHA-256"
    )
    digest_to_sign: str = Field(
        description="Base64 của SHA-256(data_to_sign), cho công cụ ký một giá trị băm"
    )
    created_at: Annotated[datetime, AfterValidator(clock.to_local)]
    expires_at: Annotated[datetime, AfterValidator(clock.to_local)] = Field(
        description="Sau thời điểm này phải chuẩn bị lại"
    )
