"""The kernel's shared UI pieces: date and time fields, lists of checkboxes, number and date
formatting in the reader's language, the field macro, the favicon, the start scripts."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField
from wtforms.validators import DataRequired, InputRequired

from lms.formatting import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    localize_numbers,
)
from lms.forms import (
    ChecklistField,
    DateTextError,
    VNDateField,
    VNDateTimeField,
    choices,
    parse_date,
    parse_datetime,
)

ROOT = Path(__file__).resolve().parent.parent


# --- dates typed the Vietnamese way ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2026", date(2026, 12, 31)),
        ("1/7/2026", date(2026, 7, 1)),
        ("01-07-2026", date(2026, 7, 1)),
        ("01.07.2026", date(2026, 7, 1)),
        (" 5 / 3 / 2026 ", date(2026, 3, 5)),
        ("2026-07-01", date(2026, 7, 1)),  # ISO, as browsers' date pickers sent it
        ("12/01/2026", date(2026, 1, 12)),  # day first, never the American month first
    ],
)
def test_dates_are_read_day_first(app, text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2026", "Tháng 2 năm 2026 không có ngày 31."),
        ("12/31/2026", "Tháng phải từ 1 đến 12 (nhập ngày trước, tháng sau, ví dụ 31/12/2026)."),
        ("1/7/26", "Hãy ghi năm đủ 4 chữ số, ví dụ 31/12/2026."),
        ("ngày mai", "“ngày mai” không phải là ngày. Hãy nhập ngày/tháng/năm, ví dụ 31/12/2026."),
        ("01/07/0999", "Năm 999 không hợp lý."),
    ],
)
def test_a_wrong_date_gets_a_plain_message(app, text, message):
    with app.test_request_context(), pytest.raises(DateTextError) as caught:
        parse_date(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2026 14:30", datetime(2026, 12, 31, 14, 30)),
        ("1/7/2026 8:05", datetime(2026, 7, 1, 8, 5)),
        ("01/07/2026 8h30", datetime(2026, 7, 1, 8, 30)),
        ("01/07/2026 8h", datetime(2026, 7, 1, 8, 0)),
        ("2026-07-01T08:00", datetime(2026, 7, 1, 8, 0)),  # what datetime-local sent
        ("2026-07-01 08:00:00", datetime(2026, 7, 1, 8, 0)),
    ],
)
def test_date_times_are_read_day_first_and_24_hour(app, text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01/07/2026", "Hãy nhập cả giờ sau ngày, ví dụ 31/12/2026 14:30."),
        ("01/07/2026 25:00", "Giờ từ 0 đến 23, phút từ 0 đến 59 (theo 24 giờ, ví dụ 14:30)."),
        ("01/07/2026 8:00 PM", "“8:00 PM” không phải là giờ. Hãy nhập giờ:phút theo 24 giờ, ví dụ 14:30."),
    ],
)
def test_a_wrong_time_gets_a_plain_message(app, text, message):
    with app.test_request_context(), pytest.raises(DateTextError) as caught:
        parse_datetime(text)
    assert str(caught.value) == message


class _Form(FlaskForm):
    class Meta:
        csrf = False

    day = VNDateField("Ngày", validators=[DataRequired("Hãy nhập ngày.")])
    starts = VNDateTimeField("Bắt đầu", validators=[InputRequired("Hãy nhập giờ bắt đầu.")])
    people = ChecklistField("Cán bộ", coerce=int, choices=choices([(1, "Nguyễn Văn An"), (2, "Trần Thị Bình")]))
    agree = BooleanField("Cho phép cán bộ tự đăng ký")


def test_date_fields_are_text_boxes_showing_dd_mm_yyyy(app):
    with app.test_request_context():
        form = _Form(data={"day": date(2026, 7, 1), "starts": datetime(2026, 7, 1, 14, 5)})
        day, starts = str(form.day()), str(form.starts())
    assert 'type="text"' in day and 'value="01/07/2026"' in day and 'data-datepicker="date"' in day
    assert 'type="text"' in starts and 'value="01/07/2026 14:05"' in starts and 'data-datepicker="datetime"' in starts
    assert 'type="date' not in day + starts


def test_date_fields_read_the_form_and_keep_what_was_typed_when_wrong(app):
    with app.test_request_context(method="POST"):
        form = _Form(formdata=MultiDict({"day": "1/7/2026", "starts": "2/7/2026 7h30", "people": ["2"]}))
        assert form.validate(), form.errors
        assert form.day.data == date(2026, 7, 1) and form.starts.data == datetime(2026, 7, 2, 7, 30)
        assert form.people.data == [2]
        wrong = _Form(formdata=MultiDict({"day": "30/02/2026", "starts": ""}))
        assert not wrong.validate()
        assert wrong.day.errors == ["Tháng 2 năm 2026 không có ngày 30."]
        assert wrong.starts.errors == ["Hãy nhập giờ bắt đầu."]
        assert 'value="30/02/2026"' in str(wrong.day())  # what was typed comes back, to be corrected


MACROS = '{% from "macros.html" import field, checklist %}'


def test_the_field_macro_puts_a_checkbox_on_one_line_with_its_label(app):
    with app.test_request_context():
        html = render_template_string(MACROS + "{{ field(form.agree) }}", form=_Form())
    row = re.search(r'<div class="check-row">(.*?)</div>', html, re.S).group(1)
    assert row.index('type="checkbox"') < row.index("<label") and "Cho phép cán bộ tự đăng ký" in row


def test_the_field_macro_shows_the_date_hint_and_ties_it_to_the_box(app):
    with app.test_request_context():
        html = render_template_string(MACROS + "{{ field(form.day) }}", form=_Form())
    assert 'id="day-hint">Ngày/tháng/năm, ví dụ 31/12/2026.</p>' in html
    assert 'aria-describedby="day-hint"' in html


def test_the_checklist_macro_draws_checkboxes_with_labels_and_a_count(app):
    with app.test_request_context():
        form = _Form(data={"people": [2]})
        html = render_template_string(MACROS + "{{ checklist(form.people) }}", form=form)
    assert "<select" not in html and "Ctrl" not in html
    boxes = re.findall(r'<input type="checkbox" name="people" value="(\d)" id="([\w-]+)"( checked)?>', html)
    assert [(v, bool(c)) for v, _id, c in boxes] == [("1", False), ("2", True)]
    for _value, box_id, _checked in boxes:
        assert f'<label for="{box_id}">' in html
    assert "<legend>Cán bộ</legend>" in html
    assert "Đã chọn 1 trên 2." in html  # the count before any script runs
    assert "data-checklist-filter" in html and "hidden" in html  # the filter appears with the script only


# --- numbers and dates in the reader's language -------------------------------------------------


def test_numbers_use_the_locale_marks(app):
    with app.test_request_context():
        with force_locale("vi"):
            assert format_decimal(85.0, 1) == "85,0"
            assert format_decimal(1234.5, 1) == "1.234,5"
            assert format_percent(85.0) == "85,0%"
            assert format_percent(0.855, ratio=True) == "85,5%"
            assert format_decimal(5.0) == "5"
            assert format_decimal(None) == "—"
        with force_locale("en"):
            assert format_decimal(85.0, 1) == "85.0"
            assert format_decimal(1234.5, 1) == "1,234.5"
            assert format_percent(85.0) == "85.0%"
    assert format_decimal(2.5, 1, locale="vi") == "2,5"  # an e-mail in its reader's language


def test_numbers_in_system_text_take_the_locale_marks_and_codes_stay(app):
    text = "score=87.50 ip=127.0.0.1 version 2026.1.3 code A-1.5 at 10:30.5"
    assert localize_numbers(text, locale="vi") == "score=87,50 ip=127.0.0.1 version 2026.1.3 code A-1.5 at 10:30.5"
    assert localize_numbers(text, locale="en") == text


def test_dates_and_times_are_vietnam_time_dd_mm_yyyy_24_hour_in_both_languages(app):
    moment = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)  # 01:30 on 1 January in Vietnam
    with app.test_request_context():
        for locale in ("vi", "en"):
            with force_locale(locale):
                assert format_datetime(moment) == "01/01/2027 01:30"
                assert format_date(moment) == "01/01/2027"
                assert format_time(datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "20:05"
                assert format_date(date(2026, 7, 1)) == "01/07/2026"


def test_the_filters_are_in_jinja(app):
    with app.test_request_context(), force_locale("vi"):
        html = render_template_string(
            "{{ 85.0|percent }} {{ 5.25|decimal }} {{ d|vndate }} {{ m|localtime }} {{ m|localtime('%H:%M') }}",
            d=date(2026, 7, 1),
            m=datetime(2026, 7, 1, 1, 0, tzinfo=UTC),
        )
    assert html == "85,0% 5,25 01/07/2026 01/07/2026 08:00 08:00"


# --- favicon, start scripts ------------------------------------------------------------------------


def test_favicon_is_served_and_linked(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.mimetype == "image/vnd.microsoft.icon" and r.data[:4] == b"\x00\x00\x01\x00"
    r.close()
    page = client.get("/login").text
    assert 'rel="icon" href="/favicon.ico"' in page and "favicon.svg" in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    svg.close()


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_system_packages_waits_for_the_apt_lock(tmp_path):
    """Every apt-get call names the dpkg lock timeout: another apt (automatic updates) holding the
    lock makes the script wait instead of failing at once."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    _fake(bin_dir, "dpkg-query", "exit 1")  # nothing installed
    _fake(bin_dir, "apt-get", f'echo "$*" >> {calls}')
    _fake(bin_dir, "sudo", '"$@"')
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "APT_LOCK_TIMEOUT": "42"}
    subprocess.run(["bash", str(ROOT / "scripts/system-packages.sh")], check=True, env=env, capture_output=True)
    lines = calls.read_text().splitlines()
    assert [line.split()[2] for line in lines] == ["update", "install"]
    assert all(line.startswith("-o DPkg::Lock::Timeout=42 ") for line in lines)


def _serve(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, int, list[str]]:
    """``scripts/serve.sh`` run with a granian that prints its pid and arguments: (the pid started, the
    pid granian ran as, granian's arguments)."""
    (tmp_path / "scripts").mkdir(exist_ok=True)
    (tmp_path / "scripts/serve.sh").write_text((ROOT / "scripts/serve.sh").read_text())
    (tmp_path / ".venv/bin").mkdir(parents=True, exist_ok=True)
    _fake(tmp_path / ".venv/bin", "granian", 'echo "$$ $*"')
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "WORKERS", "THREADS")}
    proc = subprocess.Popen(
        ["bash", str(tmp_path / "scripts/serve.sh"), *args],
        cwd=tmp_path,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    pid, _, argv = out.strip().partition(" ")
    return proc.pid, int(pid), argv.split()


def test_readme_says_how_to_choose_the_port_and_start_sh_honours_it(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "PORT=8080 bash scripts/start.sh" in readme and "HOST=0.0.0.0" in readme
    start = (ROOT / "scripts/start.sh").read_text()
    assert "HOST=${HOST:-127.0.0.1} PORT=${PORT:-5000}" in start
    assert 'HOST="$HOST" PORT="$PORT" bash scripts/serve.sh' in start  # the server command, one place
    _, _, argv = _serve(tmp_path, {"HOST": "0.0.0.0", "PORT": "8080"})
    assert argv[argv.index("--host") + 1] == "0.0.0.0" and argv[argv.index("--port") + 1] == "8080"


def test_serve_sh_is_the_recommended_granian_command_and_becomes_the_server(tmp_path):
    """The defaults are the README's production settings; WORKERS and THREADS size it; more options go
    through before the app; the script execs granian, so the pid started (and its process group,
    which the fault tests kill and the benchmark measures) is the server's."""
    started, ran_as, argv = _serve(tmp_path, {})
    assert ran_as == started
    assert argv[:2] == ["--interface", "wsgi"] and argv[-1] == "wsgi:app"
    value = lambda flag: argv[argv.index(flag) + 1]  # noqa: E731
    assert (value("--host"), value("--port"), value("--workers"), value("--blocking-threads")) == (
        "127.0.0.1",
        "8000",
        "2",
        "4",
    )
    assert "--respawn-failed-workers" in argv and "--no-ws" in argv
    _, _, argv = _serve(tmp_path, {"WORKERS": "3", "THREADS": "6"}, "--access-log", "--log-config", "/tmp/log.json")
    assert (value("--workers"), value("--blocking-threads")) == ("3", "6")
    assert argv[-4:] == ["--access-log", "--log-config", "/tmp/log.json", "wsgi:app"]


# --- the menu in English ---------------------------------------------------------------------------


def test_the_menu_names_pages_in_the_plural_in_english_and_table_headings_stay_singular(app, session):
    """The menu links to lists ("Courses", "Units"); the same Vietnamese word heads a column of one
    value each ("Unit"), so the menu's words carry the context "menu" in the catalog."""
    from lms.auth.models import Role
    from tests.factories import login_as, make_user

    user = make_user(session, Role.IT_STAFF)
    session.commit()
    client = app.test_client()
    login_as(client, user)
    page = client.get("/dashboard?lang=en").text
    nav = page[page.index('class="main-nav"') : page.index("</nav>")]
    links = re.findall(r"<a [^>]*>([^<]+)</a>", nav)
    assert {"Courses", "Units", "Officials"} <= set(links), links
    assert not {"Course", "Quiz", "Unit", "Official"} & set(links), links
    with app.test_request_context("/?lang=en"):
        assert render_template_string('{{ _("Đơn vị") }}/{{ pgettext("menu", "Đơn vị") }}') == "Unit/Units"
