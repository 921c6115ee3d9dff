"""Render outbox rows as MIME e-mails (Vietnamese, plain text and HTML); no network here."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, select_autoescape

from eoffice.clock import now
from eoffice.notifications.models import OutgoingMail

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = _ENV.from_string(
    """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ heading }}</title></head>
<body style="font-family: Arial, sans-serif; color: #1b1f23;">
<p>Kính gửi {{ name or "ông/bà" }},</p>
<h2 style="color: #0b4f8a; font-size: 18px;">{{ heading }}</h2>
<ul>
{%- for item in items %}
  <li>{% if item.url %}<a href="{{ item.url }}">{{ item.text }}</a>{% else %}{{ item.text }}{% endif %}</li>
{%- endfor %}
</ul>
{% if note %}<p>{{ note }}</p>{% endif %}
<p style="color: #5f6b76; font-size: 12px;">Thư gửi tự động từ Hệ thống quản lý văn bản và điều hành,
vui lòng không trả lời thư này.</p>
</body></html>
"""
)
_TEXT = """Kính gửi {name},

{heading}

{items}
{note}
--
Thư gửi tự động từ Hệ thống quản lý văn bản và điều hành, vui lòng không trả lời thư này.
"""


def _absolute(link: str, base_url: str) -> str:
    # Only paths inside the application become links; anything else is dropped.
    if not link.startswith("/") or link.startswith("//"):
        return ""
    return base_url.rstrip("/") + link


def _items(content: dict[str, Any], base_url: str) -> list[dict[str, str]]:
    return [
        {"text": str(item.get("text", "")), "url": _absolute(str(item.get("link", "")), base_url)}
        for item in content.get("items", [])
    ]


def render_text(name: str, content: dict[str, Any], base_url: str) -> str:
    """Return the plain-text body."""
    lines = []
    for item in _items(content, base_url):
        lines.append(f"- {item['text']}" + (f"\n  {item['url']}" if item["url"] else ""))
    return _TEXT.format(
        name=name or "ông/bà",
        heading=content.get("heading", ""),
        items="\n".join(lines),
        note=(content.get("note") or "") + ("\n" if content.get("note") else ""),
    )


def render_html(name: str, content: dict[str, Any], base_url: str) -> str:
    """Return the HTML body (every value escaped)."""
    return _HTML.render(
        name=name,
        heading=content.get("heading", ""),
        items=_items(content, base_url),
        note=content.get("note", ""),
    )


def message_id(dedup_key: str, base_url: str) -> str:
    """Return the Message-ID of an outbox row: the same for every retry of the row."""
    host = urlsplit(base_url).hostname or "localhost"
    local = re.sub(r"[^A-Za-z0-9.\-]", "-", dedup_key)
    return f"<eoffice.{local}@{host}>"


def build_email(row: OutgoingMail, sender: str, base_url: str) -> EmailMessage:
    """Return the MIME message for an outbox row (multipart/alternative: text, then HTML)."""
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = Address(display_name=row.to_name, addr_spec=row.to_address)
    message["Date"] = format_datetime(now())
    message["Message-ID"] = message_id(row.dedup_key, base_url)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(row.to_name, row.content, base_url), charset="utf-8")
    message.add_alternative(render_html(row.to_name, row.content, base_url), subtype="html")
    return message
