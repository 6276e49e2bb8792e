"""Enumerations stored as strings, each member with its label for people.

A member is written once, with its value and its label (lazy, translated when read)::

    class Level(LabelledEnum):
        TINH = "tinh", _l("Cấp tỉnh")
        HUYEN = "huyen", _l("Cấp huyện")

``Level("tinh")``, ``Level.TINH == "tinh"``, ``Level.TINH.label``, ``Level.choices()`` for forms, and
``str_enum(Level)`` as the column type (the values are stored, not the names).
"""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class LabelledEnum(enum.StrEnum):
    def __new__(cls, value: str, label, description=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        member._description = description
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @property
    def description(self) -> str:
        """A longer explanation, for the members that have one ("" otherwise)."""
        return str(self._description or "")

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def str_enum(enum_cls):
    """The column type of an enum: its values as strings (not a native database enum)."""
    return Enum(
        enum_cls,
        native_enum=False,
        validate_strings=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
    )
