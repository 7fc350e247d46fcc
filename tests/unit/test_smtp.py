"""The outbox really goes out over SMTP, and a dead mail server loses nothing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import os
import re
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import select

from hcpay_app.config import ConfigurationError, get_settings
from hcpay_app.models import NoticeKind, OutboundEmail
from hcpay_app.services.accounts import recovery
from hcpay_app.services.adapters import mailer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


@pytest.fixture
def smtp_port(monkeypatch) -> int:
    port = free_port()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    get_settings.cache_clear()
    return port


@pytest.fixture
def smtp_server(smtp_port):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def queue(session, now, to="renee@example.com", subject="Your Health Connector payment is due") -> None:
    mailer.enqueue(
        session,
        to=to,
        subject=subject,
        body="Hello Renée,\n\nYour premium is due.",
        kind=NoticeKind.PAYMENT_REMINDER,
        now=now,
    )
    session.commit()


def outbox(session) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.exec(select(OutboundEmail).order_by(OutboundEmail.id)).all())


def test_pending_messages_are_sent_and_marked(session, now, smtp_server):
    queue(session, now)
    queue(session, now, to="sam@example.com", subject="Réglé: your payment went through")
    later = now + dt.timedelta(minutes=1)

    assert mailer.deliver_pending(session, now=later) == 2

    assert [(m.sent_at, m.attempts, m.last_error) for m in outbox(session)] == [(later, 1, None), (later, 1, None)]
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["renee@example.com"], ["sam@example.com"]]
    first, second = smtp_server.messages()
    assert first["Subject"] == "Your Health Connector payment is due"
    assert second["Subject"] == "Réglé: your payment went through"
    assert first["To"] == "renee@example.com"
    assert first["From"] == "Health Connector Payments <payments@hcpay.example>"
    body = first.get_content()
    assert "Hello Renée" in body and "We will never ask for your password" in body

    assert mailer.deliver_pending(session, now=later) == 0  # nothing is sent twice
    assert len(smtp_server.envelopes) == 2


def test_a_service_email_reaches_the_server(session, registered_user, now, smtp_server):
    recovery.request_password_reset(session, identifier="renee.oneil", ip="192.0.2.1", now=now)
    sent = mailer.deliver_pending(session, now=now)
    assert sent == 3  # verification code, account ready, reset link
    subjects = [m["Subject"] for m in smtp_server.messages()]
    assert subjects[-1] == "Reset your Health Connector password"
    assert smtp_server.envelopes[-1].rcpt_tos == ["Renee.ONeil@example.com"]
    delivered = smtp_server.messages()
    token = re.search(r"/reset-password\?token=([A-Za-z0-9_\-]+)", delivered[-1].get_content()).group(1)
    code = re.search(r"verification code is ([0-9]{6})", delivered[0].get_content()).group(1)
    # Once delivered, the outbox keeps the messages without the link's token or the code.
    kept = "\n".join(m.body for m in outbox(session))
    assert token not in kept and code not in kept
    assert "token=[removed after delivery]" in kept and "verification code is [removed after delivery]" in kept


def test_server_down_keeps_the_message_queued(session, now, smtp_port):
    queue(session, now)  # nothing is listening on smtp_port

    assert mailer.deliver_pending(session, now=now) == 0

    [message] = outbox(session)
    assert (message.sent_at, message.attempts, message.last_error) == (None, 1, "ConnectionRefusedError")
    assert mailer.deliver_pending(session, now=now) == 0
    assert outbox(session)[0].attempts == 2


def test_retries_stop_after_five_attempts_and_resume_when_the_server_is_back(session, now, smtp_port):
    queue(session, now, to="gives-up@example.com")
    for _ in range(7):
        mailer.deliver_pending(session, now=now)
    assert outbox(session)[0].attempts == mailer.MAX_ATTEMPTS
    queue(session, now, to="later@example.com")
    mailer.deliver_pending(session, now=now)  # fails once more for the new message only

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert mailer.deliver_pending(session, now=now) == 1
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in recorder.envelopes] == [["later@example.com"]]
    gave_up, delivered = outbox(session)
    assert (gave_up.sent_at, gave_up.attempts) == (None, mailer.MAX_ATTEMPTS)
    assert (delivered.sent_at, delivered.attempts) == (now, 2)


def test_without_smtp_the_outbox_is_left_alone(session, now):
    assert get_settings().smtp_host is None
    queue(session, now)
    assert mailer.deliver_pending(session, now=now) == 0
    assert outbox(session)[0].attempts == 0


@pytest.mark.skipif(
    os.environ.get("HCPAY_TEST_DATABASE") != "postgresql",
    reason="row locks are PostgreSQL's; the SQLite mode runs a single backend worker",
)
def test_several_workers_delivering_at_once_send_each_message_once(session, now, smtp_server, db_url):
    """The scale-out mode runs an outbox worker in every backend process: each message is claimed by one."""
    import threading

    from sqlmodel import Session

    from hcpay_app.db import engine_for

    for n in range(12):
        queue(session, now, to=f"member{n}@example.com")
    start = threading.Barrier(3, timeout=30)
    sent, errors = [], []

    def worker() -> None:
        start.wait()
        try:
            with Session(engine_for(db_url), expire_on_commit=False) as own:
                sent.append(mailer.deliver_pending(own, now=now))
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sum(sent) == 12
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == sorted(f"member{n}@example.com" for n in range(12))
    assert all(m.attempts == 1 and m.sent_at == now for m in outbox(session))


def _self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 signed by itself, as a relay on a private CA would present."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hcpay test relay")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "relay.pem", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_relay(smtp_port, monkeypatch, tmp_path):
    """A relay that requires STARTTLS, with a certificate no public CA signed."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    get_settings.cache_clear()
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=smtp_port, tls_context=context, require_starttls=True)
    controller.start()
    try:
        yield recorder, cert
    finally:
        controller.stop()


def test_starttls_refuses_a_relay_whose_certificate_it_cannot_verify(session, now, tls_relay):
    recorder, _cert = tls_relay
    queue(session, now)
    assert mailer.deliver_pending(session, now=now) == 0
    [message] = outbox(session)
    assert message.sent_at is None and message.last_error == "SSLCertVerificationError"
    assert recorder.envelopes == []


def test_starttls_delivers_through_a_relay_signed_by_the_configured_ca(session, now, tls_relay, monkeypatch):
    recorder, cert = tls_relay
    monkeypatch.setenv("SMTP_CA_FILE", cert)
    get_settings.cache_clear()
    queue(session, now)
    assert mailer.deliver_pending(session, now=now) == 1
    assert [e.rcpt_tos for e in recorder.envelopes] == [["renee@example.com"]]


def test_a_ca_file_that_is_not_there_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("SMTP_CA_FILE", str(tmp_path / "missing.pem"))
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="SMTP_CA_FILE"):
        get_settings()
    monkeypatch.delenv("SMTP_CA_FILE")
    get_settings.cache_clear()
