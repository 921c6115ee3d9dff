"""Forms of the registry pages: filters, registration, drafts and the document actions.

Fields only parse and bound lengths; the rules (required fields, dates, who may act) are the
services', whose per-field messages the views put next to these fields by name.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eoffice.documents.fields import parse_date_value
from eoffice.documents.incoming import Target
from eoffice.documents.types import Secrecy, Urgency, administrative_types
from eoffice.web.forms import MultiCheckboxField

_MAX = _l("Tối đa %(max)d ký tự")
_REQUIRED = _l("Bắt buộc")


class VnDateField(StringField):
    """A date typed in an ``<input type="date">`` (yyyy-mm-dd) or as dd/mm/yyyy."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("render_kw", {})["type"] = "date"
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = valuelist
        self.data = None
        if not text:
            return
        self.data = parse_date_value(text)
        if self.data is None:
            raise ValueError(_l("Ngày không hợp lệ (dd/mm/yyyy)"))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if isinstance(self.data, date) else ""


def type_choices() -> list[tuple[str, str]]:
    """Return the 29 administrative document types of Điều 7 as select choices."""
    return [(t.code, t.name) for t in administrative_types()]


def _urgency_choices() -> list[tuple[str, str]]:
    return [(u.value, u.label) for u in Urgency]


def _secrecy_choices() -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in Secrecy]


class FilterForm(Form):
    """The list filters, read from the query string (GET: no CSRF)."""

    q = StringField(_l("Tìm kiếm"), validators=[Optional(), Length(max=200, message=_MAX)])
    type = SelectField(_l("Loại văn bản"), validate_choice=False)
    urgency = SelectField(_l("Độ khẩn"), validate_choice=False)
    status = SelectField(_l("Trạng thái"), validate_choice=False)
    direction = SelectField(_l("Sổ"), validate_choice=False)
    date_from = VnDateField(_l("Từ ngày"), validators=[Optional()])
    date_to = VnDateField(_l("Đến ngày"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = [("", _l("Tất cả")), *type_choices()]
        self.urgency.choices = [("", _l("Tất cả")), *_urgency_choices()]
        self.direction.choices = [
            ("", _l("Tất cả")),
            ("incoming", _l("Văn bản đến")),
            ("outgoing", _l("Văn bản đi")),
        ]


class _MetadataFields(FlaskForm):
    file = FileField(_l("Tệp văn bản (PDF)"))
    kept_file = HiddenField()
    """Signed token of the PDF uploaded with a previous, refused attempt (see uploads.py)."""
    type_code = SelectField(_l("Loại văn bản"), validate_choice=False)
    subject = TextAreaField(_l("Trích yếu"), validators=[Optional(), Length(max=500, message=_MAX)])
    urgency = SelectField(_l("Độ khẩn"), validate_choice=False)
    secrecy = SelectField(_l("Độ mật"), validate_choice=False)
    description = TextAreaField(
        _l("Ghi chú"), validators=[Optional(), Length(max=500, message=_MAX)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.type_code.choices = [("", _l("— Chọn loại văn bản —")), *type_choices()]
        self.urgency.choices = _urgency_choices()
        self.secrecy.choices = _secrecy_choices()


class IncomingForm(_MetadataFields):
    """Vào sổ văn bản đến: the PDF and the Phụ lục VI fields a clerk types."""

    organ_name = StringField(
        _l("Cơ quan ban hành"), validators=[Optional(), Length(max=200, message=_MAX)]
    )
    code_number = StringField(_l("Số"), validators=[Optional(), Length(max=11, message=_MAX)])
    code_notation = StringField(
        _l("Ký hiệu"), validators=[Optional(), Length(max=30, message=_MAX)]
    )
    issued_date = VnDateField(_l("Ngày văn bản"), validators=[Optional()])
    arrival_date = VnDateField(_l("Ngày đến"), validators=[Optional()])
    signer_name = StringField(_l("Người ký"), validators=[Optional(), Length(max=50, message=_MAX)])
    signer_position = StringField(
        _l("Chức vụ người ký"), validators=[Optional(), Length(max=100, message=_MAX)]
    )
    due_date = VnDateField(_l("Hạn giải quyết"), validators=[Optional()])
    allow_duplicate = BooleanField(_l("Vẫn vào sổ (tôi đã kiểm tra, đây không phải văn bản trùng)"))


class AgencyPicker(SelectMultipleField):
    """Recipient agencies by electronic ID, shown as a filterable checkbox list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DraftForm(_MetadataFields):
    """Soạn dự thảo văn bản đi: the PDF, the fields, the signer and the recipients."""

    signer_id = SelectField(_l("Người ký"), validate_choice=False)
    due_date = VnDateField(_l("Hạn trả lời"), validators=[Optional()])
    recipients = AgencyPicker(_l("Nơi nhận"), validate_choice=False)
    in_reply_to_id = HiddenField()
    replaces_id = HiddenField()
    """The issued document this draft replaces (văn bản thay thế), when there is one."""
    # "Soạn từ biểu mẫu": instead of a PDF, the page builds one from these (drafting.py).
    body = TextAreaField(
        _l("Nội dung văn bản"), validators=[Optional(), Length(max=20000, message=_MAX)]
    )
    signer_authority = TextAreaField(
        _l("Quyền hạn, chức vụ người ký"),
        validators=[Optional(), Length(max=200, message=_MAX)],
    )


class PresentForm(FlaskForm):
    leader_id = SelectField(_l("Trình lãnh đạo"), validate_choice=False)


class AssignForm(FlaskForm):
    """The leader's one-screen instruction: lead, co-operating, for information, deadline."""

    lead = SelectField(
        _l("Chủ trì"), validate_choice=False, validators=[InputRequired(message=_REQUIRED)]
    )
    cooperate = MultiCheckboxField(_l("Phối hợp"), validate_choice=False)
    inform = MultiCheckboxField(_l("Nhận để biết"), validate_choice=False)
    deadline = VnDateField(_l("Hạn xử lý"), validators=[Optional()])
    instruction = TextAreaField(
        _l("Ý kiến chỉ đạo (bút phê)"), validators=[Optional(), Length(max=2000, message=_MAX)]
    )


class ReassignForm(FlaskForm):
    handler_id = SelectField(_l("Người xử lý"), validate_choice=False)
    deadline = VnDateField(_l("Hạn xử lý"), validators=[Optional()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000, message=_MAX)])


class CompleteForm(FlaskForm):
    result = TextAreaField(
        _l("Kết quả xử lý"), validators=[Optional(), Length(max=2000, message=_MAX)]
    )


class ConfirmForm(FlaskForm):
    """An irreversible step: the user ticks an explicit confirmation."""

    confirm = BooleanField(
        _l("Tôi xác nhận thực hiện thao tác này"),
        validators=[DataRequired(message=_l("Đánh dấu xác nhận để tiếp tục"))],
    )


class ReasonForm(ConfirmForm):
    """Return or reject: a reason (the service requires it) and the confirmation."""

    reason = TextAreaField(_l("Lý do"), validators=[Optional(), Length(max=500, message=_MAX)])


class UpdateForm(ReasonForm):
    """Correct the metadata of an issued document; the recipients get the same correction."""

    subject = TextAreaField(_l("Trích yếu"), validators=[Optional(), Length(max=500, message=_MAX)])
    due_date = VnDateField(_l("Hạn trả lời"), validators=[Optional()])
    urgency = SelectField(_l("Độ khẩn"), validate_choice=False)
    signer_name = StringField(_l("Người ký"), validators=[Optional(), Length(max=50, message=_MAX)])
    signer_position = StringField(
        _l("Chức vụ người ký"), validators=[Optional(), Length(max=100, message=_MAX)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.urgency.choices = _urgency_choices()


class AcceptForm(FlaskForm):
    allow_duplicate = BooleanField(_l("Vẫn tiếp nhận (đã kiểm tra, không phải văn bản trùng)"))


class CommentForm(FlaskForm):
    """Submit, review, approve or return a draft, with an optional (or required) comment."""

    comment = TextAreaField(_l("Ý kiến"), validators=[Optional(), Length(max=2000, message=_MAX)])


class ReturnDraftForm(ConfirmForm):
    """Send a draft back to its drafter: the comment says what to change."""

    comment = TextAreaField(
        _l("Ý kiến (nội dung cần sửa)"), validators=[Optional(), Length(max=2000, message=_MAX)]
    )


class ReplaceFileForm(FlaskForm):
    file = FileField(_l("Tệp dự thảo mới (PDF)"))


class SignForm(ConfirmForm):
    """Ký số (leader) or cấp số, đóng dấu và phát hành (clerk): the key's passphrase."""

    # PasswordField: a refused attempt never writes the passphrase back into the page.
    passphrase = PasswordField(
        _l("Mật khẩu khóa ký số"),
        validators=[Optional(), Length(max=200, message=_MAX)],
        render_kw={"autocomplete": "off"},
    )


def encode_target(unit_id: int | None = None, user_id: int | None = None) -> str:
    """Return the form value of a unit (``unit:3``) or a person (``user:7``)."""
    return f"unit:{unit_id}" if unit_id is not None else f"user:{user_id}"


def decode_target(value: str) -> Target:
    """Return the target of a form value; an unreadable value is an empty target."""
    kind, _, raw = value.partition(":")
    if not raw.isdigit():
        return Target()
    if kind == "unit":
        return Target(unit_id=int(raw))
    if kind == "user":
        return Target(user_id=int(raw))
    return Target()


class GrantForm(ConfirmForm):
    """Grant a secret document to a user of the agency (văn bản mật)."""

    user_id = SelectField(_l("Người được xem"), validate_choice=False)


class RevokeGrantForm(ConfirmForm):
    """Revoke a grant: the reason is required (by the service) and kept in the timeline."""

    reason = TextAreaField(
        _l("Lý do thu hồi quyền"), validators=[Optional(), Length(max=500, message=_MAX)]
    )
