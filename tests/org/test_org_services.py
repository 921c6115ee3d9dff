import pytest

from eoffice.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.codes import check_agency_code
from eoffice.org.services import (
    AgencyInput,
    UserInput,
    create_agency,
    create_unit,
    create_user,
    list_managed_agencies,
    set_user_roles,
)


def test_strict_and_loose_agency_codes():
    assert check_agency_code("000.00.00.H34") is None
    assert "QCVN 102" in check_agency_code("vxp.saas.03")  # accepted with a warning
    for bad in ("", "has space", "a/b", "x" * 36):
        with pytest.raises(ValueError, match="Mã định danh"):
            check_agency_code(bad)


def test_create_agency_with_warning_and_duplicate(db_session):
    system = Actor.system()
    agency, warnings = create_agency(
        db_session,
        system,
        AgencyInput(code="001.00.20.TT2", name="Trung tâm thử", short_name="TT", level="tinh"),
    )
    assert agency.id and warnings and "QCVN 102" in warnings[0]
    with pytest.raises(Conflict):
        create_agency(
            db_session,
            system,
            AgencyInput(code="001.00.20.TT2", name="Khác", short_name="K", level="tinh"),
        )


def test_invalid_agency_fields_are_all_reported(db_session):
    with pytest.raises(InvalidInput) as info:
        create_agency(
            db_session,
            Actor.system(),
            AgencyInput(
                code="bad code",
                name="",
                short_name="ub nd",
                level="planet",
                parent_code="000.99.99.Z99",
            ),
        )
    assert set(info.value.fields) == {"code", "name", "short_name", "level", "parent_code"}


def test_duplicate_username_is_a_conflict(factory, db_session):
    org = factory.org()
    with pytest.raises(Conflict) as info:
        create_user(
            db_session,
            Actor.system(),
            UserInput(
                username=org.clerk.username.upper(),
                full_name="X",
                agency_code=org.agency.code,
                roles=("clerk",),
                password="Mat-khau-dai-2026",
            ),
        )
    assert info.value.fields == {"username": "Đã tồn tại"}


def test_user_needs_known_agency_valid_roles_and_strong_password(factory, db_session):
    org = factory.org()
    with pytest.raises(NotFound):
        create_user(
            db_session,
            Actor.system(),
            UserInput(username="ai", full_name="A", agency_code="000.99.99.Z99", roles=("clerk",)),
        )
    with pytest.raises(InvalidInput) as info:
        create_user(
            db_session,
            Actor.system(),
            UserInput(
                username="Bad Name",
                full_name="A",
                agency_code=org.agency.code,
                roles=("boss",),
                password="123",
                unit_short_name="NOPE",
            ),
        )
    assert set(info.value.fields) == {"username", "roles", "password", "unit"}


def test_several_roles_per_user(factory, db_session):
    org = factory.org()
    user = factory.user(org.agency, "leader", "unit_head")
    assert {r.value for r in user.roles} == {"leader", "unit_head"}
    set_user_roles(db_session, Actor(user=org.admin), user, ["specialist"])
    assert {r.value for r in user.roles} == {"specialist"}


def test_admin_manages_own_agency_and_descendants_only(factory, db_session):
    province = factory.org()
    commune = factory.agency(parent=province.agency)
    other = factory.org()
    managed = {a.id for a in list_managed_agencies(db_session, Actor(user=province.admin))}
    assert {province.agency.id, commune.id} <= managed
    assert other.agency.id not in managed
    with pytest.raises(PermissionDenied):
        create_unit(db_session, Actor(user=province.admin), other.agency, "Phòng X", "PX")
    with pytest.raises(PermissionDenied):
        set_user_roles(db_session, Actor(user=province.clerk), province.specialist, ["admin"])


def test_unit_short_names_are_unique_per_agency(factory, db_session):
    agency = factory.agency()
    with pytest.raises(Conflict):
        create_unit(db_session, Actor.system(), agency, "Văn phòng 2", "VP")
    other = factory.agency()
    assert create_unit(db_session, Actor.system(), other, "Phòng Văn xã", "VX").id


def test_an_admins_password_reset_ends_the_users_sessions(factory, db_session):
    from eoffice.org.services import set_password

    org = factory.org()
    epoch = org.clerk.session_epoch
    set_password(db_session, Actor(user=org.clerk), org.clerk, "Mat-khau-moi-2027!")
    assert org.clerk.session_epoch == epoch  # one's own change keeps one's session
    set_password(db_session, Actor(user=org.admin), org.clerk, "Mat-khau-khac-2027!")
    assert org.clerk.session_epoch == epoch + 1
