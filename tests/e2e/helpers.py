"""Shared steps of the browser tests."""

from tests.factories import PASSWORD


def log_in(page, live_server: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form, the way a person does."""
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập hoặc thư điện tử").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
