"""Demo signing setup and a demo document that went through the whole outgoing flow.

``init_demo_signing`` builds a demo PKI (``signing.pki``) for every leader and every agency on
this instance, installs their keys with drawn signature and seal images, and trusts its root.
``issue_demo_document`` then takes one công văn of the first demo agency from draft to issue.
"""

from __future__ import annotations

import io
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.drafting import FONT_DIR, DraftForm, build_draft_pdf
from eoffice.documents.incoming import accept_arrival
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    create_draft,
    review_draft,
    submit_draft,
)
from eoffice.documents.signatures import SignatureConfig, issue_with_seal, sign_as_leader
from eoffice.org.actor import Actor
from eoffice.org.credentials import active_credential, install_pkcs12
from eoffice.org.models import Agency, Role, User, UserRole
from signing.pki import DemoPki, build_demo_pki, issue_identity

DEMO_SUBJECT = "Triển khai ứng dụng chữ ký số trong gửi, nhận văn bản điện tử năm 2027"


@dataclass(frozen=True)
class DemoSigning:
    pki_dir: Path
    root_pem: Path
    leaders: int
    agencies: int


def init_demo_signing(
    session: Session,
    pki_dir: Path,
    trust_dir: Path,
    passphrase: str,
    out_dir: Path | None = None,
) -> DemoSigning:
    """Build (or reuse) the demo PKI and install keys for leaders and agencies lacking one."""
    agencies = list(
        session.execute(select(Agency).where(Agency.is_local).order_by(Agency.id)).scalars()
    )
    leaders = list(
        session.execute(
            select(User)
            .join(UserRole)
            .where(UserRole.role == Role.LEADER.value, User.is_active)
            .order_by(User.id)
        ).scalars()
    )
    pki = (
        DemoPki.load(pki_dir)
        if (pki_dir / "pki.json").exists()
        else build_demo_pki(
            pki_dir, leaders=[], agencies=[], passphrase=passphrase, key_algorithm="ec-p256"
        )
    )
    system = Actor.system()
    for user in leaders:
        if active_credential(session, user_id=user.id) is None:
            pki = issue_identity(
                pki,
                user.full_name,
                kind="leader",
                passphrase=passphrase,
                file_stem=user.username,
                key_algorithm="ec-p256",
            )
            install_pkcs12(
                session,
                system,
                user=user,
                passphrase=passphrase,
                pkcs12_data=pki.path(f"leaders/{user.username}.p12").read_bytes(),
                image_png=signature_image(user.full_name),
            )
    for agency in agencies:
        if active_credential(session, agency_id=agency.id) is None:
            stem = agency.code.replace(".", "-")
            pki = issue_identity(
                pki,
                agency.name,
                kind="seal",
                passphrase=passphrase,
                file_stem=stem,
                key_algorithm="ec-p256",
            )
            install_pkcs12(
                session,
                system,
                agency=agency,
                passphrase=passphrase,
                pkcs12_data=pki.path(f"seals/{stem}.p12").read_bytes(),
                image_png=seal_image(agency.name),
            )
    trust_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pki.root_cert_path, trust_dir / "eoffice-demo-root-ca.pem")
    if out_dir is not None and (out_dir / "root-ca.pem").resolve() != pki.root_cert_path.resolve():
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pki.root_cert_path, out_dir / "root-ca.pem")
    return DemoSigning(pki_dir, pki.root_cert_path, len(leaders), len(agencies))


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / "LiberationSerif-Regular.ttf"), size)


def signature_image(name: str) -> bytes:
    """Draw a blue "handwritten" signature on a transparent PNG (300 dpi, ~40×15 mm)."""
    image = Image.new("RGBA", (480, 180), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    blue = (20, 40, 160, 255)
    points = [(30 + x * 4, 100 + 35 * math.sin(x / 9) * math.cos(x / 23)) for x in range(105)]
    draw.line(points, fill=blue, width=5, joint="curve")
    initials = "".join(part[0] for part in name.split()[-2:])
    draw.text((150, 20), initials, fill=blue, font=_font(90))
    return _png(image)


def seal_image(agency_name: str) -> bytes:
    """Draw a red round seal (40 mm at 300 dpi) on a transparent PNG."""
    size = 472
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 16, 30, 230)
    draw.ellipse((8, 8, size - 8, size - 8), outline=red, width=14)
    draw.ellipse((70, 70, size - 70, size - 70), outline=red, width=6)
    draw.text((size / 2, size / 2), "★", fill=red, font=_font(90), anchor="mm")
    words = agency_name.upper().split()
    half = max(1, len(words) // 2)
    draw.text((size / 2, 130), " ".join(words[:half])[:26], fill=red, font=_font(30), anchor="mm")
    draw.text(
        (size / 2, size - 130), " ".join(words[half:])[:26], fill=red, font=_font(30), anchor="mm"
    )
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def has_issued_document(session: Session, agency: Agency) -> bool:
    """Return whether the agency has issued anything (the demo document is made only once)."""
    stmt = select(Document.id).where(
        Document.agency_id == agency.id, Document.issued_at.is_not(None)
    )
    return session.execute(stmt.limit(1)).first() is not None


def _first(session: Session, agency: Agency, role: Role) -> User:
    users = _all(session, agency, role)
    assert users, f"demo agency {agency.code} has no {role}"
    return users[0]


def issue_demo_document(
    session: Session,
    agency: Agency,
    recipient: Agency,
    passphrase: str,
    policy: FilePolicy,
    config: SignatureConfig,
) -> Document:
    """Take one công văn from draft to issue (leader signature, number and date, agency seal),
    sent to ``recipient`` on this instance, whose clerk then accepts it."""
    specialist = _first(session, agency, Role.SPECIALIST)
    unit_head = next(
        u for u in _all(session, agency, Role.UNIT_HEAD) if u.unit_id == specialist.unit_id
    )
    leader, clerk = _first(session, agency, Role.LEADER), _first(session, agency, Role.CLERK)
    form = DraftForm(
        agency_name=agency.name,
        parent_agency_name=agency.parent.name if agency.parent else "",
        type_heading=None,
        subject=DEMO_SUBJECT,
        recipients=(recipient.name,),
        signer_authority=f"KT. CHỦ TỊCH\n{leader.position or 'PHÓ CHỦ TỊCH'}",
        signer_name=leader.full_name,
        body=(
            "Thực hiện Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác "
            "văn thư, Ủy ban nhân dân tỉnh đề nghị các cơ quan, đơn vị sử dụng chữ ký số của người có "
            "thẩm quyền và của cơ quan khi ban hành văn bản điện tử; gửi, nhận văn bản qua hệ thống "
            "quản lý văn bản và điều hành, không gửi kèm bản giấy trừ trường hợp theo quy định."
        ),
    )
    meta = DocumentMetadata(type_code="CV", subject=DEMO_SUBJECT)
    data = DraftInput(meta=meta, signer_id=leader.id, recipient_codes=(recipient.code,))
    draft = Upload("du-thao-cong-van.pdf", "application/pdf", build_draft_pdf(form))
    document = create_draft(session, Actor(user=specialist), data, draft, policy)
    submit_draft(session, Actor(user=specialist), document)
    review_draft(session, Actor(user=unit_head), document, "Đã kiểm tra nội dung, thể thức")
    approve_draft(session, Actor(user=leader), document, "Đồng ý ban hành")
    sign_as_leader(session, Actor(user=leader), document, passphrase, policy, config)
    (sent,) = issue_with_seal(session, Actor(user=clerk), document, passphrase, policy, config)
    their_clerk = _first(session, recipient, Role.CLERK)
    arrived = session.get(Document, sent.incoming_document_id)
    assert arrived is not None
    accept_arrival(session, Actor(user=their_clerk), arrived)
    return document


def _all(session: Session, agency: Agency, role: Role) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.agency_id == agency.id, UserRole.role == role.value)
        .order_by(User.id)
    )
    return list(session.execute(stmt).scalars())
