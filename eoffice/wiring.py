"""Objects the boundaries (web, CLI, worker) build from the settings for the services."""

from __future__ import annotations

from eoffice.documents.blobs import BlobStore, FilePolicy
from eoffice.documents.signatures import SignatureConfig
from eoffice.settings import Settings


def file_policy(settings: Settings) -> FilePolicy:
    """Where uploads go and how large they may be."""
    return FilePolicy(
        store=BlobStore(settings.effective_blob_dir),
        max_main_bytes=settings.max_upload_mb * 1024 * 1024,
        max_attachment_bytes=settings.max_attachment_mb * 1024 * 1024,
    )


def signature_config(settings: Settings, *, online: bool = False) -> SignatureConfig:
    """The public address (QR codes), the trust store, the timestamp authority and the PKCS#11
    module; ``online`` (the worker only) lets validation fetch OCSP responses and CRLs."""
    return SignatureConfig(
        online=online,
        base_url=settings.base_url,
        trust_dir=settings.effective_trust_dir,
        tsa_url=settings.signing_tsa_url,
        pkcs11_module=settings.signing_pkcs11_module,
    )
