"""GET /verify/<code>: the public check behind the QR code printed on an issued document."""

from __future__ import annotations

from flask import Blueprint, render_template

from eoffice.documents.queries import get_issued_by_verify_code
from eoffice.web.session import db

bp = Blueprint("verify", __name__)


@bp.get("/verify/<code>")
def verify(code: str):
    document = get_issued_by_verify_code(db(), code)
    issued_file = next((f for f in document.files if f.is_main), None)
    return render_template("verify.html", document=document, issued_file=issued_file)
