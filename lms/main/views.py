"""Home page, dashboard and per-user display preferences."""

import functools
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from lms.auth.access import login_required, public, safe_next_url
from lms.extensions import db
from lms.features import panels_for

bp = Blueprint("main", __name__, template_folder="templates")

FONT_SIZES = ("normal", "large", "xlarge")


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.dashboard"))


@bp.get("/dashboard")
@login_required
def dashboard():
    """The panels the features contribute (``lms.features.add_panel``), those this user may see."""
    return render_template("main/dashboard.html", panels=panels_for(current_user))


@bp.post("/preferences")
@public
def set_preferences():
    """Font size, high contrast and language: remembered per user (or per browser when logged out)."""
    updates = {}
    size = request.form.get("font_size")
    if size in FONT_SIZES:
        updates["font_size"] = size
    if "high_contrast" in request.form:
        updates["high_contrast"] = request.form.get("high_contrast") == "1"
    locale = request.form.get("locale")
    if locale in ("vi", "en"):
        updates["locale"] = locale
        session["locale"] = locale
    if current_user.is_authenticated:
        current_user.preferences = {**(current_user.preferences or {}), **updates}
        db.session.commit()
    else:
        session["prefs"] = {**session.get("prefs", {}), **updates}
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.index"))


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for ``/favicon.ico`` whatever the page links (it was a 404 on every page)."""
    response = Response(_favicon_bytes(current_app.static_folder), mimetype="image/vnd.microsoft.icon")
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response


@functools.cache
def _favicon_bytes(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.ico").read_bytes()  # 4 KB, read once per process
