"""Invariants of the demo province data in config/demo/ (what the demo loader relies on)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from eoffice.documents.numbering import cong_van_notation, format_code, split_code

DEMO_DIR = Path(__file__).resolve().parents[1] / "config" / "demo"
FILES = ("khanh-hoa.yaml", "second-province.yaml")
QCVN102 = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")
SHORT_NAME = re.compile(r"^[A-ZĐ0-9]{1,20}$")
USERNAME = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)+$")
LEVELS = {"trung_uong", "tinh", "xa", "huyen"}
ROLES = {"admin", "clerk", "leader", "unit_head", "specialist"}
AGENCY_KEYS = {"code", "name", "short_name", "level", "parent", "vxp", "units", "users"}
OPTIONAL_AGENCY_KEYS = {"address", "email"}
USER_KEYS = {"username", "full_name", "position", "unit", "roles"}


@pytest.fixture(scope="module")
def demo() -> dict[str, dict[str, Any]]:
    return {name: yaml.safe_load((DEMO_DIR / name).read_text("utf-8")) for name in FILES}


@pytest.fixture(scope="module")
def agencies(demo) -> list[dict[str, Any]]:
    return [agency for data in demo.values() for agency in data["agencies"]]


@pytest.fixture(scope="module")
def users(agencies) -> list[dict[str, Any]]:
    return [user for agency in agencies for user in agency["users"]]


def test_khanh_hoa_has_a_strong_shared_password_and_the_second_file_none(demo):
    password = demo["khanh-hoa.yaml"]["demo_password"]
    assert isinstance(password, str)
    assert len(password) >= 10
    assert re.search(r"[a-z]", password)
    assert re.search(r"[A-Z]", password)
    assert re.search(r"\d", password)
    assert re.search(r"[^A-Za-z0-9]", password)
    assert "demo_password" not in demo["second-province.yaml"]
    assert demo["khanh-hoa.yaml"]["province"] == "Khánh Hòa"
    assert demo["second-province.yaml"]["province"]


def test_first_agency_is_the_khanh_hoa_peoples_committee(demo):
    first = demo["khanh-hoa.yaml"]["agencies"][0]
    assert first["code"] == "000.00.00.H34"
    assert first["short_name"] == "UBND"
    assert first["name"] == "Ủy ban nhân dân tỉnh Khánh Hòa"
    assert first["level"] == "tinh"
    assert first["parent"] is None
    assert first["vxp"] is True


def test_agencies_have_exactly_the_schema_keys(agencies):
    for agency in agencies:
        keys = set(agency)
        assert keys >= AGENCY_KEYS, agency["code"]
        assert keys - AGENCY_KEYS <= OPTIONAL_AGENCY_KEYS, agency["code"]
        assert agency["level"] in LEVELS
        assert isinstance(agency["vxp"], bool)
        assert agency["name"].strip() == agency["name"] and agency["name"]
        for user in agency["users"]:
            assert set(user) == USER_KEYS, user


def test_agency_codes_are_unique_across_both_files(agencies):
    duplicates = [c for c, n in Counter(a["code"] for a in agencies).items() if n > 1]
    assert duplicates == []


def test_agency_codes_have_the_qcvn_102_form(agencies):
    assert [a["code"] for a in agencies if not QCVN102.match(a["code"])] == []


def test_each_province_has_its_own_level_one_code(demo):
    level_one = {
        name: {a["code"].rsplit(".", 1)[1] for a in data["agencies"]} for name, data in demo.items()
    }
    assert level_one == {"khanh-hoa.yaml": {"H34"}, "second-province.yaml": {"H36"}}


def test_parents_exist_in_the_same_file_and_come_first(demo):
    for data in demo.values():
        seen: set[str] = set()
        for index, agency in enumerate(data["agencies"]):
            if index == 0:
                assert agency["parent"] is None
            else:
                assert agency["parent"] in seen, agency["code"]
            seen.add(agency["code"])


def test_communes_sit_directly_under_the_province(demo):
    for data in demo.values():
        province = data["agencies"][0]
        communes = [a for a in data["agencies"] if a["level"] == "xa"]
        assert communes
        for commune in communes:
            assert commune["parent"] == province["code"]
            assert re.match(r"^Ủy ban nhân dân (xã|phường|đặc khu) ", commune["name"])


def test_khanh_hoa_is_province_sized_and_the_second_province_smaller(demo):
    kh = demo["khanh-hoa.yaml"]["agencies"]
    second = demo["second-province.yaml"]["agencies"]
    assert len([a for a in kh[1:] if a["level"] == "tinh"]) >= 14
    assert len([a for a in kh if a["level"] == "xa"]) >= 30
    assert any(a["short_name"] == "SNV" and a["name"].startswith("Sở Nội vụ") for a in kh)
    assert 3 <= len(second) < len(kh) / 3
    for agency in kh + second:
        if agency["level"] == "xa":
            assert 2 <= len(agency["units"]) <= 4, agency["name"]


def test_usernames_are_unique_lowercase_ascii_and_name_their_agency(agencies, users):
    names = [u["username"] for u in users]
    assert [n for n, c in Counter(names).items() if c > 1] == []
    assert [n for n in names if not USERNAME.match(n)] == []
    slugs = [{u["username"].rsplit(".", 1)[1] for u in a["users"]} for a in agencies]
    assert all(len(s) == 1 for s in slugs)
    assert len({s.pop() for s in slugs}) == len(agencies)


def test_every_user_belongs_to_a_unit_of_their_agency(agencies):
    for agency in agencies:
        units = [u["short_name"] for u in agency["units"]]
        assert len(units) == len(set(units)), agency["code"]
        for user in agency["users"]:
            assert user["unit"] in units, user["username"]


def test_every_agency_has_every_role(agencies):
    for agency in agencies:
        counts = Counter(role for user in agency["users"] for role in user["roles"])
        assert set(counts) <= ROLES, agency["code"]
        assert counts["admin"] >= 1, agency["code"]
        assert counts["clerk"] >= 1, agency["code"]
        assert counts["leader"] >= 1, agency["code"]
        assert counts["unit_head"] >= 1, agency["code"]
        assert counts["specialist"] >= 2, agency["code"]


def test_the_province_admin_is_quantri_ubnd(demo):
    first = demo["khanh-hoa.yaml"]["agencies"][0]
    admins = [u["username"] for u in first["users"] if "admin" in u["roles"]]
    assert admins == ["quantri.ubnd"]


def test_people_have_realistic_names_and_positions(users):
    for user in users:
        words = user["full_name"].split()
        assert len(words) >= 3, user
        assert all(word[0].isupper() for word in words), user
        assert user["position"].strip(), user
    assert len({u["full_name"] for u in users}) == len(users)


def test_short_names_are_valid_in_a_notation(agencies):
    for agency in agencies:
        assert SHORT_NAME.match(agency["short_name"]), agency["short_name"]
        for unit in agency["units"]:
            assert SHORT_NAME.match(unit["short_name"]), unit["short_name"]
            notation = cong_van_notation(agency["short_name"], unit["short_name"])
            parts = split_code(format_code(12, notation))
            assert (parts.number, parts.notation) == ("12", notation)


def test_emails_use_example_domains(agencies):
    for agency in agencies:
        if "email" in agency:
            assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.]+\.example\.vn", agency["email"])
