"""Writing an e-mail: the same content as plain text and simple HTML, and absolute links to the app.

Links are built without a request (CLI commands, services) from ``LMS_BASE_URL``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_babel import gettext as _
from markupsafe import Markup, escape

DEFAULT_BASE_URL = "http://localhost:5000"


def base_url() -> str:
    if has_app_context():
        configured = current_app.config.get("LMS_BASE_URL")
        if configured:
            return configured.rstrip("/")
    return os.environ.get("LMS_BASE_URL", DEFAULT_BASE_URL).rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails and calendars, built without a request (CLI, services)."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def mail_from() -> str:
    if has_app_context() and current_app.config.get("MAIL_FROM"):
        return current_app.config["MAIL_FROM"]
    return os.environ.get("MAIL_FROM", "taphuan@localhost")


def compose(greeting: str, paragraphs: list[str], facts: list[tuple[str, str]], link: tuple[str, str] | None):
    """The same content as plain text and as simple HTML."""
    text = [greeting, ""]
    for p in paragraphs:
        text += [p, ""]
    for label, value in facts:
        text.append(f"- {label}: {value}")
    if link:
        text += ["", f"{link[0]}: {link[1]}"]
    text += ["", _("Đây là thư tự động của hệ thống học tập chính quyền điện tử. Vui lòng không trả lời thư này.")]
    html = [f"<p>{escape(greeting)}</p>"]
    html += [f"<p>{escape(p)}</p>" for p in paragraphs]
    if facts:
        html.append("<ul>" + "".join(f"<li><strong>{escape(k)}:</strong> {escape(v)}</li>" for k, v in facts) + "</ul>")
    if link:
        html.append(f'<p><a href="{escape(link[1])}">{escape(link[0])}</a></p>')
    html.append(
        "<p><small>"
        + escape(_("Đây là thư tự động của hệ thống học tập chính quyền điện tử. Vui lòng không trả lời thư này."))
        + "</small></p>"
    )
    body = Markup('<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body>{}</body></html>')
    return "\n".join(text), str(body.format(Markup("\n".join(html))))
