"""Certificates of course completion: issuing (on ``course_completed``), serial numbers, revocation and
re-issue, PDFs, expiry reminders (on the dashboard and by e-mail) and public verification.

Other features use ``certificates.api`` only.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

REQUIRES = ("courses",)


def init_app(app) -> None:
    from sqlalchemy.orm import Session

    from certificates import cli, demo, mail, permissions, services, views
    from lms import events
    from lms.database import listen_once
    from lms.features import (
        add_audit_fields,
        add_audit_labels,
        add_audit_objects,
        add_commands,
        add_demo_step,
        add_nav,
        add_panel,
        add_template_globals,
    )

    app.register_blueprint(views.bp)
    add_nav(app, _l("Chứng nhận của tôi"), "certificates.mine", permissions.has_certificates_page, order=40)
    add_nav(app, _l("Quản lý chứng nhận"), "certificates.manage", permissions.can_manage_certificates, order=60)
    add_panel(app, "certificates/_panel.html", permissions.has_certificates_page, order=30)
    add_template_globals(
        app,
        **permissions.TEMPLATE_PREDICATES,
        certificates_panel=views.panel_data,
        certificate_for_course=views.certificate_for_course,
        certificate_state_label=views.state_label,
        certificate_state_class=views.STATE_CLASSES.get,
    )
    add_audit_labels(
        app,
        {
            "certificate.issue": lazy_pgettext("audit", "Cấp chứng nhận"),
            "certificate.issue.note": lazy_pgettext("audit", "Cấp chứng nhận thủ công (ghi chú)"),
            "certificate.renew": lazy_pgettext("audit", "Cấp chứng nhận mới khi làm lại bài kiểm tra trước hạn"),
            "certificate.reissue": lazy_pgettext("audit", "Cấp lại chứng nhận"),
            "certificate.revoke": lazy_pgettext("audit", "Thu hồi chứng nhận"),
            "certificate.batch_revoke": lazy_pgettext("audit", "Thu hồi nhiều chứng nhận"),
            "certificate.batch_reissue": lazy_pgettext("audit", "Cấp lại nhiều chứng nhận"),
        },
    )
    add_audit_fields(app, views.AUDIT_FIELDS)
    add_audit_objects(app, views.AUDIT_OBJECTS)
    add_commands(app, cli.certificates_cli)
    add_demo_step(app, "certificates", demo.build_certificates, order=30)
    events.course_completed.connect(services.on_course_completed)
    events.mail_sending.connect(mail.on_mail_sending)
    # PDFs are rendered after the issuing transaction commits, never inside it
    listen_once(Session, "after_commit", services.render_queued)
    listen_once(Session, "after_rollback", services.forget_queued)
