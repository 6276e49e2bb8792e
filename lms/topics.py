"""The four competency topics: the three core applications and IT security."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.enums import LabelledEnum


class Topic(LabelledEnum):
    QLVB = "qlvb", _l("Phần mềm quản lý văn bản và điều hành")
    PORTAL = "portal", _l("Cổng thông tin điện tử thành phần")
    EMAIL = "email", _l("Thư điện tử công vụ")
    SECURITY = "security", _l("An toàn thông tin")

    @property
    def code(self) -> str:
        """Our own competency code prefix (QLVB-01, EMAIL-03 ...)."""
        return self.value.upper()
