"""Refuse text that cannot be stored or seen: control characters, lone surrogates, noncharacters.

PostgreSQL cannot store NUL in text at all (the request failed with a 500), SQLite stores it and
every later export breaks, and the other C0 controls (ESC starts terminal escapes, form feeds and
vertical tabs) are invisible in a form. Tab, line feed and carriage return stay allowed. Lone
surrogates (a JSON ``"\\ud800"``) cannot be encoded as UTF-8 by either engine.

Every query argument, form field and JSON body is checked before any view runs, so a new page
or endpoint is covered without thinking of it; the API's multipart metadata is JSON inside a
form field, so `parse_json` checks what it decoded too. The answer is the usual error: 422
``invalid_characters`` naming each field, a Vietnamese page in the browser.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request

from eoffice.errors import InvalidInput

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FIELD_MESSAGE = "Có ký tự điều khiển hoặc ký tự không hợp lệ"
_MAX_FIELDS_NAMED = 20


def bad_fields(value: Any, path: str = "") -> list[str]:
    """Return the paths (``a.b.0``) of every string in ``value`` holding a forbidden character."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack and len(found) < _MAX_FIELDS_NAMED:
        where, item = stack.pop()
        if isinstance(item, str):
            if _FORBIDDEN.search(item):
                found.append(where or "body")
        elif isinstance(item, dict):
            stack.extend((_join(where, str(k)), v) for k, v in item.items())
            stack.extend((_join(where, str(k)), str(k)) for k in item)  # keys are text too
        elif isinstance(item, list | tuple):
            stack.extend((_join(where, str(i)), v) for i, v in enumerate(item))
    return sorted(set(found))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def refuse_if_bad(value: Any, path: str = "") -> None:
    """:raises InvalidInput: ``invalid_characters`` when a string in ``value`` has such text."""
    _refuse(bad_fields(value, path))


def _refuse(fields: list[str]) -> None:
    if fields:
        raise InvalidInput(
            "Dữ liệu gửi lên có ký tự điều khiển hoặc ký tự không hợp lệ; "
            "hãy xóa các ký tự đó rồi gửi lại",
            code="invalid_characters",
            fields=dict.fromkeys(fields, FIELD_MESSAGE),
        )


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_control_characters() -> None:
        pairs = [*request.args.items(multi=True), *request.form.items(multi=True)]
        fields = [k or "?" for k, v in pairs if _FORBIDDEN.search(k) or _FORBIDDEN.search(v)]
        if request.is_json:
            body = request.get_json(silent=True)  # cached for the view
            fields += bad_fields(body, "") if body is not None else []
        _refuse(sorted(set(fields)))
