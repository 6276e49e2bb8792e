"""Adoption: is each unit actually using the three core applications, month by month, and did
training change it? Usage imports, matching, the unit form, the province indicators, reports, the
monthly digest to unit heads.

Adoption reads competency, training, certificates and courses through their ``api`` (all in
``adoption/links.py``); other features use ``adoption.api`` only.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

REQUIRES = ("courses", "certificates", "competency", "training")


def init_app(app) -> None:
    from datetime import date

    from sqlalchemy.orm import Session

    from adoption import api, cache, cli, demo, links, models, months, permissions, receivers, views
    from lms import events
    from lms.database import listen_once
    from lms.features import (
        AuditField,
        add_audit_fields,
        add_audit_labels,
        add_commands,
        add_demo_step,
        add_nav,
        add_panel,
        add_template_globals,
    )

    app.register_blueprint(views.bp)
    add_nav(app, _l("Sử dụng của đơn vị"), "adoption.my_unit", permissions.heads_a_unit, order=56)
    add_nav(app, _l("Sử dụng ứng dụng"), "adoption.province", permissions.can_view_province_usage, order=66)
    add_panel(app, "adoption/_panel.html", permissions.sees_usage_panel, order=47)
    add_template_globals(
        app,
        **permissions.TEMPLATE_PREDICATES,
        adoption_panel=views.panel_data,
        adoption_month_label=months.label,
        adoption_block_label=links.block_label,
    )
    for name, function in views.template_filters().items():
        app.add_template_filter(function, name)
    add_audit_labels(
        app,
        {
            "adoption.digest_on": lazy_pgettext("audit", "Bật thư tổng hợp hằng tháng"),
            "adoption.digest_off": lazy_pgettext("audit", "Tắt thư tổng hợp hằng tháng"),
            "adoption.import": lazy_pgettext("audit", "Nhập số liệu sử dụng ứng dụng"),
            "adoption.match": lazy_pgettext("audit", "Ghép tài khoản ứng dụng với cán bộ"),
            "adoption.unit_report": lazy_pgettext("audit", "Đơn vị báo cáo sử dụng ứng dụng"),
        },
    )
    add_audit_fields(
        app,
        {
            "system": AuditField(lazy_pgettext("audit", "Ứng dụng"), show=lambda v: models.System(v).label),
            "month": AuditField(
                lazy_pgettext("audit", "Tháng"), show=lambda v: months.label(date.fromisoformat(f"{v}-01"))
            ),
            "account": AuditField(lazy_pgettext("audit", "Tài khoản trong ứng dụng")),
            "rows": AuditField(lazy_pgettext("audit", "Số dòng")),
            "matched": AuditField(lazy_pgettext("audit", "Đã ghép với cán bộ")),
            "unmatched": AuditField(lazy_pgettext("audit", "Chưa ghép")),
            "not_person": AuditField(lazy_pgettext("audit", "Hộp thư/tài khoản chung của cơ quan")),
            "replaced": AuditField(lazy_pgettext("audit", "Thay số liệu đã nhập trước")),
        },
    )
    # the unit ranking's usage part (weight 0 until set in LMS_COMPETENCY_WEIGHTS)
    links.register_index_component(
        app, "usage", _l("Điểm sử dụng ứng dụng"), api.ranking_scores, api.ranking_explanation
    )
    # training targeting lists the units and officials with low usage beside those lagging in competency
    links.register_need_source(
        app, "usage", _l("Ít sử dụng"), api.targeting_units, api.targeting_officials, api.targeting_explanation
    )
    add_commands(app, cli.adoption_cli)
    add_demo_step(app, "adoption", demo.build_adoption, order=5)
    events.officials_changed.connect(receivers.on_officials_changed)
    # the indicators' cache version is bumped once, when a write that changed officials commits; a
    # session's own usage writes stop bypassing the cache when it commits or rolls back
    for identifier, listener in (*receivers.SESSION_LISTENERS, *cache.SESSION_LISTENERS):
        listen_once(Session, identifier, listener)
