"""Shared form pieces: choices, dates and times typed the Vietnamese way, lists of checkboxes.

Dates and times are plain text fields read on the server (``dd/mm/yyyy`` and 24-hour ``HH:MM``), so
what a person types and reads never depends on the browser's language (``<input type=date>`` showed
``mm/dd/yyyy`` and ``08:00 AM`` in an English browser next to the hint "Ví dụ: 31/12/2026"). A small
date picker served by the app (``lms/static/js/datepicker.js``) adds a calendar button; without
JavaScript the field is typed. A list of checkboxes replaces ``<select multiple>`` (which needed
Ctrl held down); ``lms/templates/macros.html: checklist`` draws it with a filter box and a count.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, html_params

from lms.errors import UserError


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms choice objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


# --- dates and times -----------------------------------------------------------------------------

_SEP = r"\s*[/.\-]\s*"
_DMY = re.compile(rf"^(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})\s*(?:[:hH]\s*(\d{1,2})?\s*(?:[:]\s*(\d{1,2}))?)?$")
_DMY_YY = re.compile(rf"^\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}\d{{2}}$")

DATE_EXAMPLE = "31/12/2026"
TIME_EXAMPLE = "14:30"


class DateTextError(UserError, ValueError):
    """A date or time that could not be read; ``str()`` is the message for the person who typed it
    (a ``ValueError`` too: WTForms turns it into the field's error)."""


def parse_date(text: str) -> date:
    """``31/12/2026``, ``1/7/2026``, ``01-07-2026``, ``01.07.2026`` (day first) or ISO ``2026-07-01``.

    Raises ``DateTextError`` with a plain-Vietnamese message (a two-digit year, a day the month
    does not have, the wrong order)."""
    value = " ".join(str(text).split())
    iso = _ISO.match(value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        dmy = _DMY.match(value)
        if not dmy:
            if _DMY_YY.match(value):
                raise DateTextError(_("Hãy ghi năm đủ 4 chữ số, ví dụ %(e)s.", e=DATE_EXAMPLE))
            raise DateTextError(
                _("“%(v)s” không phải là ngày. Hãy nhập ngày/tháng/năm, ví dụ %(e)s.", v=value, e=DATE_EXAMPLE)
            )
        day, month, year = (int(g) for g in dmy.groups())
    if not 1 <= month <= 12:
        raise DateTextError(_("Tháng phải từ 1 đến 12 (nhập ngày trước, tháng sau, ví dụ %(e)s).", e=DATE_EXAMPLE))
    if year < 1900 or year > 2200:
        raise DateTextError(_("Năm %(y)d không hợp lý.", y=year))
    try:
        return date(year, month, day)
    except ValueError:
        raise DateTextError(_("Tháng %(m)d năm %(y)d không có ngày %(d)d.", m=month, y=year, d=day)) from None


def parse_time(text: str) -> time:
    """``14:30``, ``8:05``, ``8h30``, ``8h``, ``14:30:00`` (24-hour)."""
    value = " ".join(str(text).split())
    match = _TIME.match(value)
    if not match or not any(ch in value for ch in ":hH") and len(value) > 2:
        raise DateTextError(
            _("“%(v)s” không phải là giờ. Hãy nhập giờ:phút theo 24 giờ, ví dụ %(e)s.", v=value, e=TIME_EXAMPLE)
        )
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise DateTextError(_("Giờ từ 0 đến 23, phút từ 0 đến 59 (theo 24 giờ, ví dụ %(e)s).", e=TIME_EXAMPLE))
    return time(hour, minute)


def parse_datetime(text: str) -> datetime:
    """A date and a time, ``31/12/2026 14:30`` (or ISO ``2026-12-31T14:30``, as browsers used to send):
    a naive datetime in Vietnam time, as the forms have always given it to the views."""
    value = " ".join(str(text).replace("T", " ", 1).replace(",", " ").split())
    date_part, _sep, time_part = value.partition(" ")
    day = parse_date(date_part)
    if not time_part.strip():
        raise DateTextError(_("Hãy nhập cả giờ sau ngày, ví dụ %(e)s.", e=f"{DATE_EXAMPLE} {TIME_EXAMPLE}"))
    return datetime.combine(day, parse_time(time_part))


class DateTextInput:
    """``<input type="text">`` with the date picker's hooks (``data-datepicker``: ``date`` or
    ``datetime``); the value is what the field formats, or what was typed when it was wrong."""

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        size = 10 if self.kind == "date" else 16
        attrs = {
            "type": "text",
            "name": field.name,
            "value": field._value(),
            "autocomplete": "off",
            "spellcheck": "false",
            "size": size,
            "maxlength": 40,
            "class": f"date-input date-input-{self.kind}",
            "data-datepicker": self.kind,
            "placeholder": "dd/mm/yyyy" if self.kind == "date" else "dd/mm/yyyy hh:mm",
        }
        if field.flags.required:
            attrs["required"] = True
        extra_class = kwargs.pop("class_", None) or kwargs.pop("class", None)
        if extra_class:
            attrs["class"] += f" {extra_class}"
        attrs.update(kwargs)
        return Markup(f"<input {html_params(**attrs)}>")


class _TextDateField(Field):
    kind = "date"
    default_hint = _l("Ngày/tháng/năm, ví dụ %(e)s.", e=DATE_EXAMPLE)

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", self.default_hint)
        kwargs.setdefault("widget", DateTextInput(self.kind))
        super().__init__(label, validators, **kwargs)

    def _parse(self, text: str):
        raise NotImplementedError

    def _format(self, value) -> str:
        raise NotImplementedError

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self._format(self.data) if self.data else ""

    def validate(self, form, extra_validators=()):
        # a date that could not be read says why, not "please enter a date" (DataRequired clears the
        # reading error and puts its own message when ``data`` is None)
        if self.process_errors:
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None  # left empty (or blanks): InputRequired / DataRequired say so
            self.raw_data = []
            return
        try:
            self.data = self._parse(text)
        except DateTextError as exc:
            self.data = None
            raise ValueError(str(exc)) from None


class VNDateField(_TextDateField):
    """A date typed as ngày/tháng/năm (``31/12/2026``, ``1/7/2026``) or ISO (``2026-12-31``);
    ``data`` is a ``date``."""

    kind = "date"

    def _parse(self, text: str) -> date:
        return parse_date(text)

    def _format(self, value) -> str:
        return value.strftime("%d/%m/%Y")


class VNDateTimeField(_TextDateField):
    """A date and a 24-hour time in Vietnam time (``31/12/2026 08:00``; ISO ``2026-12-31T08:00``
    too); ``data`` is a naive ``datetime`` in Vietnam time, like WTForms' ``DateTimeLocalField``."""

    kind = "datetime"
    default_hint = _l("Ngày/tháng/năm và giờ:phút (24 giờ), ví dụ %(e)s.", e=f"{DATE_EXAMPLE} 08:00")

    def _parse(self, text: str) -> datetime:
        return parse_datetime(text)

    def _format(self, value) -> str:
        return value.strftime("%d/%m/%Y %H:%M")


# --- lists of checkboxes -------------------------------------------------------------------------


class ChecklistField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (``macros.checklist`` adds a filter box,
    "chọn tất cả" and a live count). Renders as plain checkboxes on its own too."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
