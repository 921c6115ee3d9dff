"""Quản trị chữ ký số: each leader's signature image and key, each agency's seal image and key.

A key is one of three kinds: a PKCS#12 file, stored as it came (still encrypted; its passphrase
is used once to check it); a key on a PKCS#11 token or HSM the server reaches (checked once with
its PIN); or a USB token on the signer's own computer (only its certificate is kept). No
passphrase or PIN is stored nor shown again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import Length, Optional

from eoffice.errors import EofficeError, InvalidInput
from eoffice.org import credentials
from eoffice.org import services as org
from eoffice.org.models import Agency, Role, SigningCredential, User
from eoffice.web import files
from eoffice.web.admin import _show_field_errors, admin_required, managed_user
from eoffice.web.documents.uploads import keep_upload, kept_file, kept_upload, upload_from
from eoffice.web.session import current_actor, db, file_policy, settings

bp = Blueprint("admin_signing", __name__, url_prefix="/admin/signing")


KINDS = {
    "pkcs12": _l("Tệp khóa PKCS#12 lưu trên máy chủ"),
    "pkcs11": _l("Thiết bị ký số PKCS#11 (token, HSM) gắn với máy chủ"),
    "external": _l("USB token trên máy tính của người ký"),
}


class CredentialForm(FlaskForm):
    """One form for the three kinds; the page shows the fields of the chosen kind."""

    kind = RadioField(_l("Loại khóa ký số"), choices=list(KINDS.items()), default="pkcs12")
    pkcs12 = FileField(
        _l("Tệp khóa PKCS#12 (.p12, .pfx)"),
        validators=[FileAllowed(["p12", "pfx"], _l("Chỉ nhận tệp .p12 hoặc .pfx"))],
    )
    passphrase = PasswordField(  # PasswordField never renders its value back
        _l("Mật khẩu của tệp khóa"), validators=[Optional(), Length(max=200)]
    )
    token_label = StringField(_l("Nhãn thiết bị (token label)"), [Optional(), Length(max=100)])
    key_label = StringField(
        _l("Nhãn khóa trên thiết bị (key label)"), [Optional(), Length(max=100)]
    )
    pin = PasswordField(_l("Mã PIN (chỉ để kiểm tra, không lưu)"), [Optional(), Length(max=100)])
    chain = FileField(_l("Chứng thư trung gian (PEM), nếu thiết bị không có"))
    certificate = FileField(_l("Chứng thư số của USB token (.cer, .crt, .pem)"))
    image = FileField(_l("Ảnh (PNG)"))
    kept_image = HiddenField()

    def missing(self) -> bool:
        """Mark the empty fields the chosen kind needs; return whether any was empty."""
        needed = {
            "pkcs12": (
                (self.pkcs12, _l("Chọn tệp khóa .p12 hoặc .pfx")),
                (self.passphrase, _l("Bắt buộc")),
            ),
            "pkcs11": (
                (self.token_label, _l("Bắt buộc")),
                (self.key_label, _l("Bắt buộc")),
                (self.pin, _l("Bắt buộc")),
            ),
            "external": ((self.certificate, _l("Chọn tệp chứng thư số")),),
        }[self.kind.data or "pkcs12"]
        empty = [(f, m) for f, m in needed if not f.data]
        for f, message in empty:
            f.errors = [*f.errors, message]
        return bool(empty)


@bp.get("/")
@admin_required
def index() -> Any:
    show_all = request.args.get("show") == "all"
    managed = org.list_managed_agencies(db(), current_actor())
    people = org.list_users(db(), [a.id for a in managed])
    rows = []
    for agency in managed:
        members = [
            (u, credentials.active_credential(db(), user_id=u.id))
            for u in people
            if u.agency_id == agency.id and (show_all or u.has_role(Role.LEADER))
        ]
        rows.append((agency, credentials.active_credential(db(), agency_id=agency.id), members))
    return render_template("admin/signing.html", rows=rows, show_all=show_all)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int) -> Any:
    return _install(user=managed_user(user_id))


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@admin_required
def agency(agency_id: int) -> Any:
    if agency_id not in _managed_ids():
        abort(404)
    return _install(agency=org.get_agency_or_raise(db(), agency_id))


@bp.get("/credentials/<int:credential_id>/image.png")
@admin_required
def image(credential_id: int) -> Response:
    credential = db().get(SigningCredential, credential_id)
    if credential is None or not credential.image_png:
        abort(404)
    owner_agency_id = (
        credential.agency_id
        if credential.agency_id is not None
        else db().get(User, credential.user_id).agency_id  # type: ignore[union-attr]
    )
    if owner_agency_id not in _managed_ids():
        abort(404)
    # Shown through <img> on the admin page (an image ignores the attachment disposition); opened
    # on its own it is a download, never a page of this site.
    return files.download(credential.image_png, f"chu-ky-{credential.id}.png", "image/png")


def _managed_ids() -> set[int]:
    return {a.id for a in org.list_managed_agencies(db(), current_actor())}


def _install(*, user: User | None = None, agency: Agency | None = None) -> Any:
    current = (
        credentials.active_credential(db(), user_id=user.id)
        if user is not None
        else credentials.active_credential(db(), agency_id=agency.id)  # type: ignore[union-attr]
    )
    form = CredentialForm()
    form.image.label.text = (
        _("Ảnh chữ ký tay (PNG nền trong, mực xanh)")
        if user is not None
        else _("Ảnh con dấu (PNG nền trong, màu đỏ, đúng kích thước)")
    )
    here = (
        url_for("admin_signing.user", user_id=user.id)
        if user is not None
        else url_for("admin_signing.agency", agency_id=agency.id)  # type: ignore[union-attr]
    )

    def page(status: int) -> tuple[str, int]:
        kept = kept_file(form.kept_image.data, current_actor().user_id)
        if kept is None:
            form.kept_image.data = ""
        return render_template(
            "admin/signing_owner.html",
            form=form,
            owner_user=user,
            owner_agency=agency,
            current=current,
            kept=kept,
            kinds=KINDS,
            pkcs11_module=settings().signing_pkcs11_module,
        ), status

    if request.method == "GET":
        return page(200)
    new_image = upload_from(form.image.data)
    image_png = (
        new_image.data
        if new_image is not None
        else _kept_image_data(form.kept_image.data)
        or (current.image_png if current is not None else None)
    )
    valid = form.validate_on_submit()
    if not valid or form.missing() or image_png is None:
        if image_png is None and not form.image.errors:
            form.image.errors = [*form.image.errors, _("Chọn ảnh PNG")]
        _keep_image(form, new_image)
        return page(422)
    try:
        _install_kind(form, image_png, user=user, agency=agency)
    except EofficeError as e:
        db().rollback()
        _show_field_errors(form, e)
        if isinstance(e, InvalidInput) and "image" not in e.fields:
            _keep_image(form, new_image)
        return page(e.http_status)
    db().commit()
    flash(_("Đã cài đặt chứng thư số và ảnh."), "success")
    return redirect(here)


def _install_kind(
    form: CredentialForm, image_png: bytes, *, user: User | None, agency: Agency | None
) -> None:
    owner: dict[str, Any] = {"image_png": image_png, "user": user, "agency": agency}
    if form.kind.data == "pkcs11":
        chain = upload_from(form.chain.data)
        credentials.install_pkcs11(
            db(),
            current_actor(),
            module_path=settings().signing_pkcs11_module,
            token_label=form.token_label.data or "",
            key_label=form.key_label.data or "",
            pin=form.pin.data or "",
            chain_pem=chain.data if chain else None,
            **owner,
        )
    elif form.kind.data == "external":
        certificate = upload_from(form.certificate.data)
        assert certificate is not None  # form.missing() asked for it
        credentials.install_external(
            db(), current_actor(), certificate_data=certificate.data, **owner
        )
    else:
        credentials.install_pkcs12(
            db(),
            current_actor(),
            pkcs12_data=form.pkcs12.data.read(),
            passphrase=form.passphrase.data or "",
            **owner,
        )


def _kept_image_data(token: str | None) -> bytes | None:
    kept = kept_upload(token, file_policy(), current_actor().user_id)
    return kept.data if kept is not None else None


def _keep_image(form: CredentialForm, upload: Any) -> None:
    """Keep a new PNG for the next try, so only the key file and passphrase are chosen again."""
    if upload is None or not upload.data.startswith(credentials.PNG_MAGIC):
        return  # nothing new (an earlier kept image stays kept), or not worth keeping
    kept = keep_upload(upload, file_policy(), current_actor().user_id)
    form.kept_image.data = kept.token if kept else ""
