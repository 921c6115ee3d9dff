"""Number series and gap-free numbering.

A number is allocated by one ``UPDATE … SET next_number = next_number + 1 … RETURNING`` inside the
registering transaction: on PostgreSQL the row lock serialises concurrent registrations of the same
series, on SQLite the database lock does (BEGIN IMMEDIATE); a rollback returns the number.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eoffice.db import insert_or_ignore
from eoffice.documents.models import NumberSeries, SeriesKind

DEFAULT_SERIES = {
    "den": ("Sổ văn bản đến", SeriesKind.INCOMING, False),
    "den-mat": ("Sổ văn bản đến mật", SeriesKind.INCOMING, True),
    "di": ("Sổ văn bản đi (văn bản hành chính)", SeriesKind.OUTGOING, False),
    "di-mat": ("Sổ văn bản đi mật", SeriesKind.OUTGOING, True),
}


def series_code(kind: SeriesKind, secret: bool, type_code: str | None = None) -> str:
    """Return the series a document goes into by default."""
    base = "den" if kind is SeriesKind.INCOMING else "di"
    if secret:
        return f"{base}-mat"
    if type_code and kind is SeriesKind.OUTGOING:
        return f"di-qppl-{type_code}"
    return base


def get_series(session: Session, agency_id: int, year: int, code: str) -> NumberSeries:
    """Return the series, creating it for a new year (numbers start at 01 on 1 January)."""
    found = _find(session, agency_id, year, code)
    if found is not None:
        return found
    name, kind, secret = DEFAULT_SERIES.get(code, (f"Sổ {code}", SeriesKind.OUTGOING, False))
    values = {
        "agency_id": agency_id,
        "year": year,
        "code": code,
        "name": name,
        "kind": kind.value,
        "is_secret": secret,
        "next_number": 1,
        "type_code": code.removeprefix("di-qppl-") if code.startswith("di-qppl-") else None,
    }
    # Two first registrations of a year may race to create the series: let one insert win.
    insert_or_ignore(session, NumberSeries, **values)
    series = _find(session, agency_id, year, code)
    assert series is not None
    return series


def _find(session: Session, agency_id: int, year: int, code: str) -> NumberSeries | None:
    stmt = select(NumberSeries).where(
        NumberSeries.agency_id == agency_id, NumberSeries.year == year, NumberSeries.code == code
    )
    return session.execute(stmt).scalar_one_or_none()


def allocate_number(session: Session, series: NumberSeries) -> int:
    """Take the next number of ``series`` (locks the series row until commit)."""
    stmt = (
        update(NumberSeries)
        .where(NumberSeries.id == series.id)
        .values(next_number=NumberSeries.next_number + 1)
        .returning(NumberSeries.next_number)
    )
    next_number = session.execute(stmt).scalar_one()
    session.expire(series, ["next_number"])
    return next_number - 1


def list_series(session: Session, agency_id: int, year: int) -> list[NumberSeries]:
    stmt = (
        select(NumberSeries)
        .where(NumberSeries.agency_id == agency_id, NumberSeries.year == year)
        .order_by(NumberSeries.kind, NumberSeries.code)
    )
    return list(session.execute(stmt).scalars())
