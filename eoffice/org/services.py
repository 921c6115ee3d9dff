"""Agencies, units, users and roles: create, change, look up. Services flush; callers commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.codes import check_agency_code, check_short_name
from eoffice.org.models import AdminLevel, Agency, Role, Unit, User, UserRole
from eoffice.org.passwords import check_strength, hash_password


@dataclass(frozen=True)
class AgencyInput:
    """What an admin types to create or change an agency."""

    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None = None
    exchanges_via_vxp: bool = False
    address: str = ""
    email: str = ""


def get_agency_by_code(session: Session, code: str) -> Agency | None:
    return session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()


def get_agency_by_code_or_raise(session: Session, code: str) -> Agency:
    """:raises NotFound: when no agency has electronic ID ``code``."""
    agency = get_agency_by_code(session, code)
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan có mã định danh {code}", params={"code": code})
    return agency


def get_agency_or_raise(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan")
    return agency


def list_agencies(session: Session) -> list[Agency]:
    """Return every agency ordered by electronic ID."""
    return list(session.execute(select(Agency).order_by(Agency.code)).scalars())


def list_managed_agencies(session: Session, actor: Actor) -> list[Agency]:
    """Return the agencies ``actor`` administers: their own and every descendant."""
    if not actor.is_admin or actor.user is None:
        return []
    agencies = list_agencies(session)
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    managed, stack = [], [actor.user.agency]
    while stack:
        agency = stack.pop()
        managed.append(agency)
        stack.extend(children.get(agency.id, []))
    return sorted(managed, key=lambda a: a.code)


def ensure_can_manage(session: Session, actor: Actor, agency: Agency) -> None:
    """:raises PermissionDenied: unless ``actor`` administers ``agency`` (or is the system)."""
    if actor.user is None:
        return
    if agency.id not in {a.id for a in list_managed_agencies(session, actor)}:
        raise PermissionDenied("Bạn không có quyền quản trị cơ quan này")


def create_agency(session: Session, actor: Actor, data: AgencyInput) -> tuple[Agency, list[str]]:
    """Create an agency; return it with warnings (e.g. a non-QCVN-102 code).

    :raises InvalidInput: on a bad field. :raises Conflict: when the code exists.
    """
    fields, warnings, parent = _check_agency_input(session, data)
    if fields:
        raise InvalidInput("Thông tin cơ quan chưa hợp lệ", fields=fields)
    if parent is not None:
        ensure_can_manage(session, actor, parent)
    elif actor.user is not None:
        raise PermissionDenied("Chỉ quản trị hệ thống mới tạo được cơ quan cấp cao nhất")
    if get_agency_by_code(session, data.code) is not None:
        raise Conflict(
            "Mã định danh {code} đã được dùng",
            fields={"code": "Đã tồn tại"},
            params={"code": data.code},
        )
    agency = Agency(
        code=data.code,
        name=data.name.strip(),
        short_name=data.short_name,
        level=data.level,
        parent_id=parent.id if parent else None,
        exchanges_via_vxp=data.exchanges_via_vxp,
        address=data.address.strip(),
        email=data.email.strip(),
    )
    session.add(agency)
    session.flush()
    record_event(
        session,
        actor,
        "agency.create",
        "agency",
        agency.id,
        agency_id=agency.id,
        details={"code": agency.code, "name": agency.name},
    )
    return agency, warnings


def _check_agency_input(
    session: Session, data: AgencyInput
) -> tuple[dict[str, str], list[str], Agency | None]:
    fields: dict[str, str] = {}
    warnings: list[str] = []
    try:
        warning = check_agency_code(data.code)
        if warning:
            warnings.append(warning)
    except ValueError as e:
        fields["code"] = str(e)
    if not data.name.strip() or len(data.name) > 200:
        fields["name"] = "Tên cơ quan bắt buộc, tối đa 200 ký tự"
    try:
        check_short_name(data.short_name)
    except ValueError as e:
        fields["short_name"] = str(e)
    if data.level not in {level.value for level in AdminLevel}:
        fields["level"] = "Cấp hành chính không hợp lệ"
    parent = None
    if data.parent_code:
        parent = get_agency_by_code(session, data.parent_code)
        if parent is None:
            fields["parent_code"] = "Không tìm thấy cơ quan cấp trên"
    return fields, warnings, parent


def create_unit(session: Session, actor: Actor, agency: Agency, name: str, short_name: str) -> Unit:
    """Create a unit in ``agency``.

    :raises InvalidInput: on a bad name. :raises Conflict: on a duplicate short name.
    """
    ensure_can_manage(session, actor, agency)
    fields: dict[str, str] = {}
    if not name.strip() or len(name) > 200:
        fields["name"] = "Tên đơn vị bắt buộc, tối đa 200 ký tự"
    try:
        check_short_name(short_name)
    except ValueError as e:
        fields["short_name"] = str(e)
    if fields:
        raise InvalidInput("Thông tin đơn vị chưa hợp lệ", fields=fields)
    exists = session.execute(
        select(Unit.id).where(Unit.agency_id == agency.id, Unit.short_name == short_name)
    ).first()
    if exists:
        raise Conflict(
            "Tên viết tắt {short_name} đã có trong cơ quan",
            fields={"short_name": "Đã tồn tại"},
            params={"short_name": short_name},
        )
    unit = Unit(agency_id=agency.id, name=name.strip(), short_name=short_name)
    session.add(unit)
    session.flush()
    record_event(
        session,
        actor,
        "unit.create",
        "unit",
        unit.id,
        agency_id=agency.id,
        details={"short_name": short_name, "name": unit.name},
    )
    return unit


def get_unit_by_short_name(session: Session, agency: Agency, short_name: str) -> Unit | None:
    stmt = select(Unit).where(Unit.agency_id == agency.id, Unit.short_name == short_name)
    return session.execute(stmt).scalar_one_or_none()


@dataclass(frozen=True)
class UserInput:
    username: str
    full_name: str
    agency_code: str
    roles: tuple[str, ...]
    password: str | None = None
    position: str = ""
    email: str = ""
    unit_short_name: str | None = None
    password_hash: str | None = None
    """A precomputed hash (demo loading); the password then is not checked for strength."""
    has_demo_password: bool = False


def get_user_by_username(session: Session, username: str) -> User | None:
    stmt = select(User).where(User.username == username.strip().lower())
    return session.execute(stmt).scalar_one_or_none()


def get_user_or_raise(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng")
    return user


def create_user(session: Session, actor: Actor, data: UserInput) -> User:
    """Create a user with roles.

    :raises InvalidInput: on a bad field. :raises Conflict: when the user name is taken.
    :raises NotFound: for an unknown agency.
    """
    agency = get_agency_by_code_or_raise(session, data.agency_code)
    ensure_can_manage(session, actor, agency)
    username = data.username.strip().lower()
    fields = _check_user_fields(data, username)
    unit = None
    if data.unit_short_name:
        unit = get_unit_by_short_name(session, agency, data.unit_short_name)
        if unit is None:
            fields["unit"] = "Đơn vị không thuộc cơ quan này"
    if fields:
        raise InvalidInput("Thông tin người dùng chưa hợp lệ", fields=fields)
    if get_user_by_username(session, username) is not None:
        raise Conflict(
            "Tên đăng nhập {username} đã tồn tại",
            fields={"username": "Đã tồn tại"},
            params={"username": username},
        )
    user = User(
        username=username,
        full_name=data.full_name.strip(),
        position=data.position.strip(),
        email=data.email.strip(),
        agency_id=agency.id,
        unit_id=unit.id if unit else None,
        password_hash=data.password_hash or (hash_password(data.password) if data.password else ""),
        has_demo_password=data.has_demo_password,
    )
    user.role_rows = [UserRole(role=r) for r in sorted(set(data.roles))]
    session.add(user)
    session.flush()
    record_event(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        agency_id=agency.id,
        details={"username": username, "roles": sorted(set(data.roles))},
    )
    return user


_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _check_user_fields(data: UserInput, username: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    if not 3 <= len(username) <= 64 or not set(username) <= _USERNAME_CHARS:
        fields["username"] = "Tên đăng nhập 3–64 ký tự: chữ thường không dấu, số, dấu . _ -"
    if not data.full_name.strip() or len(data.full_name) > 50:
        fields["full_name"] = "Họ tên bắt buộc, tối đa 50 ký tự"
    if len(data.position) > 100:
        fields["position"] = "Chức vụ tối đa 100 ký tự"
    if not data.roles:
        fields["roles"] = "Chọn ít nhất một vai trò"
    elif bad := [r for r in data.roles if r not in {role.value for role in Role}]:
        fields["roles"] = "Vai trò không hợp lệ: " + ", ".join(bad)
    if data.password is not None and data.password_hash is None:
        weakness = check_strength(data.password)
        if weakness:
            fields["password"] = weakness
    return fields


def set_user_roles(session: Session, actor: Actor, user: User, roles: Iterable[str]) -> None:
    """Replace the roles of ``user``.

    :raises InvalidInput: for no or unknown roles.
    """
    ensure_can_manage(session, actor, user.agency)
    wanted = sorted(set(roles))
    if not wanted or any(r not in {role.value for role in Role} for r in wanted):
        raise InvalidInput("Vai trò không hợp lệ", fields={"roles": "Chọn vai trò trong danh sách"})
    before = sorted(r.value for r in user.roles)
    user.role_rows = [UserRole(role=r) for r in wanted]
    session.flush()
    record_event(
        session,
        actor,
        "user.set_roles",
        "user",
        user.id,
        agency_id=user.agency_id,
        details={"before": before, "after": wanted},
    )


def set_password(session: Session, actor: Actor, user: User, password: str) -> None:
    """Set a new password for ``user`` (admin of the agency, or the user themself).

    An admin's reset also ends the user's login sessions (whoever knew the old password is out).

    :raises InvalidInput: for a weak password.
    """
    if actor.user_id != user.id:
        ensure_can_manage(session, actor, user.agency)
    weakness = check_strength(password)
    if weakness:
        raise InvalidInput(weakness, fields={"password": weakness})
    user.password_hash = hash_password(password)
    user.has_demo_password = False
    if actor.user_id != user.id:
        user.session_epoch += 1
    session.flush()
    record_event(session, actor, "user.set_password", "user", user.id, agency_id=user.agency_id)


def set_user_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    """Lock or unlock a user account."""
    ensure_can_manage(session, actor, user.agency)
    if actor.user_id == user.id and not active:
        raise InvalidInput("Không thể tự khóa tài khoản của mình")
    user.is_active = active
    session.flush()
    record_event(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        agency_id=user.agency_id,
    )


def list_users(session: Session, agency_ids: Iterable[int]) -> list[User]:
    stmt = select(User).where(User.agency_id.in_(list(agency_ids))).order_by(User.username)
    return list(session.execute(stmt).scalars())


def users_with_role(session: Session, agency_id: int, role: Role) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.agency_id == agency_id, UserRole.role == role.value, User.is_active)
        .order_by(User.full_name)
    )
    return list(session.execute(stmt).scalars())
