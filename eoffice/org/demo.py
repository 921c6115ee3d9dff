"""Load the demo province from config/demo/*.yaml (data, not code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from eoffice.org.actor import Actor
from eoffice.org.models import Agency
from eoffice.org.passwords import hash_password
from eoffice.org.services import (
    AgencyInput,
    UserInput,
    create_agency,
    create_unit,
    create_user,
    get_agency_by_code,
)

DEMO_DIR = Path(__file__).resolve().parents[2] / "config" / "demo"
DEMO_FILES = ("khanh-hoa.yaml", "second-province.yaml")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class DemoResult:
    """What load_demo did, and the logins to print."""

    loaded: bool
    password: str
    agencies: int = 0
    users: int = 0
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(username, full name, roles, agency short name) of the first agency's users."""


def read_demo(directory: Path = DEMO_DIR) -> tuple[str, list[dict[str, Any]]]:
    """Return the demo password and every agency record, in file order."""
    password = ""
    agencies: list[dict[str, Any]] = []
    for name in DEMO_FILES:
        text = (directory / name).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (libyaml's when present)
        password = password or data.get("demo_password", "")
        agencies.extend(data["agencies"])
    if not password:
        raise ValueError("config/demo/khanh-hoa.yaml has no demo_password")
    return password, agencies


def load_demo(session: Session, directory: Path = DEMO_DIR) -> DemoResult:
    """Create the demo agencies, units and users unless the first agency already exists."""
    password, records = read_demo(directory)
    first = records[0]
    if get_agency_by_code(session, first["code"]) is not None:
        return DemoResult(loaded=False, password=password, logins=_logins(first))
    actor = Actor.system()
    # One hash for every demo user: hashing hundreds of times would make loading slow.
    password_hash = hash_password(password)
    result = DemoResult(loaded=True, password=password, logins=_logins(first))
    for record in _parents_first(records):
        agency = _create_demo_agency(session, actor, record)
        for unit in record.get("units", []):
            create_unit(session, actor, agency, unit["name"], unit["short_name"])
        for user in record.get("users", []):
            _create_demo_user(session, actor, agency, user, password_hash)
            result.users += 1
        result.agencies += 1
    return result


def _parents_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    codes = {r["code"] for r in records}
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    pending = list(records)
    while pending:
        ready = [
            r
            for r in pending
            if not r.get("parent") or r["parent"] in done or r["parent"] not in codes
        ]
        if not ready:
            raise ValueError("demo data: agency parents form a cycle")
        for record in ready:
            ordered.append(record)
            done.add(record["code"])
        pending = [r for r in pending if r["code"] not in done]
    return ordered


def _create_demo_agency(session: Session, actor: Actor, record: dict[str, Any]) -> Agency:
    data = AgencyInput(
        code=record["code"],
        name=record["name"],
        short_name=record["short_name"],
        level=record["level"],
        parent_code=record.get("parent"),
        exchanges_via_vxp=bool(record.get("vxp", False)),
        address=record.get("address") or "",
        email=record.get("email") or "",
    )
    agency, _warnings = create_agency(session, actor, data)
    return agency


def _create_demo_user(
    session: Session, actor: Actor, agency: Agency, user: dict[str, Any], password_hash: str
) -> None:
    create_user(
        session,
        actor,
        UserInput(
            username=user["username"],
            full_name=user["full_name"],
            agency_code=agency.code,
            roles=tuple(user["roles"]),
            position=user.get("position", ""),
            email=user.get("email", ""),
            unit_short_name=user.get("unit"),
            password_hash=password_hash,
            has_demo_password=True,
        ),
    )


def _logins(record: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (u["username"], u["full_name"], ", ".join(u["roles"]), record["short_name"])
        for u in record.get("users", [])
    ]
