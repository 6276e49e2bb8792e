"""Writing an e-mail: the same content as plain text and simple HTML, and absolute links to the app.

Links follow the app's one rule for absolute links (``lms.urls``): ``LMS_BASE_URL``, else the
request's address, else ``SERVER_NAME``.
"""

from __future__ import annotations

import os

from flask import current_app, has_app_context
from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.urls import absolute_url


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails and calendars: the app's one rule (``lms.urls``)."""
    return absolute_url(endpoint, **values)


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
