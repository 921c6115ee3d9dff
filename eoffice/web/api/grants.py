"""A secret document's grants in the API: list the holders, grant, revoke with a reason.

The same services as the document page's grants section (``eoffice.documents.grants``); only
users who may see the document reach it, others get 404.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from eoffice.documents.access import get_visible_document
from eoffice.documents.grants import grant_access, list_grants, may_manage_grants, revoke_access
from eoffice.documents.models import Document
from eoffice.web.api import bp
from eoffice.web.api.documents import parse_json
from eoffice.web.api.openapi_grants import GrantBody, GrantList, GrantOut, RevokeGrantBody
from eoffice.web.session import current_actor, db


@bp.get("/documents/<int:document_id>/grants")
def list_document_grants(document_id: int) -> Any:
    document = get_visible_document(db(), current_actor(), document_id)
    return jsonify(_grants(document))


@bp.post("/documents/<int:document_id>/grants")
def grant_document(document_id: int) -> Any:
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    body = parse_json(GrantBody, request.get_data() or b"{}")
    grant_access(db(), actor, document, body.user_id)
    db().commit()
    return jsonify(_grants(document)), 201


@bp.post("/documents/<int:document_id>/grants/<int:user_id>/revoke")
def revoke_document_grant(document_id: int, user_id: int) -> Any:
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    body = parse_json(RevokeGrantBody, request.get_data() or b"{}")
    revoke_access(db(), actor, document, user_id, body.reason)
    db().commit()
    return jsonify(_grants(document))


def _grants(document: Document) -> dict[str, Any]:
    holders = list_grants(db(), document) if document.secrecy != "thuong" else []
    answer = GrantList(
        items=[GrantOut.model_validate(h) for h in holders],
        may_manage=may_manage_grants(db(), current_actor(), document),
    )
    return answer.model_dump(mode="json")
