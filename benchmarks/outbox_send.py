"""The outbox sends 30,000 invitations through a local SMTP server, and survives a kill halfway.

    .venv/bin/python benchmarks/outbox_send.py [-n 30000] [--database-url postgresql+psycopg://...]

1. A scratch database (temporary SQLite file, or a scratch database on the PostgreSQL server of
   ``--database-url``/``DATABASE_URL``) gets ``n`` real invitation e-mails in its outbox (composed by
   ``lms.auth.tokens``, as an import of ``n`` officials queues them).
2. A real SMTP server (aiosmtpd, in its own process, on 127.0.0.1) records every message it accepts.
3. A sender process runs what ``flask lms mail send`` runs (``send_pending``, 1,000 messages a run,
   runs back to back) and is killed with SIGKILL once the server has half of them; a new sender is
   started and finishes. A message left "sending" by the killed one is released after
   ``--sending-timeout`` seconds (production: 10 minutes).
4. Prints messages per second (the whole run, and the second sender alone), then checks: every
   outbox row sent, every message received at least once, and how many were received twice (the
   Message-ID names the outbox row, so a second copy is recognisable).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the SMTP server process -----------------------------------------------------------------------
def serve(port: int, log_path: str) -> None:
    from aiosmtpd.controller import Controller

    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process

    class Recorder:
        async def handle_DATA(self, server, session, envelope):
            found = re.search(rb"^Message-ID: *<([^>]*)>", envelope.content, re.M | re.I)
            log.write((found.group(1).decode() if found else "?") + "\n")
            return "250 OK"

    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


# -- the sender process ----------------------------------------------------------------------------
def send(url: str, port: int, timeout_s: float) -> None:
    from datetime import timedelta

    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from lms import create_app
    from lms.extensions import db
    from lms.mail.models import OutboxMessage, OutboxState
    from lms.mail.sender import SmtpConfig, send_pending
    from lms.time import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" * 8, "INSTANCE_DIR": tempfile.mkdtemp()})
    config = SmtpConfig(host="127.0.0.1", port=port, mail_from="taphuan@bench.gov.vn", timeout=10)
    with app.app_context():
        factory = sessionmaker(bind=db.engine)
        while True:
            report = send_pending(factory, utcnow(), config, limit=1_000, sending_timeout=timedelta(seconds=timeout_s))
            if report.sent or report.released:
                continue
            with factory() as s:
                left = s.scalar(
                    select(func.count()).where(OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
                )
            if not left:
                return
            time.sleep(0.5)


# -- the run ---------------------------------------------------------------------------------------
def fill(url: str, n: int) -> None:
    from flask_migrate import upgrade

    from lms import create_app
    from lms.auth.tokens import _InvitationLetter, new_link_token
    from lms.extensions import db
    from lms.time import utcnow

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-" * 8,
            "INSTANCE_DIR": tempfile.mkdtemp(),
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        upgrade(revision="heads")
        letter, now = _InvitationLetter(), utcnow()
        for start in range(0, n, 1_000):
            people = [
                (f"cb{i:06d}@bench.gov.vn", f"cb{i:06d}", f"Nguyễn Văn Thử {i}", new_link_token())
                for i in range(start, min(n, start + 1_000))
            ]
            letter.queue(db.session, people, now)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--sending-timeout", type=float, default=5.0)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--send", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(int(args.serve[0]), args.serve[1])
    if args.send:
        return send(args.send[0], int(args.send[1]), float(args.send[2]))

    workdir = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    drop = None
    if args.database_url.startswith("postgresql"):
        from benchmarks.accounts_import import scratch_postgres

        url, drop = scratch_postgres(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    else:
        url = f"sqlite:///{workdir}/bench.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    received = workdir / "received.log"
    port = free_port()
    me = [sys.executable, __file__]
    server = sender = None
    try:
        t = time.perf_counter()
        fill(url, args.n)
        print(f"{args.n} invitations queued in {time.perf_counter() - t:.1f} s")
        server = subprocess.Popen([*me, "--serve", str(port), str(received)], env=env)
        time.sleep(1.5)
        start = time.perf_counter()
        sender = subprocess.Popen([*me, "--send", url, str(port), str(args.sending_timeout)], env=env)
        while len(lines(received)) < args.n // 2:
            if sender.poll() is not None:
                raise SystemExit("the sender ended before half of the messages")
            time.sleep(0.05)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        at_kill, killed_at = len(lines(received)), time.perf_counter()
        print(f"first sender killed (SIGKILL) after {killed_at - start:.1f} s, {at_kill} messages received")
        sender = subprocess.Popen([*me, "--send", url, str(port), str(args.sending_timeout)], env=env)
        restarted = time.perf_counter()
        sender.wait(timeout=3_600)
        end = time.perf_counter()
        import resource

        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)  # both senders (the server still runs)
        time.sleep(0.5)
        got = lines(received)
        ids = Counter((re.search(r"outbox(\d+)\b", g) or re.search(r"(.*)", g)).group(1) for g in got)
        twice = sum(1 for c in ids.values() if c > 1)
        print(
            f"second sender: {len(got) - at_kill} messages in {end - restarted:.1f} s "
            f"({(len(got) - at_kill) / (end - restarted):.0f} messages/s, process start and the "
            f"{args.sending_timeout:.0f} s wait for a message left 'sending' included)"
        )
        print(f"whole run: {len(got)} messages in {end - start:.1f} s ({len(got) / (end - start):.0f} messages/s)")
        senders_cpu = cpu.ru_utime + cpu.ru_stime
        print(f"CPU of the two senders: {senders_cpu:.1f} s ({1000 * senders_cpu / len(got):.1f} ms per message)")
        os.environ.pop("DATABASE_URL", None)
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            states = dict(conn.execute(text("SELECT state, count(*) FROM outbox_message GROUP BY state")).all())
        engine.dispose()
        print(f"outbox rows by state: {states}")
        print(f"distinct messages received: {len(ids)} of {args.n}; lost: {args.n - len(ids)}; received twice: {twice}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 CPUs)")
    finally:
        for proc in (sender, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
