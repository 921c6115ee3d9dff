"""Factories for organisation data; one precomputed password hash keeps them fast."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from eoffice.org.actor import Actor
from eoffice.org.models import Agency, User
from eoffice.org.passwords import hash_password
from eoffice.org.services import AgencyInput, UserInput, create_agency, create_unit, create_user

PASSWORD = "Mat-khau-2026"
_HASH = hash_password(PASSWORD)
_counter = itertools.count(1)


@dataclass
class Org:
    """A small agency with a unit and one user per role."""

    agency: Agency
    admin: User
    clerk: User
    leader: User
    unit_head: User
    specialist: User


class Factory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def agency(self, *, parent: Agency | None = None, short_name: str | None = None) -> Agency:
        n = next(_counter)
        agency, _ = create_agency(
            self.session,
            Actor.system(),
            AgencyInput(
                code=f"000.00.{n % 100:02d}.H{n // 100 % 100:02d}" if n < 10000 else f"x.{n}",
                name=f"Cơ quan thử nghiệm {n}",
                short_name=short_name or f"CQ{n}",
                level="tinh" if parent is None else "xa",
                parent_code=parent.code if parent else None,
            ),
        )
        create_unit(self.session, Actor.system(), agency, "Văn phòng", "VP")
        return agency

    def user(self, agency: Agency, *roles: str, username: str | None = None) -> User:
        n = next(_counter)
        name = username or f"{re.sub('[^a-z]', '', (roles or ('u',))[0])}{n}"
        return create_user(
            self.session,
            Actor.system(),
            UserInput(
                username=name,
                full_name=f"Người dùng {n}",
                agency_code=agency.code,
                roles=roles or ("specialist",),
                unit_short_name="VP",
                password_hash=_HASH,
            ),
        )

    def org(self, parent: Agency | None = None) -> Org:
        agency = self.agency(parent=parent)
        return Org(
            agency=agency,
            admin=self.user(agency, "admin"),
            clerk=self.user(agency, "clerk"),
            leader=self.user(agency, "leader"),
            unit_head=self.user(agency, "unit_head"),
            specialist=self.user(agency, "specialist"),
        )


@pytest.fixture
def factory(db_session: Session) -> Factory:
    return Factory(db_session)
