"""Adoption: is each unit actually using the three core applications, month by month, and did
training change it? Usage imports, matching, the unit form, the province indicators, reports.

``init_app(app)`` is the feature's only entry point (see docs/architecture.md when it lands).
"""

from __future__ import annotations


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from adoption import (
        demo,  # noqa: F401  (registers the demo step)
        models,  # noqa: F401  (tables in the metadata)
    )
    from adoption.cli import adoption_cli
    from adoption.permissions import TEMPLATE_PREDICATES, can_view_province_usage, heads_a_unit
    from adoption.views import bp
    from lms.cli import lms_cli
    from lms.main.panels import register_nav, register_panel

    app.register_blueprint(bp)
    lms_cli.add_command(adoption_cli)
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    register_nav(_l("Sử dụng ứng dụng"), "adoption.province", can_view_province_usage, order=66)
    register_nav(_l("Sử dụng của đơn vị"), "adoption.my_unit", heads_a_unit, order=56)
    register_panel("adoption/_panel.html", lambda u: can_view_province_usage(u) or heads_a_unit(u), order=47)
    from adoption import receivers  # noqa: F401  (connects the signal receivers)
