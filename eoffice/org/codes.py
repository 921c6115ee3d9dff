"""QCVN 102 electronic IDs (mã định danh) and short names — pure rules."""

from __future__ import annotations

import re

STRICT_CODE = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")
# What real traffic carries besides the strict form (vxp.saas.03, 01.02.G22, 001.00.20.TT2).
LOOSE_CODE = re.compile(r"^[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*$")
SHORT_NAME = re.compile(r"^[A-ZĐ0-9]{1,20}$")


def check_agency_code(code: str) -> str | None:
    """Validate an electronic ID; return a warning for a non-QCVN-102 form, None when strict.

    :raises ValueError: when the code cannot be an identifier at all (empty, spaces, too long).
    """
    if not code or len(code) > 35 or not LOOSE_CODE.match(code):
        raise ValueError(
            "Mã định danh không hợp lệ: chỉ gồm chữ, số và dấu chấm, tối đa 35 ký tự "
            "(ví dụ 000.00.00.H34)"
        )
    if STRICT_CODE.match(code):
        return None
    return f"Mã định danh {code} không theo dạng QCVN 102 (000.00.00.H34); vẫn được chấp nhận."


def check_short_name(short_name: str) -> None:
    """Validate an abbreviation used in ký hiệu (uppercase letters, Đ and digits).

    :raises ValueError: with a Vietnamese message.
    """
    if not SHORT_NAME.match(short_name):
        raise ValueError(
            "Tên viết tắt chỉ gồm chữ in hoa (có Đ) và chữ số, không dấu cách, tối đa 20 ký tự"
        )
