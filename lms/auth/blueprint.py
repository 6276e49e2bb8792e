"""The ``auth`` blueprint, apart so that its pages can live in several modules: ``views`` (login,
password, roles, audit), ``account_views`` (the officials' accounts) and the nested ``sso_views``."""

from flask import Blueprint

from lms.auth.sso_views import bp as sso_bp

bp = Blueprint("auth", __name__, template_folder="templates")
bp.register_blueprint(sso_bp)  # login through the province's OpenID Connect provider (auth.sso.*)
