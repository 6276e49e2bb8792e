"""The password rule, one a person can live with: long enough, and not one of the commonest.

No composition puzzles (a capital, a digit, a sign): they make older officials write passwords down
and push everybody to ``Matkhau@1``. What keeps an account safe here is length, the refusal of the
passwords attackers try first (``common_passwords.txt``, shipped in the repository), the login
throttle, and one-time links for resets. The page states the rule (``rule_text``).
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 200
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


class PasswordRefused(ValueError):
    """The message says why, in plain words, for the page."""


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


def rule_text() -> str:
    return _(
        "Mật khẩu cần ít nhất %(n)d ký tự. Không bắt buộc chữ hoa, chữ số hay ký hiệu: một cụm từ dễ nhớ "
        "(ví dụ “mùa thu Tam Đảo 1975”) là tốt nhất. Không dùng mật khẩu quá phổ biến như “12345678” hay "
        "“matkhau123”, và không dùng tên đăng nhập.",
        n=MIN_LENGTH,
    )


def check_password_rule(password: str, confirm: str | None = None, *, avoid: tuple[str | None, ...] = ()) -> None:
    """Raise ``PasswordRefused`` when ``password`` breaks the rule; ``avoid``: the login, the e-mail
    address... (a password equal to one of them, or to its part before ``@``, is refused)."""
    if confirm is not None and password != confirm:
        raise PasswordRefused(_("Hai lần nhập mật khẩu mới không giống nhau."))
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(_("Mật khẩu mới cần ít nhất %(n)d ký tự.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(_("Mật khẩu dài tối đa %(n)d ký tự.", n=MAX_LENGTH))
    normal = _normal(password)
    names = set()
    for value in avoid:
        if value:
            names.add(_normal(value))
            names.add(_normal(value).partition("@")[0])
    if normal in names:
        raise PasswordRefused(_("Mật khẩu mới không được trùng với tên đăng nhập hay thư điện tử."))
    if normal in common_passwords() or len(set(normal)) == 1:
        raise PasswordRefused(
            _("Mật khẩu này quá phổ biến, kẻ gian thường thử nó đầu tiên. Hãy chọn một cụm từ của riêng bạn.")
        )
