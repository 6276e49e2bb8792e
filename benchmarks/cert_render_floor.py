"""Certificate rendering cost: our path vs. the raw WeasyPrint floor.

    .venv/bin/python benchmarks/cert_render_floor.py [-n 200]

* floor: ``HTML(string=html).write_pdf(stylesheets=[css], font_config=fc)`` on one pre-rendered HTML
  string, with the CSS and FontConfiguration built once and reused (nothing but WeasyPrint);
* ours: ``render_certificate_pdf(data)`` with a different holder and verification URL each time
  (context preparation + NFC + QR code + Jinja + the same WeasyPrint call).

Prints ms/render (mean and median) for both and the ratio ours/floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certificates.codes import make_serial, new_verification_code  # noqa: E402
from certificates.render import (  # noqa: E402
    TEMPLATE_DIR,
    get_renderer,
    harfbuzz_subset_available,
    render_certificate_pdf,
)

NAMES = ["Nguyễn Thị Thủy Hằng", "Trần Văn Minh", "Lê Hoàng Phương Anh", "Đặng Thị Ánh Tuyết"]


def sample(i: int) -> dict:
    return {
        "holder_name": NAMES[i % len(NAMES)],
        "unit_name": "Văn phòng Ủy ban nhân dân huyện Tam Đảo",
        "course_title": "Kỹ năng sử dụng thư điện tử công vụ và hệ thống quản lý văn bản điều hành",
        "score_percent": 80 + i % 20,
        "issued_on": dt.date(2026, 3, 5),
        "expires_on": dt.date(2028, 3, 5) if i % 2 else None,
        "serial": make_serial("VP", 2026, i + 1),
        "verify_url": f"https://hoctap.vinhphuc.gov.vn/xac-minh/{new_verification_code()}",
        "issuer_parent": "Ủy ban nhân dân tỉnh Vĩnh Phúc",
        "issuer_name": "Sở Thông tin và Truyền thông",
        "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "signer_name": "Trần Văn Minh",
        "place": "Vĩnh Phúc",
    }


def timed(fn, n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU milliseconds per call (CPU is steadier on a shared machine)."""
    wall, cpu = [], []
    for i in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="renders per variant (default 200)")
    args = parser.parse_args()

    from weasyprint import HTML

    t0 = time.perf_counter()
    renderer = get_renderer()  # builds Jinja env, FontConfiguration and CSS once
    setup_ms = (time.perf_counter() - t0) * 1000
    html = renderer.html(sample(0))
    css, fc = renderer.stylesheet, renderer.font_config

    def floor(_i: int) -> bytes:
        return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(stylesheets=[css], font_config=fc)

    def ours(i: int) -> bytes:
        return render_certificate_pdf(sample(i))

    first_ms = timed(floor, 1)[0][0]  # warm-up (the first layout loads the fonts into Pango)
    timed(ours, 3)
    floor_wall, floor_cpu = timed(floor, args.n)
    ours_wall, ours_cpu = timed(ours, args.n)
    size = len(ours(0))

    print(f"harfbuzz-subset available: {harfbuzz_subset_available()}")
    print(f"renderer set-up (Jinja + CSS + fonts): {setup_ms:.0f} ms; first render {first_ms:.0f} ms")
    print(f"PDF size: {size / 1024:.1f} KiB; n = {args.n}")
    rows = (
        ("floor (raw WeasyPrint, reused)", floor_wall, floor_cpu),
        ("render_certificate_pdf", ours_wall, ours_cpu),
    )
    for label, wall, cpu in rows:
        print(
            f"{label:31s} wall mean {statistics.mean(wall):6.1f} median {statistics.median(wall):6.1f}"
            f" | CPU mean {statistics.mean(cpu):6.1f} median {statistics.median(cpu):6.1f} ms/render"
        )
    print(
        f"ratio ours/floor: wall mean {statistics.mean(ours_wall) / statistics.mean(floor_wall):.2f}, "
        f"CPU mean {statistics.mean(ours_cpu) / statistics.mean(floor_cpu):.2f}, "
        f"CPU median {statistics.median(ours_cpu) / statistics.median(floor_cpu):.2f}"
    )


if __name__ == "__main__":
    main()
