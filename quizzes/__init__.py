"""Quizzes: the question bank, quizzes drawn from it, attempts, grading and item statistics.

A course's final quiz is one of its completion requirements. Other features use ``quizzes.api`` only.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

REQUIRES = ("courses",)


def init_app(app) -> None:
    from courses import api as courses_api
    from lms.features import (
        AuditField,
        add_audit_fields,
        add_audit_labels,
        add_audit_objects,
        add_commands,
        add_demo_step,
        add_nav,
        add_panel,
        add_template_globals,
    )
    from quizzes import cli, demo, permissions, services, views

    app.register_blueprint(views.bp)
    add_nav(app, lazy_pgettext("menu", "Bài kiểm tra"), "quizzes.my_quizzes", permissions.can_take_quizzes, order=30)
    add_nav(app, _l("Ngân hàng câu hỏi"), "quizzes.bank", permissions.can_manage_bank, order=40)
    add_panel(app, "quizzes/_panel.html", permissions.can_take_quizzes, order=30)
    add_template_globals(app, **permissions.TEMPLATE_PREDICATES, quizzes_panel=views.panel_data)
    add_audit_labels(
        app,
        {
            "question.archive": lazy_pgettext("audit", "Lưu trữ câu hỏi"),
            "question.restore": lazy_pgettext("audit", "Khôi phục câu hỏi"),
        },
    )
    add_audit_objects(app, views.audit_objects())
    add_audit_fields(app, {"category": AuditField(lazy_pgettext("audit", "Nhóm câu hỏi"))})
    add_commands(app, cli.close_overdue_attempts_command, cli.import_questions_command, cli.purge_quiz_imports_command)
    add_demo_step(app, "quizzes", demo.build_quizzes, order=20)
    courses_api.register_completion_requirement(services.final_quiz_requirement)
