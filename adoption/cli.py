"""``flask lms adoption ...`` commands."""

from __future__ import annotations

from flask.cli import AppGroup

adoption_cli = AppGroup("adoption", help="Số liệu sử dụng các ứng dụng (thư công vụ, quản lý văn bản, cổng thông tin).")
