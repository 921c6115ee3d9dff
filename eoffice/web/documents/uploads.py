"""Uploaded files from forms, and keeping a file across a refused form.

A browser cannot re-fill a file input, so when a registration is refused for another reason (a
missing field, a possible duplicate) the PDF is written to the content-addressed store and the page
carries a signed token naming it. Only the user it was issued to can redeem it, and the bytes are
checked against their hash when read back. A stored file without a row is harmless (blobs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage

from eoffice.documents.blobs import FilePolicy, Upload, safe_filename
from eoffice.errors import EofficeError

_SALT = "eoffice.kept-upload"
KEEP_SECONDS = 8 * 3600
"""A kept file outlives a working day's interruptions, not more."""


@dataclass(frozen=True)
class KeptFile:
    """What the page shows of a kept file."""

    token: str
    filename: str


def upload_from(storage: FileStorage | None) -> Upload | None:
    """Return the upload in a file field, or None when no file was chosen."""
    if storage is None or not storage.filename:
        return None
    return Upload(storage.filename, storage.mimetype or "", storage.read())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def keep_upload(upload: Upload, policy: FilePolicy, user_id: int | None) -> KeptFile | None:
    """Store ``upload`` and return the token that brings it back, or None if it cannot be kept."""
    if not upload.data or len(upload.data) > policy.max_main_bytes:
        return None
    try:
        digest = policy.store.put(upload.data)
    except EofficeError:
        return None  # the disk is full: the user chooses the file again, nothing else breaks
    name = safe_filename(upload.filename)
    token = _serializer().dumps({"sha": digest, "name": name, "uid": user_id})
    return KeptFile(token, name)


def kept_file(token: str | None, user_id: int | None) -> KeptFile | None:
    """Return the kept file a token names, if the token is genuine, fresh and this user's."""
    payload = _payload(token, user_id)
    return KeptFile(token or "", payload["name"]) if payload else None


def kept_upload(token: str | None, policy: FilePolicy, user_id: int | None) -> Upload | None:
    """Return the kept upload a token names, or None (bad token, or the file is gone)."""
    payload = _payload(token, user_id)
    if payload is None:
        return None
    try:
        data = policy.store.get(payload["sha"])
    except EofficeError:
        return None
    return Upload(payload["name"], "application/pdf", data)


def _payload(token: str | None, user_id: int | None) -> dict | None:
    if not token:
        return None
    try:
        payload = _serializer().loads(token, max_age=KEEP_SECONDS)
    except BadSignature:  # also covers an expired token
        return None
    if not isinstance(payload, dict) or payload.get("uid") != user_id:
        return None
    if not isinstance(payload.get("sha"), str) or not isinstance(payload.get("name"), str):
        return None
    return payload
