"""Staff second factor (issue 14, point 10): enrolment through a single-use link, a TOTP code after
the password at every staff log-in, each code accepted once, recovery codes spent once, wrong codes
counted toward a lockout that holds under a burst, and unenrolled staff refused."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pyotp
import pytest
from alembic import command
from cryptography.exceptions import InvalidTag
from sqlmodel import Session, func, select

from hcpay_app import migrations
from hcpay_app.__main__ import main
from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import AuditEvent, AuthSession, LoginThrottle, StaffEnrolToken, StaffFactor, StaffRecoveryCode
from hcpay_app.services.accounts import authn, second_factor
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common.errors import AccountLocked, AuthenticationFailed, DomainError, ValidationError
from hcpay_app.services.support import console
from tests.unit.support_helpers import STAFF_PASSWORD, STAFF_USERNAME, make_staff
from tests.unit.test_concurrency import THREADS, together

IP = "10.0.0.5"


def new_staff(session: Session, now: dt.datetime) -> int:
    return console.create_staff(
        session, username=STAFF_USERNAME, email="sam@connector.example", password=STAFF_PASSWORD, now=now
    )


def enrolled_staff(session: Session, now: dt.datetime) -> tuple[int, str, list[str]]:
    user_id = new_staff(session, now)
    token = second_factor.start_enrolment(session, user_id, now=now)
    session.commit()
    shown = second_factor.open_enrolment(session, token=token, now=now)
    codes = second_factor.confirm_enrolment(session, token=token, code=pyotp.TOTP(shown.secret).at(now), ip=IP, now=now)
    return user_id, shown.secret, codes


def password_step(session: Session, now: dt.datetime) -> str:
    with pytest.raises(authn.SecondFactorRequired) as step:
        authn.login(session, username=STAFF_USERNAME, password=STAFF_PASSWORD, ip=IP, now=now)
    return step.value.challenge


def sessions(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(AuthSession)).one()


def test_enrolment_shows_the_secret_once_seals_it_and_gives_ten_recovery_codes(session, now):
    user_id = new_staff(session, now)
    token = second_factor.start_enrolment(session, user_id, now=now)
    session.commit()
    shown = second_factor.open_enrolment(session, token=token, now=now)
    assert shown.username == STAFF_USERNAME
    assert shown.qr_data_uri.startswith("data:image/svg+xml")
    # What the QR code says: the secret, for this login, from this issuer.
    assert shown.provisioning_uri == pyotp.TOTP(shown.secret).provisioning_uri(
        name=STAFF_USERNAME, issuer_name=second_factor.ISSUER
    )
    factor = session.exec(select(StaffFactor)).one()
    sealed = factor.pending_secret_encrypted
    assert shown.secret not in sealed and factor.enrolled_at is None and factor.secret_encrypted is None
    assert crypto.decrypt_totp_secret(sealed, user_id) == shown.secret
    with pytest.raises(InvalidTag):  # bound to its owner: another user id can't open it
        crypto.decrypt_totp_secret(sealed, user_id + 1)

    with pytest.raises(ValidationError) as wrong:
        second_factor.confirm_enrolment(session, token=token, code="000000", ip=IP, now=now)
    assert wrong.value.errors == {"code": second_factor.ENROL_WRONG_CODE}
    codes = second_factor.confirm_enrolment(session, token=token, code=pyotp.TOTP(shown.secret).at(now), ip=IP, now=now)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = session.exec(select(StaffRecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
    assert second_factor.is_enrolled(session, user_id)
    # The link is single-use, and only its hash was kept.
    assert session.exec(select(StaffEnrolToken.token_hash)).one() == crypto.hash_token(token)
    with pytest.raises(DomainError, match="expired or has already been used"):
        second_factor.open_enrolment(session, token=token, now=now)


def test_an_enrolment_link_expires(session, now):
    user_id = new_staff(session, now)
    token = second_factor.start_enrolment(session, user_id, now=now)
    session.commit()
    with pytest.raises(DomainError, match="expired"):
        second_factor.open_enrolment(session, token=token, now=now + second_factor.ENROL_TTL)


def test_staff_who_have_not_enrolled_cannot_log_in(session, now):
    new_staff(session, now)
    with pytest.raises(AuthenticationFailed) as refused:
        authn.login(session, username=STAFF_USERNAME, password=STAFF_PASSWORD, ip=IP, now=now)
    assert refused.value.message == second_factor.NOT_ENROLLED
    assert sessions(session) == 0


def test_a_wrong_staff_password_says_nothing_about_the_second_factor(session, now):
    enrolled_staff(session, now)
    with pytest.raises(AuthenticationFailed) as refused:
        authn.login(session, username=STAFF_USERNAME, password="Wrong-Password-99", ip=IP, now=now)
    assert refused.value.message == authn.LOGIN_FAILED


def test_a_staff_log_in_needs_a_current_code_and_each_code_works_once(session, now):
    user_id, secret, _codes = enrolled_staff(session, now)
    later = now + dt.timedelta(minutes=2)
    challenge = password_step(session, later)
    assert sessions(session) == 0  # the password alone opens nothing

    with pytest.raises(AuthenticationFailed, match="not correct"):
        authn.complete_staff_login(session, challenge=challenge, code="123456", ip=IP, now=later)
    code = pyotp.TOTP(secret).at(later)
    got_user, token = authn.complete_staff_login(session, challenge=challenge, code=code, ip=IP, now=later)
    assert got_user == user_id
    who = authn.resolve(session, token, now=later)
    assert who is not None and who.role == "support"

    # The same code again (a replay, even within its 30 seconds) is refused.
    challenge = password_step(session, later)
    with pytest.raises(AuthenticationFailed):
        authn.complete_staff_login(session, challenge=challenge, code=code, ip=IP, now=later)
    # An older step's code is refused too; the next step's (clock drift +1) is accepted.
    previous = pyotp.TOTP(secret).at(later - dt.timedelta(seconds=30))
    with pytest.raises(AuthenticationFailed):
        authn.complete_staff_login(session, challenge=challenge, code=previous, ip=IP, now=later)
    following = pyotp.TOTP(secret).at(later + dt.timedelta(seconds=30))
    authn.complete_staff_login(session, challenge=challenge, code=following, ip=IP, now=later)
    assert sessions(session) == 2


def test_a_recovery_code_works_once(session, now):
    user_id, _secret, codes = enrolled_staff(session, now)
    challenge = password_step(session, now)
    authn.complete_staff_login(session, challenge=challenge, code=codes[3].upper(), ip=IP, now=now)
    assert second_factor.recovery_codes_left(session, user_id) == 9
    challenge = password_step(session, now)
    with pytest.raises(AuthenticationFailed):
        authn.complete_staff_login(session, challenge=challenge, code=codes[3], ip=IP, now=now)
    [event] = session.exec(select(AuditEvent).where(AuditEvent.detail == "recovery code")).all()
    assert event.action == "login_succeeded"


def test_a_forged_or_stale_challenge_is_refused(session, now):
    user_id, secret, _codes = enrolled_staff(session, now)
    code = pyotp.TOTP(secret).at(now + dt.timedelta(seconds=30))
    forged = f"{user_id}.{int(now.timestamp())}.{'0' * 64}"
    with pytest.raises(AuthenticationFailed, match="took too long"):
        authn.complete_staff_login(session, challenge=forged, code=code, ip=IP, now=now)
    challenge = password_step(session, now)
    with pytest.raises(AuthenticationFailed, match="took too long"):
        authn.complete_staff_login(session, challenge=challenge, code=code, ip=IP, now=now + dt.timedelta(minutes=6))
    assert sessions(session) == 0


def test_wrong_codes_lock_the_log_in_after_the_threshold(session, now):
    _user_id, secret, _codes = enrolled_staff(session, now)
    threshold = get_settings().lockout_threshold
    challenge = password_step(session, now)
    for _ in range(threshold - 1):
        with pytest.raises(AuthenticationFailed):
            authn.complete_staff_login(session, challenge=challenge, code="000000", ip=IP, now=now)
    with pytest.raises(AccountLocked, match="Too many wrong codes"):
        authn.complete_staff_login(session, challenge=challenge, code="000000", ip=IP, now=now)
    right = pyotp.TOTP(secret).at(now + dt.timedelta(seconds=30))
    with pytest.raises(AccountLocked):
        authn.complete_staff_login(session, challenge=challenge, code=right, ip=IP, now=now)
    assert sessions(session) == 0


def test_support_unlock_also_clears_a_second_factor_lockout(session, now):
    user_id, secret, _codes = enrolled_staff(session, now)
    colleague = make_staff(session, now, username="pat.support")
    challenge = password_step(session, now)
    for _ in range(get_settings().lockout_threshold):
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            authn.complete_staff_login(session, challenge=challenge, code="000000", ip=IP, now=now)
    right = pyotp.TOTP(secret).at(now + dt.timedelta(seconds=30))
    with pytest.raises(AccountLocked):
        authn.complete_staff_login(session, challenge=challenge, code=right, ip=IP, now=now)

    console.unlock(session, colleague, user_id=user_id, reason="Locked out after a phone change", now=now)

    logged_in, token = authn.complete_staff_login(session, challenge=challenge, code=right, ip=IP, now=now)
    assert logged_in == user_id and authn.resolve(session, token, now=now) is not None


def test_a_burst_of_wrong_codes_is_counted_exactly(session, db_url, now):
    _user_id, secret, _codes = enrolled_staff(session, now)
    threshold = get_settings().lockout_threshold
    challenge = password_step(session, now)

    def wrong(i: int) -> str:
        with Session(engine_for(db_url), expire_on_commit=False) as own:
            try:
                authn.complete_staff_login(own, challenge=challenge, code=f"{i:06d}", ip=IP, now=now)
            except AccountLocked:
                return "locked"
            except AuthenticationFailed:
                return "failed"
            return "in"

    results, errors = together(THREADS, wrong)
    assert errors == []
    assert sorted(results) == ["failed"] * (threshold - 1) + ["locked"] * (THREADS - threshold + 1)
    session.expire_all()
    failed = session.exec(select(func.count()).where(AuditEvent.action == "staff_code_failed")).one()
    assert failed == threshold
    throttle = session.exec(select(LoginThrottle).where(LoginThrottle.username_key.startswith("2fa:"))).one()
    assert throttle.locked_until is not None and throttle.locked_until > now
    with pytest.raises(AccountLocked):
        authn.complete_staff_login(
            session, challenge=challenge, code=pyotp.TOTP(secret).at(now + dt.timedelta(seconds=30)), ip=IP, now=now
        )


def test_create_staff_prints_an_enrolment_link_and_stores_only_its_hash(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("HCPAY_STAFF_PASSWORD", STAFF_PASSWORD)
    get_settings.cache_clear()
    assert main(["create-staff", "--username", "pat.agent", "--email", "pat@connector.example"]) == 0
    out = capsys.readouterr().out
    link = re.search(r"https?://\S+/staff/enrol\?token=(\S+)", out)
    assert link is not None, out
    token = link.group(1)
    with Session(engine_for(db_url)) as db:
        row = db.exec(select(StaffEnrolToken)).one()
        assert row.token_hash == crypto.hash_token(token) and token not in row.token_hash
        assert row.used_at is None
        # The new login can't get in on its password alone until the link is used.
        with pytest.raises(AuthenticationFailed, match="enrolment link"):
            authn.login(db, username="pat.agent", password=STAFF_PASSWORD, ip=IP, now=row.created_at)
        assert second_factor.open_enrolment(db, token=token, now=row.created_at).username == "pat.agent"


def test_member_log_in_is_unchanged(session, registered_user, now):
    _user_id, token = authn.login(
        session, username=registered_user.username, password=registered_user.password, ip=IP, now=now
    )
    assert authn.resolve(session, token, now=now).role == "member"


def test_migration_0010_adds_the_tables_and_goes_back(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    command.upgrade(migrations.alembic_config(url), "0009")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO user (username, username_key, email, password_hash, role, password_changed_at, created_at) "
            "VALUES ('sam', 'sam', 'sam@x.example', 'h', 'support', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    migrations.upgrade(url)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT username FROM user").fetchall() == [("sam",)]
        assert db.execute("SELECT count(*) FROM stafffactor").fetchone() == (0,)
        db.execute("INSERT INTO staffrecoverycode (user_id, code_hash) VALUES (1, 'x')")
    command.downgrade(migrations.alembic_config(url), "0009")
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not tables & {"stafffactor", "staffenroltoken", "staffrecoverycode"}
        assert db.execute("SELECT username FROM user").fetchall() == [("sam",)]


def test_a_new_enrolment_link_for_a_lost_phone(db_url, monkeypatch, capsys, session, now):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    _user_id, secret, codes = enrolled_staff(session, now)
    assert main(["staff-enrol-link", "--username", "nobody"]) == 2
    assert main(["staff-enrol-link", "--username", STAFF_USERNAME.upper()]) == 0
    token = re.search(r"/staff/enrol\?token=(\S+)", capsys.readouterr().out).group(1)
    shown = second_factor.open_enrolment(session, token=token, now=now)
    assert shown.username == STAFF_USERNAME
    # Until the new authenticator is confirmed, the old one (and its recovery codes) still work.
    later = now + dt.timedelta(minutes=1)
    challenge = password_step(session, later)
    authn.complete_staff_login(session, challenge=challenge, code=pyotp.TOTP(secret).at(later), ip=IP, now=later)
    second_factor.confirm_enrolment(session, token=token, code=pyotp.TOTP(shown.secret).at(later), ip=IP, now=later)
    # Then only the new one does, and the old recovery codes are spent.
    even_later = later + dt.timedelta(minutes=1)
    challenge = password_step(session, even_later)
    for old_code in (pyotp.TOTP(secret).at(even_later), codes[0]):
        with pytest.raises(AuthenticationFailed):
            authn.complete_staff_login(session, challenge=challenge, code=old_code, ip=IP, now=even_later)
    new_code = pyotp.TOTP(shown.secret).at(even_later)
    authn.complete_staff_login(session, challenge=challenge, code=new_code, ip=IP, now=even_later)
