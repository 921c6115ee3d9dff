"""USB-token signing in the API: prepare the bytes to sign, read them again, finish with the value.

The same services as the page ``/documents/<id>/external/<external_id>``; a document whose
signer or agency uses a key file or a server token is signed with ``/sign`` or ``/issue``.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import jsonify, request, url_for

import signing
from eoffice.documents import external
from eoffice.documents.access import get_visible_document
from eoffice.documents.models import ExternalSignature
from eoffice.org.models import SigningCredential
from eoffice.web.api import bp
from eoffice.web.api.documents import _answer, parse_json
from eoffice.web.api.openapi import DocumentResult
from eoffice.web.api.openapi_signing import (
    ExternalFinishBody,
    ExternalSignatureOut,
    ExternalStartBody,
)
from eoffice.web.session import current_actor, db, file_policy, signature_config


@bp.post("/documents/<int:document_id>/external-signatures")
def start_external_signature(document_id: int) -> Any:
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    body = parse_json(ExternalStartBody, request.get_data() or b"{}")
    row = external.start_external(
        db(), actor, document, external.Step(body.step), file_policy(), signature_config()
    )
    db().commit()
    location = url_for("api.get_external_signature", document_id=document.id, external_id=row.id)
    return jsonify(_out(row)), 201, {"Location": location}


@bp.get("/documents/<int:document_id>/external-signatures/<int:external_id>")
def get_external_signature(document_id: int, external_id: int) -> Any:
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    return jsonify(_out(external.get_external(db(), actor, document, external_id)))


@bp.post("/documents/<int:document_id>/external-signatures/<int:external_id>/finish")
def finish_external_signature(document_id: int, external_id: int) -> Any:
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    row = external.get_external(db(), actor, document, external_id)
    body = parse_json(ExternalFinishBody, request.get_data() or b"{}")
    value = external.decode_signature(body.signature)
    external.finish_external(db(), actor, document, row, value, file_policy(), signature_config())
    db().commit()
    return jsonify(_answer(document, DocumentResult))


def _out(row: ExternalSignature) -> dict[str, Any]:
    pending = signing.PendingSignature.from_json(row.state)
    credential = db().get(SigningCredential, row.credential_id)
    b64 = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731  # local shorthand
    out = ExternalSignatureOut(
        id=row.id,
        document_id=row.document_id,
        step=row.step,  # type: ignore[arg-type]  # "sign" | "seal", written by the service
        certificate_subject=credential.certificate_subject if credential else "",
        signature_algorithm=external.signature_algorithm(row),  # type: ignore[arg-type]
        data_to_sign=b64(pending.data_to_sign),
        digest_to_sign=b64(pending.digest_to_sign),
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
    return out.model_dump(mode="json")
