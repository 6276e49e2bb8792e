"""Dashboard panels: each feature registers a template fragment and who sees it."""

from __future__ import annotations

from collections.abc import Callable

_PANELS: list[tuple[int, str, Callable]] = []


def register_panel(template: str, predicate: Callable, order: int = 50) -> None:
    if template not in [t for _, t, _ in _PANELS]:
        _PANELS.append((order, template, predicate))
        _PANELS.sort(key=lambda p: p[0])


def panels_for(user) -> list[str]:
    return [template for _, template, predicate in _PANELS if predicate(user)]


_NAV: list[tuple[int, object, str, Callable]] = []


def register_nav(label, endpoint: str, predicate: Callable, order: int = 50) -> None:
    """A top navigation link contributed by a feature package (label may be lazy-translated)."""
    if endpoint not in [e for _, _, e, _ in _NAV]:
        _NAV.append((order, label, endpoint, predicate))
        _NAV.sort(key=lambda n: n[0])


def nav_for(user) -> list[dict]:
    from flask import url_for

    return [{"label": label, "url": url_for(endpoint)} for _, label, endpoint, pred in _NAV if pred(user)]
