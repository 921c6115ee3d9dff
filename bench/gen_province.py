"""Generate one province-year of registry data straight into a database, with bulk inserts.

A fictional province ("Bình An"): the provincial People's Committee, departments and communes,
their units and users with roles, and a year of incoming and outgoing documents in every state,
numbered gap-free per series, with assignments, recipients and folded search text. PostgreSQL gets
COPY with the secondary indexes rebuilt afterwards; SQLite (small trial runs) gets executemany.

    .venv/bin/python bench/gen_province.py --url postgresql+psycopg://postgres@127.0.0.1:5433/eoffice_bench --create
    .venv/bin/python bench/gen_province.py --url ... --create --documents 1000000

Simplifications (the registry services are not run): no audit events, no PDF blobs (the search
text carries a synthetic body instead), internal deliveries do not create the receivers' incoming
rows, and every user shares one password (printed at the end).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Connection, Engine, make_url

import eoffice.models  # noqa: F401 - the complete metadata
from eoffice.db import Base, make_engine
from eoffice.documents.metadata import build_search_text
from eoffice.documents.numbering import format_number, notation_for
from eoffice.documents.text import fold_vietnamese
from eoffice.documents.types import administrative_types
from eoffice.migrate import upgrade_to_head
from eoffice.org.passwords import hash_password

PASSWORD = "BinhAn@2026"
PROVINCE = "Bình An"
DEPARTMENTS = (
    "Văn phòng Ủy ban nhân dân", "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Y tế",
    "Sở Nông nghiệp và Môi trường", "Sở Giáo dục và Đào tạo", "Sở Công Thương", "Sở Tư pháp",
    "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Sở Dân tộc và Tôn giáo",
    "Thanh tra tỉnh", "Ban Quản lý Khu kinh tế", "Sở Ngoại vụ", "Ban Dân tộc",
)  # fmt: skip
UNIT_NAMES = (
    ("VP", "Văn phòng"), ("TH", "Phòng Tổng hợp"), ("KT", "Phòng Kinh tế"),
    ("VX", "Phòng Văn hóa - Xã hội"), ("NC", "Phòng Nội chính"), ("TCKH", "Phòng Tài chính - Kế hoạch"),
)  # fmt: skip
PLACES = (
    "An", "Bình", "Hòa", "Phú", "Tân", "Thạnh", "Long", "Phước", "Vĩnh", "Đông", "Tây", "Nam",
    "Bắc", "Mỹ", "Lộc", "Xuân", "Hưng", "Thịnh", "Quang", "Trung", "Hải", "Sơn", "Thủy", "Ninh",
)  # fmt: skip
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Đức", "Thu", "Quang", "Anh")
GIVEN = (
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan",
    "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang",
)  # fmt: skip
ACTIONS = (
    "báo cáo tình hình", "triển khai", "tăng cường", "hướng dẫn thực hiện", "góp ý dự thảo về",
    "tổ chức hội nghị về", "kiểm tra công tác", "phê duyệt dự toán", "rà soát", "tổng kết",
    "đôn đốc thực hiện", "cung cấp thông tin về", "kế hoạch", "đề xuất kinh phí",
)  # fmt: skip
TOPICS = (
    "chuyển đổi số", "cải cách hành chính", "phòng chống thiên tai", "quản lý đất đai",
    "xây dựng nông thôn mới", "an toàn giao thông", "phòng cháy chữa cháy", "bảo vệ môi trường",
    "giải ngân vốn đầu tư công", "công tác văn thư, lưu trữ", "thu ngân sách nhà nước",
    "y tế dự phòng", "giáo dục và đào tạo", "an sinh xã hội", "phát triển du lịch",
    "quy hoạch sử dụng đất", "dịch vụ công trực tuyến", "thi đua khen thưởng",
    "tuyển dụng công chức", "phòng chống tham nhũng", "đề án 06", "sắp xếp đơn vị hành chính",
)  # fmt: skip
SCOPES = ("năm {y}", "quý {q} năm {y}", "6 tháng đầu năm {y}", "trên địa bàn tỉnh", "tháng {m}/{y}")
EXTERNAL = (
    "Văn phòng Chính phủ", "Bộ Nội vụ", "Bộ Tài chính", "Bộ Y tế", "Bộ Xây dựng",
    "Bộ Nông nghiệp và Môi trường", "Bộ Giáo dục và Đào tạo", "Bộ Công an", "Kiểm toán nhà nước",
)  # fmt: skip


@dataclass(frozen=True)
class Options:
    documents: int
    agencies: int
    users: int
    year: int
    until: date
    body_chars: int
    seed: int


@dataclass
class Org:
    """One generated agency with what the documents need."""

    id: int
    code: str
    name: str
    short: str
    weight: float
    units: list[tuple[int, str, str]] = field(default_factory=list)
    admins: list[int] = field(default_factory=list)
    clerks: list[int] = field(default_factory=list)
    leaders: list[tuple[int, str, str]] = field(default_factory=list)
    heads: dict[int, int] = field(default_factory=dict)
    specialists: dict[int, list[int]] = field(default_factory=dict)
    series: dict[str, int] = field(default_factory=dict)
    """Series code → id."""
    counters: dict[str, int] = field(default_factory=dict)
    """Series code → last number given."""
    plan: dict[date, list[int]] = field(default_factory=dict)
    """Day → [incoming, outgoing] documents that day."""


class Loader:
    """Bulk writer: COPY on PostgreSQL, executemany elsewhere. One transaction for the load."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        rows = list(rows)
        if not rows:
            return
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self.postgres:
            cursor = self.conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        statement = insert(Base.metadata.tables[table])
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            self.conn.execute(statement, [dict(zip(columns, r, strict=True)) for r in chunk])


def check_columns(table: str, columns: Sequence[str]) -> None:
    """Fail early if the models gained a required column the generator does not fill."""
    for column in Base.metadata.tables[table].columns:
        required = not column.nullable and column.server_default is None
        if required and column.name not in columns:
            raise SystemExit(f"gen_province: {table}.{column.name} is required; update the script")


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def at(day: date, rng: random.Random) -> datetime:
    """A moment in office hours (Asia/Ho_Chi_Minh) of ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(0, 540)
    )


# ------------------------------------------------------------------------------- organisations


def make_orgs(opts: Options, rng: random.Random, loader: Loader, now: datetime) -> list[Org]:
    departments = min(40, opts.agencies - 1)
    orgs: list[Org] = []
    names = [f"{a} {b}" for a in PLACES for b in PLACES if a != b]
    rng.shuffle(names)
    for index in range(opts.agencies):
        if index == 0:
            name, short, weight = f"Ủy ban nhân dân tỉnh {PROVINCE}", "UBND", 60.0
        elif index <= departments:
            base = DEPARTMENTS[(index - 1) % len(DEPARTMENTS)]
            extra = "" if index <= len(DEPARTMENTS) else f" khu vực {index // len(DEPARTMENTS)}"
            name, short, weight = f"{base}{extra} tỉnh {PROVINCE}", f"SO{index:02d}", 12.0
        else:
            kind = "xã" if index % 4 else "phường"
            place = names[index % len(names)]
            if index >= len(names):
                place = f"{place} {index // len(names) + 1}"
            name, short, weight = f"Ủy ban nhân dân {kind} {place}", f"X{index:03d}", 1.6
        code = f"000.{index // 100:02d}.{index % 100:02d}.H99"
        orgs.append(Org(id=index + 1, code=code, name=name, short=short, weight=weight))
    agency_cols = (
        "id", "code", "name", "short_name", "level", "parent_id", "exchanges_via_vxp",
        "is_local", "address", "email", "is_active", "created_at",
    )  # fmt: skip
    check_columns("agencies", agency_cols)
    loader.write(
        "agencies",
        agency_cols,
        [
            (o.id, o.code, o.name, o.short, "tinh" if i <= departments else "xa",
             None if i == 0 else 1, i <= departments, True, "", "", True, now)
            for i, o in enumerate(orgs)
        ],
    )  # fmt: skip
    make_people(opts, rng, loader, orgs, departments, now)
    return orgs


def make_people(
    opts: Options,
    rng: random.Random,
    loader: Loader,
    orgs: list[Org],
    departments: int,
    now: datetime,
) -> None:
    sizes = {0: 60}
    sizes.update({i: 40 for i in range(1, departments + 1)})
    communes = len(orgs) - 1 - departments
    rest = max(0, opts.users - sum(sizes.values()))
    for i in range(departments + 1, len(orgs)):
        sizes[i] = max(
            7, rest // max(communes, 1) + (1 if i - departments <= rest % communes else 0)
        )
    password = hash_password(PASSWORD)
    units, users, roles = [], [], []
    unit_id = user_id = 0
    for index, org in enumerate(orgs):
        count = 6 if index == 0 else 5 if index <= departments else 3
        for short, name in UNIT_NAMES[:count]:
            unit_id += 1
            org.units.append((unit_id, short, name))
            units.append((unit_id, org.id, name, short, True))
        clerks, leaders = (2, 3) if index <= departments else (1, 2)
        plan = ["admin"] + ["clerk"] * clerks + ["leader"] * leaders + ["unit_head"] * count
        plan += ["specialist"] * max(1, sizes[index] - len(plan))
        for n, role in enumerate(plan):
            user_id += 1
            unit = org.units[n % count] if role in ("specialist", "unit_head") else org.units[0]
            full_name = person(rng)
            position = {
                "leader": "Phó Chủ tịch" if org.leaders else "Chủ tịch",
                "clerk": "Văn thư",
                "unit_head": "Trưởng phòng",
            }.get(role, "Chuyên viên")
            username = f"{role.replace('_', '')}{n}.{org.short.lower()}"
            users.append(
                (
                    user_id,
                    username,
                    full_name,
                    position,
                    "",
                    org.id,
                    unit[0],
                    password,
                    False,
                    True,
                    now,
                )
            )
            roles.append((user_id, role))
            _file_role(org, role, user_id, unit[0], full_name, position)
    check_columns("units", ("id", "agency_id", "name", "short_name", "is_active"))
    loader.write("units", ("id", "agency_id", "name", "short_name", "is_active"), units)
    user_cols = (
        "id", "username", "full_name", "position", "email", "agency_id", "unit_id",
        "password_hash", "has_demo_password", "is_active", "created_at",
    )  # fmt: skip
    check_columns("users", user_cols)
    loader.write("users", user_cols, users)
    loader.write("user_roles", ("user_id", "role"), roles)


def _file_role(org: Org, role: str, user_id: int, unit_id: int, name: str, position: str) -> None:
    if role == "admin":
        org.admins.append(user_id)
    elif role == "clerk":
        org.clerks.append(user_id)
    elif role == "leader":
        org.leaders.append((user_id, name, position))
    elif role == "unit_head":
        org.heads[unit_id] = user_id
    else:
        org.specialists.setdefault(unit_id, []).append(user_id)


# ------------------------------------------------------------------------------- documents

DOC_COLS = (
    "id", "agency_id", "direction", "status", "series_id", "number", "year", "code_number",
    "code_notation", "type_code", "type_name", "subject", "organ_name", "organ_id", "issued_date",
    "signer_name", "signer_position", "urgency", "secrecy", "language", "page_amount",
    "description", "due_date", "arrival_date", "arrival_at", "to_places", "issued_amount",
    "edxml_document_id", "source", "drafting_unit_id", "drafter_id", "signer_id",
    "presented_to_id", "instruction", "search_text", "cancel_reason", "created_by_id",
    "created_at", "updated_at", "registered_at", "issued_at", "completed_at",
)  # fmt: skip
ASSIGN_COLS = (
    "id", "document_id", "role", "unit_id", "user_id", "deadline", "note", "assigned_by_id",
    "parent_id", "is_active", "completed_at", "result", "created_at",
)  # fmt: skip
RECIPIENT_COLS = (
    "id", "document_id", "agency_id", "organ_id", "organ_name", "channel", "status", "status_at",
    "reason",
)  # fmt: skip
SERIES = {
    "den": ("Sổ văn bản đến", "incoming", False),
    "den-mat": ("Sổ văn bản đến mật", "incoming", True),
    "di": ("Sổ văn bản đi (văn bản hành chính)", "outgoing", False),
    "di-mat": ("Sổ văn bản đi mật", "outgoing", True),
}
OUT_STATES = (
    ("draft", 3), ("in_review", 2), ("awaiting_approval", 2), ("approved", 1), ("signed", 1),
    ("numbered", 0.5), ("sealed", 0.5), ("issued", 90),
)  # fmt: skip
NUMBERED_OUT = {"numbered", "sealed", "issued"}


class DocumentMaker:
    """Makes the documents day by day, keeping the global ids."""

    def __init__(self, opts: Options, rng: random.Random, orgs: list[Org]) -> None:
        self.opts, self.rng, self.orgs = opts, rng, orgs
        self.types = [
            t
            for t in administrative_types()
            if t.code in {"CV", "QD", "KH", "TB", "BC", "TTR", "GM", "HD"}
        ]
        self.doc_id = self.assign_id = self.recipient_id = self.series_id = 0
        start = date(opts.year, 1, 1)
        self.days = [
            start + timedelta(d)
            for d in range((opts.until - start).days + 1)
            if (start + timedelta(d)).weekday() < 5
        ]
        self.bodies = self._bodies()

    def _bodies(self) -> list[str]:
        """Folded synthetic body sentences (stand-in for the PDF text of the search index)."""
        rng, year = self.rng, self.opts.year
        sentences = [
            fold_vietnamese(
                f"{rng.choice(ACTIONS).capitalize()} {rng.choice(TOPICS)} "
                f"{rng.choice(SCOPES).format(y=year, q=rng.randint(1, 4), m=rng.randint(1, 12))}; "
                f"giao {rng.choice(UNIT_NAMES)[1].lower()} chủ trì, phối hợp với các đơn vị liên quan."
            )
            for _ in range(400)
        ]
        bodies = []
        for _ in range(2000):
            parts: list[str] = []
            while sum(len(p) + 1 for p in parts) < self.opts.body_chars:
                parts.append(rng.choice(sentences))
            bodies.append(" ".join(parts)[: self.opts.body_chars])
        return bodies

    def subject(self) -> str:
        rng, year = self.rng, self.opts.year
        scope = rng.choice(SCOPES).format(y=year, q=rng.randint(1, 4), m=rng.randint(1, 12))
        return f"V/v {rng.choice(ACTIONS)} {rng.choice(TOPICS)} {scope}"

    def plan(self, orgs: list[Org], counts: list[int]) -> list[tuple]:
        """Give every agency its series and spread its documents over the working days.

        Documents are then made day by day across all agencies, so ids follow time as they do
        in a live system (an agency's documents are spread over the whole id range).
        """
        rows = []
        for org, count in zip(orgs, counts, strict=True):
            incoming = round(count * 0.6)
            for n in range(count):
                day = self.rng.choice(self.days)
                org.plan.setdefault(day, [0, 0])[0 if n < incoming else 1] += 1
            for code, (name, kind, secret) in SERIES.items():
                self.series_id += 1
                org.series[code], org.counters[code] = self.series_id, 0
                rows.append(
                    (self.series_id, org.id, self.opts.year, code, name, kind, secret, None, 1)
                )
        return rows

    def day(self, day: date, now: datetime) -> dict[str, list[tuple]]:
        """Return the documents, assignments and recipients of every agency on ``day``."""
        rows: dict[str, list[tuple]] = {"documents": [], "assignments": [], "recipients": []}
        for org in self.orgs:
            incoming, outgoing = org.plan.get(day, (0, 0))
            for _ in range(incoming):
                self._incoming(org, day, org.series, org.counters, rows, now)
            for _ in range(outgoing):
                self._outgoing(org, day, org.series, org.counters, rows, now)
        return rows

    def _common(self, org: Org, day: date, doc_type, subject: str, signer: tuple) -> dict:  # type: ignore[no-untyped-def]
        rng = self.rng
        self.doc_id += 1
        urgency = rng.choices(("thuong", "khan", "thuong_khan", "hoa_toc"), (85, 10, 4, 1))[0]
        secrecy = "mat" if rng.random() < 0.01 else "thuong"
        return {
            "id": self.doc_id, "agency_id": org.id, "type_code": doc_type.code,
            "type_name": doc_type.name, "subject": subject, "signer_name": signer[0],
            "signer_position": signer[1], "urgency": urgency, "secrecy": secrecy,
            "language": "Tiếng Việt", "page_amount": rng.randint(1, 12), "description": "",
            "to_places": "", "issued_amount": None, "cancel_reason": "", "instruction": "",
            "series_id": None, "number": None, "year": None, "due_date": None,
            "arrival_date": None, "arrival_at": None, "issued_at": None, "completed_at": None,
            "registered_at": None, "drafting_unit_id": None, "drafter_id": None,
            "signer_id": None, "presented_to_id": None, "edxml_document_id": "",
        }  # fmt: skip

    def _number(
        self, doc: dict, org: Org, base: str, series: dict, counters: dict, year: int
    ) -> None:
        code = f"{base}-mat" if doc["secrecy"] != "thuong" else base
        counters[code] += 1
        doc.update(series_id=series[code], number=counters[code], year=year)

    def _incoming(self, org, day, series, counters, rows, now) -> None:  # type: ignore[no-untyped-def]
        rng = self.rng
        sender = rng.choice(self.orgs) if rng.random() < 0.6 else None
        organ = sender.name if sender and sender is not org else rng.choice(EXTERNAL)
        doc = self._common(
            org, day, rng.choice(self.types), self.subject(), (person(rng), "Giám đốc")
        )
        age = (self.opts.until - day).days
        status = (
            rng.choices(("pending_accept", "registered", "presented", "assigned"), (2, 3, 3, 3))[0]
            if age <= 2
            else rng.choices(("assigned", "completed"), (6, 4) if age <= 20 else (1, 11))[0]
        )
        arrived = at(day, rng)
        issued = day - timedelta(days=rng.randint(0, 5))
        doc.update(
            direction="incoming", status=status, organ_name=organ, organ_id="",
            code_number=format_number(rng.randint(1, 2999)),
            code_notation=f"{rng.choice(('UBND', 'STC', 'SNV', 'BNV', 'VPCP'))}-{rng.choice(('VP', 'KT', 'TH', 'NS'))}",
            issued_date=issued, arrival_at=arrived, created_by_id=org.clerks[0], created_at=arrived,
            updated_at=arrived, source="internal" if status == "pending_accept" else "upload",
        )  # fmt: skip
        if status != "pending_accept":
            self._number(doc, org, "den", series, counters, self.opts.year)
            doc.update(arrival_date=day, registered_at=arrived)
        if status in ("presented", "assigned", "completed"):
            doc["presented_to_id"] = rng.choice(org.leaders)[0]
        if status in ("assigned", "completed"):
            self._assign(org, doc, day, rows, status == "completed")
        self._finish(doc, rows)

    def _assign(self, org: Org, doc: dict, day: date, rows: dict, completed: bool) -> None:
        rng = self.rng
        unit_id, _short, unit_name = rng.choice(org.units)
        deadline = day + timedelta(days=10)
        leader = doc["presented_to_id"]
        given = at(day + timedelta(days=1), rng)
        done = given + timedelta(days=rng.randint(1, 9)) if completed else None
        instruction = f"Giao {unit_name} chủ trì, tham mưu xử lý; hạn {deadline:%d/%m/%Y}"
        doc.update(instruction=instruction, due_date=deadline, completed_at=done)
        self.assign_id += 1
        lead = self.assign_id
        rows["assignments"].append(
            (lead, doc["id"], "lead", unit_id, None, deadline, instruction, leader, None, True,
             done, "Đã xử lý" if done else "", given)
        )  # fmt: skip
        people = org.specialists.get(unit_id)
        if people and rng.random() < 0.7:
            self.assign_id += 1
            rows["assignments"].append(
                (self.assign_id, doc["id"], "lead", unit_id, rng.choice(people), deadline, "",
                 org.heads.get(unit_id), lead, True, done, "Đã xử lý" if done else "", given)
            )  # fmt: skip
        if len(org.units) > 1 and rng.random() < 0.3:
            other = rng.choice([u for u in org.units if u[0] != unit_id])
            self.assign_id += 1
            rows["assignments"].append(
                (self.assign_id, doc["id"], "cooperate", other[0], None, deadline, instruction,
                 leader, None, True, None, "", given)
            )  # fmt: skip

    def _outgoing(self, org, day, series, counters, rows, now) -> None:  # type: ignore[no-untyped-def]
        rng = self.rng
        unit_id, unit_short, _name = rng.choice(org.units)
        drafter = rng.choice(org.specialists.get(unit_id) or [org.clerks[0]])
        signer = rng.choice(org.leaders)
        doc_type = rng.choice(self.types)
        doc = self._common(org, day, doc_type, self.subject(), signer[1:])
        age = (self.opts.until - day).days
        states, weights = zip(*OUT_STATES, strict=True)
        status = rng.choices(states, weights)[0] if age <= 5 else "issued"
        created = at(day, rng)
        doc.update(
            direction="outgoing", status=status, organ_name=org.name, organ_id=org.code,
            code_number="", code_notation="", issued_date=None, source="draft",
            drafting_unit_id=unit_id, drafter_id=drafter, signer_id=signer[0],
            created_by_id=drafter, created_at=created, updated_at=created,
        )  # fmt: skip
        if status in NUMBERED_OUT:
            self._number(doc, org, "di", series, counters, self.opts.year)
            notation = notation_for(doc_type, org.short, unit_short)
            doc.update(
                code_number=format_number(doc["number"]), code_notation=notation,
                issued_date=day, registered_at=created,
                edxml_document_id=f"{org.code},{day:%Y/%m/%d},{format_number(doc['number'])}/{notation}",
            )  # fmt: skip
        if status == "issued":
            doc["issued_at"] = created + timedelta(hours=2)
            targets = rng.sample(self.orgs, k=min(len(self.orgs), rng.randint(1, 3)))
            targets = [t for t in targets if t is not org] if doc["secrecy"] == "thuong" else []
            doc["issued_amount"] = len(targets) + 1
            for target in targets:
                self.recipient_id += 1
                state = rng.choice(("arrived", "accepted", "assigned", "completed"))
                rows["recipients"].append(
                    (self.recipient_id, doc["id"], target.id, target.code, target.name,
                     "internal", state, doc["issued_at"], "")
                )  # fmt: skip
        self._finish(doc, rows)

    def _finish(self, doc: dict, rows: dict) -> None:
        number, notation = doc["code_number"], doc["code_notation"]
        code = f"{number}/{notation}" if number and notation else number or notation
        view = SimpleNamespace(**{k: doc.get(k) or "" for k in (
            "subject", "organ_name", "description", "type_name", "signer_name", "instruction")}, code=code)  # fmt: skip
        # Folding is linear, so folded metadata + a pre-folded body = build_search_text(doc, body).
        doc["search_text"] = build_search_text(view) + " " + self.rng.choice(self.bodies)  # type: ignore[arg-type]
        rows["documents"].append(tuple(doc[c] for c in DOC_COLS))


# ------------------------------------------------------------------------------- driver


def shares(total: int, orgs: list[Org]) -> list[int]:
    weight = sum(o.weight for o in orgs)
    counts = [int(total * o.weight / weight) for o in orgs]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def secondary_indexes(conn: Connection, tables: Sequence[str]) -> list[tuple[str, str]]:
    """Return (name, CREATE statement) of the indexes that back no constraint (PostgreSQL)."""
    rows = conn.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(:t) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"t": list(tables)},
    )
    return [(r[0], r[1]) for r in rows]


def generate(engine: Engine, opts: Options) -> dict[str, int]:
    rng = random.Random(opts.seed)
    now = datetime.combine(opts.until, datetime.min.time(), tzinfo=UTC)
    for table, cols in (
        ("documents", DOC_COLS),
        ("assignments", ASSIGN_COLS),
        ("recipients", RECIPIENT_COLS),
    ):
        check_columns(table, cols)
    with engine.begin() as conn:
        loader = Loader(conn)
        indexes: list[tuple[str, str]] = []
        if loader.postgres:
            # Data is consistent by construction: skip per-row FK triggers, rebuild indexes once.
            conn.execute(text("SET session_replication_role = replica"))
            indexes = secondary_indexes(conn, ["documents", "assignments", "recipients"])
            for name, _sql in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
        orgs = make_orgs(opts, rng, loader, now)
        maker = DocumentMaker(opts, rng, orgs)
        series_cols = ("id", "agency_id", "year", "code", "name", "kind", "is_secret", "type_code", "next_number")  # fmt: skip
        check_columns("number_series", series_cols)
        loader.write("number_series", series_cols, maker.plan(orgs, shares(opts.documents, orgs)))
        started = time.perf_counter()
        for index, day in enumerate(maker.days, start=1):
            rows = maker.day(day, now)
            for table, cols in (("documents", DOC_COLS), ("assignments", ASSIGN_COLS), ("recipients", RECIPIENT_COLS)):  # fmt: skip
                loader.write(table, cols, rows[table])
            if index % 40 == 0:
                done = loader.counts.get("documents", 0)
                print(f"  {done:>9,} documents  {time.perf_counter() - started:6.1f} s", flush=True)
        conn.execute(
            text("UPDATE number_series SET next_number = :n WHERE id = :id"),
            [{"id": org.series[c], "n": org.counters[c] + 1} for org in orgs for c in SERIES],
        )
        if loader.postgres:
            print("  rebuilding indexes …", flush=True)
            for _name, sql in indexes:
                conn.execute(text(sql))
            for table in (
                "agencies",
                "units",
                "users",
                "number_series",
                "documents",
                "assignments",
                "recipients",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return loader.counts


def create_database(url: str) -> None:
    """Drop and create the database of ``url`` (PostgreSQL) or the file (SQLite), then migrate."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
    else:
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the target database")
    parser.add_argument("--create", action="store_true", help="drop, create and migrate it first")
    parser.add_argument("--documents", type=int, default=300_000)
    parser.add_argument("--agencies", type=int, default=650)
    parser.add_argument("--users", type=int, default=7_000)
    parser.add_argument("--year", type=int, default=date.today().year)
    parser.add_argument("--until", type=date.fromisoformat, help="last day (default: today)")
    parser.add_argument(
        "--body-chars", type=int, default=600, help="synthetic PDF text per document"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    until = args.until or min(date.today(), date(args.year, 12, 31))
    opts = Options(
        args.documents, args.agencies, args.users, args.year, until, args.body_chars, args.seed
    )
    started = time.perf_counter()
    if args.create:
        create_database(args.url)
    engine = make_engine(args.url)
    counts = generate(engine, opts)
    engine.dispose()
    elapsed = time.perf_counter() - started
    print(" ".join(f"{t}={n:,}" for t, n in counts.items()))
    print(f"done in {elapsed:.0f} s; every user's password is {PASSWORD}; e.g. clerk1.ubnd (clerk), "
          "leader3.ubnd (leader), unithead6.ubnd (unit head), specialist12.ubnd (specialist)")  # fmt: skip


if __name__ == "__main__":
    main()
