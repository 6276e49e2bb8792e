"""How a feature package plugs into the app.

``create_app`` reads ``FEATURES`` from the configuration (``lms/config.py``) and calls each
feature's ``init_app(app)``, in that order. A feature package declares the features it uses
(``REQUIRES``); they must come before it in ``FEATURES``. Importing a feature package does nothing:
everything it adds to the app, it adds in ``init_app``, with these calls:

    app.register_blueprint(views.bp)                    its pages (blueprint name = package name)
    add_commands(app, *commands)                        ``flask lms ...`` commands and groups
    add_nav(app, label, endpoint, visible, order)       a link of the top navigation
    add_panel(app, template, visible, order)            a fragment of the dashboard
    add_staff_section(app, template, order)             a fragment of a unit head's page of one staff member
    add_demo_step(app, name, step, order)               a step of ``flask lms demo``
    add_template_globals(app, **values)                 predicates and helpers for templates
    add_audit_labels(app, {action: label})              how its audit log actions read
    add_audit_fields(app, {key: AuditField(label)})     how the facts its audit entries record read
    add_audit_objects(app, {kind: AuditObject(...)})    the objects they name, each with a name and a link
    lms.events.<signal>.connect(receiver)               what it does when another package acts

``visible(user)`` decides who sees a link or a panel; ``order`` places it among the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, request, url_for
from markupsafe import Markup, escape

from lms.config import ConfigError
from lms.formatting import current_locale

EXTENSION = "lms.features"


@dataclass
class Registry:
    """What the features added to one app (``app.extensions["lms.features"]``)."""

    features: list[str] = field(default_factory=list)
    nav: list[tuple[int, object, str, Callable]] = field(default_factory=list)
    nav_links: dict[tuple[str, str], list[tuple[Markup, str]]] = field(default_factory=dict)  # see nav_for
    panels: list[tuple[int, str, Callable]] = field(default_factory=list)
    staff_sections: list[tuple[int, str]] = field(default_factory=list)
    demo_steps: list[tuple[int, str, Callable]] = field(default_factory=list)
    audit_labels: dict[str, object] = field(default_factory=dict)
    audit_fields: dict[str, AuditField] = field(default_factory=dict)
    audit_objects: dict[str, AuditObject] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditField:
    """A fact an audit entry records (``data={"official": 887}``), as the audit log shows it: its
    ``label`` ("Cán bộ"); ``object``, the kind of object its value (a number, or a list of them) names
    (``"official"``: the name, linked); ``values``, labels of coded values (``{"oidc": "..."}``);
    ``show(value)``, a function for anything else (text or ``Markup``)."""

    label: object
    object: str | None = None
    values: dict[str, object] | None = None
    show: Callable | None = None


@dataclass(frozen=True)
class AuditObject:
    """A kind of object audit entries name (``"attempt"`` in ``target="attempt:2360"`` or
    ``source="attempt:2360"``): ``label`` ("Bài làm"), shown with the number when the object is gone,
    and ``find(id)`` -> ``(name, url or None)``, or None when it no longer exists."""

    label: object
    find: Callable[[int], tuple[str, str | None] | None]


def registry(app: Flask | None = None) -> Registry:
    app = app or current_app
    return app.extensions.setdefault(EXTENSION, Registry())


def init_features(app: Flask) -> None:
    """Import each ``FEATURES`` package and call its ``init_app(app)``, checking ``REQUIRES`` first."""
    names = list(app.config["FEATURES"])
    for position, name in enumerate(names):
        package = importlib.import_module(name)
        for needed in getattr(package, "REQUIRES", ()):
            if needed not in names[:position]:
                raise ConfigError(f"FEATURES: {name} needs {needed}, listed before it")
        package.init_app(app)
        registry(app).features.append(name)


def add_nav(app: Flask, label, endpoint: str, visible: Callable, order: int = 50) -> None:
    """A top navigation link (``label`` may be lazily translated) shown to users for whom ``visible(user)``."""
    reg = registry(app)
    if endpoint not in [e for _o, _l, e, _v in reg.nav]:
        reg.nav.append((order, label, endpoint, visible))
        reg.nav.sort(key=lambda n: n[0])
        reg.nav_links.clear()


def add_panel(app: Flask, template: str, visible: Callable, order: int = 50) -> None:
    """A dashboard fragment (``<package>/_panel*.html``) included for users for whom ``visible(user)``."""
    panels = registry(app).panels
    if template not in [t for _o, t, _v in panels]:
        panels.append((order, template, visible))
        panels.sort(key=lambda p: p[0])


def add_staff_section(app: Flask, template: str, order: int = 50) -> None:
    """A fragment (``<package>/_staff_*.html``) of the page a unit head opens for one of their staff
    (``competency.staff_member``): the template gets ``official`` and ``back_here`` (the page's own
    address, for the actions to come back to). A feature that competency does not depend on
    (training) shows its part of that person this way."""
    sections = registry(app).staff_sections
    if template not in [t for _o, t in sections]:
        sections.append((order, template))
        sections.sort(key=lambda s: s[0])


def staff_sections() -> list[str]:
    return [template for _o, template in registry().staff_sections]


def add_demo_step(app: Flask, name: str, step: Callable, order: int = 50) -> None:
    """``step(ctx)`` builds the feature's part of the demo province (``lms.demo.DemoContext``)."""
    steps = registry(app).demo_steps
    if name not in [n for _o, n, _s in steps]:
        steps.append((order, name, step))
        steps.sort(key=lambda s: s[0])


def add_commands(app: Flask, *commands) -> None:
    """Click commands or groups under ``flask lms``."""
    group = app.cli.commands["lms"]  # made by lms.cli.init_app, before the features
    for command in commands:
        group.add_command(command)


def add_audit_labels(app: Flask, labels: dict[str, object]) -> None:
    """What the audit log shows for an action (``"certificate.issue"`` -> "Cấp chứng nhận")."""
    registry(app).audit_labels.update(labels)


def add_audit_fields(app: Flask, fields: dict[str, AuditField]) -> None:
    """How the facts recorded in ``data`` of the feature's audit entries read (``lms.auth.audit_view``)."""
    registry(app).audit_fields.update(fields)


def add_audit_objects(app: Flask, objects: dict[str, AuditObject]) -> None:
    """The kinds of object the feature's audit entries name, each found by its number."""
    registry(app).audit_objects.update(objects)


def audit_action_label(action: str) -> str:
    """The label of an audit action, the action itself when none was registered."""
    label = registry().audit_labels.get(action)
    return str(label) if label is not None else action


def add_template_globals(app: Flask, **values) -> None:
    """Names for every template; a name already taken by another package is a programming error."""
    for name, value in values.items():
        if app.jinja_env.globals.get(name, value) is not value:
            raise RuntimeError(f"template global {name!r} is registered twice")
    app.jinja_env.globals.update(values)


def nav_for(user) -> list[dict]:
    """The top navigation links ``user`` sees. Every page shows them: the labels are translated and
    the addresses built once per language and script root (neither changes while the app runs), then
    each page only asks ``visible(user)`` (pass the user object, not the ``current_user`` proxy: a
    dozen checks through the proxy cost more than the rest)."""
    reg = registry()
    key = (current_locale(), request.script_root)
    links = reg.nav_links.get(key)
    if links is None:  # escape(): a lazy label's own text, as the template would write it
        links = reg.nav_links[key] = [(escape(label), url_for(endpoint)) for _o, label, endpoint, _v in reg.nav]
    return [
        {"label": label, "url": url}
        for (_o, _l, _e, visible), (label, url) in zip(reg.nav, links, strict=True)
        if visible(user)
    ]


def panels_for(user) -> list[str]:
    return [template for _o, template, visible in registry().panels if visible(user)]


def demo_steps() -> list[tuple[int, str, Callable]]:
    return list(registry().demo_steps)
