"""WTForms forms (CSRF comes from Flask-WTF). Labels are Vietnamese msgids."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eoffice.org.models import AdminLevel, Power, Role


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=200)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons (logout, revoke...)."""


class AgencyForm(FlaskForm):
    code = StringField(_l("Mã định danh (QCVN 102)"), validators=[DataRequired(), Length(max=35)])
    name = StringField(_l("Tên cơ quan"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Tên viết tắt"), validators=[DataRequired(), Length(max=20)])
    level = SelectField(_l("Cấp hành chính"), choices=[(lv.value, lv.label) for lv in AdminLevel])
    parent_code = SelectField(_l("Cơ quan cấp trên"), validate_choice=False)
    exchanges_via_vxp = BooleanField(_l("Liên thông qua Trục quốc gia (VXP)"))
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=250)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Email(), Length(max=100)])


class UnitForm(FlaskForm):
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Tên viết tắt"), validators=[DataRequired(), Length(max=20)])


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=50)])
    position = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Email(), Length(max=100)])
    agency_code = SelectField(_l("Cơ quan"), validate_choice=False)
    unit_short_name = SelectField(_l("Đơn vị"), validate_choice=False)
    roles = MultiCheckboxField(_l("Vai trò"), choices=[(r.value, r.label) for r in Role])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(), Length(max=200)])


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Vai trò"), choices=[(r.value, r.label) for r in Role])


class DelegationForm(FlaskForm):
    delegator_id = SelectField(_l("Người ủy quyền"), coerce=int, validate_choice=False)
    delegate_id = SelectField(_l("Người được ủy quyền"), coerce=int, validate_choice=False)
    powers = MultiCheckboxField(_l("Quyền"), choices=[(p.value, p.label) for p in Power])
    starts_at = DateTimeLocalField(_l("Từ"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Đến"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=500)])
