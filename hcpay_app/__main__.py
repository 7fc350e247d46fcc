"""Operator commands: `python -m hcpay_app <command>`.

migrate               upgrade the database schema to the newest version
setup                 migrate, then load demo data when the database is empty (used by `make run`)
seed-demo             load the demo roster and accounts
import-roster FILE    import a Health Connector roster CSV
run-daily [--date D]  run the daily job for a date (default today), showing the charges' progress
charge-worker         work the charges' task queue (Redis) until stopped: add these on any machine
                      to share the daily job's charges (HCPAY_CHARGE_WORKER_THREADS threads each)
create-staff          create a support-console login (asks for the password, or reads HCPAY_STAFF_PASSWORD)
                      and print its single-use enrolment link for the authenticator app
staff-enrol-link      a new enrolment link for a staff login (lost phone): the old authenticator
                      and recovery codes stop working once the new one is confirmed
make-migration MSG    autogenerate a migration (developers)
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sys
from pathlib import Path

from hcpay_app import clock, migrations
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import second_factor
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.jobs import daily, demo, roster
from hcpay_app.services.support import console


def _seed() -> None:
    with session_scope() as session:
        report = demo.seed(session, now=clock.utcnow(), today=clock.today())
    print(f"demo data: {report.summary()}")
    print(f"ready login: {demo.READY_LOGIN['username']} / {demo.DEMO_PASSWORD}")


def charge_worker() -> int:
    """Work the charges' queue until SIGTERM or SIGINT (then finish the charges in hand)."""
    import signal
    import threading

    from hcpay_app.services.jobs import charge_queue

    if not get_settings().redis_url:
        print("charge-worker needs REDIS_URL: without Redis the daily job charges in-process", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = charge_queue.worker()
    worker.start()
    print(f"charge-worker: {worker.worker_threads} threads on the {charge_queue.QUEUE!r} queue", flush=True)
    stop.wait()
    worker.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m hcpay_app", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate")
    commands.add_parser("setup")
    commands.add_parser("seed-demo")
    importer = commands.add_parser("import-roster")
    importer.add_argument("file", type=Path)
    run_daily = commands.add_parser("run-daily")
    run_daily.add_argument("--date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    commands.add_parser("charge-worker")
    staff = commands.add_parser("create-staff")
    staff.add_argument("--username", required=True)
    staff.add_argument("--email", required=True)
    relink = commands.add_parser("staff-enrol-link")
    relink.add_argument("--username", required=True)
    revision = commands.add_parser("make-migration")
    revision.add_argument("message")
    args = parser.parse_args(argv)

    if args.command == "make-migration":
        migrations.make_revision(args.message)
        return 0
    production = get_settings().is_production
    if args.command == "seed-demo" and production:
        print("seed-demo refuses to run in production: demo logins have published passwords", file=sys.stderr)
        return 2
    migrations.upgrade()
    if args.command == "setup":
        with session_scope() as session:
            empty = demo.is_empty(session)
        if empty and not production:  # demo logins have published passwords
            _seed()
        for summary in daily.catch_up():
            print(summary.line())
    elif args.command == "seed-demo":
        _seed()
    elif args.command == "create-staff":
        password = os.environ.get("HCPAY_STAFF_PASSWORD") or getpass.getpass("Password for the new staff login: ")
        try:
            with session_scope() as session:
                now = clock.utcnow()
                user_id = console.create_staff(
                    session, username=args.username, email=args.email, password=password, now=now
                )
                token = second_factor.start_enrolment(session, user_id, now=now)
                session.commit()
        except ValidationError as exc:
            print("; ".join(exc.errors.values()), file=sys.stderr)
            return 2
        hours = int(second_factor.ENROL_TTL.total_seconds() // 3600)
        print(f"support login {args.username} created")
        print(f"Before the first log-in, open this single-use enrolment link (valid {hours} hours) to add an")
        print(f"authenticator app and get recovery codes: {second_factor.enrol_link(token)}")
    elif args.command == "staff-enrol-link":
        with session_scope() as session:
            now = clock.utcnow()
            user_id = second_factor.staff_user_id(session, args.username)
            if user_id is None:
                print(f"no staff login named {args.username}", file=sys.stderr)
                return 2
            token = second_factor.start_enrolment(session, user_id, now=now)
            session.commit()
        print(f"Single-use enrolment link for {args.username}: {second_factor.enrol_link(token)}")
    elif args.command == "run-daily":
        print(daily.run_daily(args.date, progress=lambda line: print(line, flush=True)).line())
    elif args.command == "charge-worker":
        return charge_worker()
    elif args.command == "import-roster":
        try:
            text = args.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
        with session_scope() as session:
            report = roster.import_roster(session, text, now=clock.utcnow(), today=clock.today())
        print(report.summary())
        return 1 if report.errors else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
