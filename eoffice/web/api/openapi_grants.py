"""Request and answer models of a secret document's grants (``grants.py``).

Imported by :mod:`eoffice.web.api.openapi`, whose OpenAPI document collects them with its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from eoffice import clock

_STRICT = ConfigDict(extra="forbid", strict=True)
_ANSWER = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)


class GrantBody(BaseModel):
    model_config = _STRICT

    user_id: int = Field(description="Người dùng của cùng cơ quan được cấp quyền xem")


class RevokeGrantBody(BaseModel):
    model_config = _STRICT

    reason: str = Field(description="Lý do thu hồi (bắt buộc, tối đa 500 ký tự)")


class GrantUser(BaseModel):
    model_config = _ANSWER

    id: int
    full_name: str


class GrantOut(BaseModel):
    """One holder of a grant."""

    model_config = _ANSWER

    user: GrantUser
    granted_by: GrantUser | None
    granted_at: Annotated[datetime, AfterValidator(clock.to_local)]
    protected: bool = Field(
        description="Người này đang tham gia xử lý văn bản: chưa thu hồi được quyền"
    )


class GrantList(BaseModel):
    """Who may see a secret document (empty for an ordinary one)."""

    model_config = _ANSWER

    items: list[GrantOut]
    may_manage: bool = Field(
        description="Người gọi (lãnh đạo hoặc văn thư có quyền) được cấp, thu hồi quyền"
    )
