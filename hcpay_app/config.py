"""Settings read from the environment, with safe local defaults.

Secret keys come from the environment; outside production they are generated on first use into a
local, git-ignored file so `make run` works on a fresh clone. Production refuses to start without
them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import ipaddress
import json
import os
import re
import secrets
from pathlib import Path

from hcpay_app.i18n.message import N_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = ("HCPAY_SSN_KEY", "HCPAY_INDEX_KEY", "HCPAY_CODE_KEY")
SESSION_COOKIE = "hcpay_session"


ENVIRONMENTS = ("development", "test", "production")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The reverse proxy runs on the same host as the app, which listens on loopback (README, production).
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1/128")

# Sandbox contact details (made up, in the style of the Massachusetts Health Connector's): a real
# deployment sets its own. Phone numbers use the 555-01xx range reserved for fiction.
DEFAULT_SUPPORT_PHONE = "1-877-555-0142"
DEFAULT_SUPPORT_TTY = "711"
# Marked for the catalogs: the default hours are shown in the member's language (services.common.contact).
DEFAULT_SUPPORT_HOURS = N_("Monday to Friday, 8 a.m. to 6 p.m. Eastern time")
DEFAULT_INTERPRETER_LINE = "1-877-555-0143"
# Walk-in centers: one per ";", each "town|street address|hours".
DEFAULT_WALK_IN_CENTRES = (
    "Boston|200 Tremont Street, 2nd floor, Boston, MA 02116|Monday to Friday, 9 a.m. to 5 p.m.;"
    "Worcester|50 Front Street, Worcester, MA 01608|Monday to Friday, 9 a.m. to 5 p.m.;"
    "Springfield|1500 Main Street, Springfield, MA 01103|Monday to Friday, 9 a.m. to 5 p.m."
)


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable portal."""


def _readable_file(name: str) -> str | None:
    path = os.environ.get(name) or None
    if path is not None and not os.path.isfile(path):
        raise ConfigurationError(f"{name} names {path!r}, which is not a readable file")
    return path


def _networks(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of IP addresses or networks (CIDR), checked; unset means `default`."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigurationError(f"{name}: {item!r} is not an IP address or network") from None
    return tuple(networks)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every tunable of the portal. Durations are in seconds."""

    env: str
    database_url: str
    redis_url: str | None
    base_url: str
    time_zone: str
    ssn_key: bytes
    index_key: bytes
    code_key: bytes
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_ca_file: str | None  # CA bundle the relay's certificate must chain to (default: the system's)
    mail_from: str
    cors_origins: tuple[str, ...]
    bcrypt_cost: int
    lockout_threshold: int
    lockout_window: int
    lockout_duration: int
    bcrypt_queue: int  # log-ins and sign-ups that may wait for a bcrypt slot; more are told to try again
    logins_per_address_per_minute: int
    logins_per_minute: int  # for the whole portal: a flood is absorbed, not served
    declines_per_session: int  # card testing: declined payments or card checks before refusing
    declines_per_account_per_hour: int
    declines_per_address_per_hour: int
    declines_per_card_per_day: int
    session_idle: int
    session_absolute: int
    purge_after_days: int  # expired sign-ups, reset links, ended sessions and sent mail bodies are kept this long
    otp_ttl: int
    otp_max_tries: int
    otp_resend_cooldown: int
    otp_max_sends: int
    reset_ttl: int
    registration_attempts_per_hour: int
    recovery_requests_per_hour: int
    min_subscriber_age: int
    invoice_issue_day: int
    invoice_due_day: int
    min_days_to_pay: int
    bank_settle_business_days: int
    late_fee_cents: int
    late_fee_after_days: int
    subsidized_grace_months: int
    unsubsidized_grace_days: int
    termination_warning_days: int
    autopay_retry_days: tuple[int, ...]
    autopay_notice_days: int
    card_expiry_notice_days: int
    plan_min_installment_cents: int
    tickets_per_day: int
    daily_job_hour: int
    # Tests and demos only: the moment the clock starts at, and the real moment it read that.
    clock_start: dt.datetime | None = None
    clock_anchor: dt.datetime | None = None
    # How members reach people (services/common/contact.py turns these into what they read).
    support_phone: str = DEFAULT_SUPPORT_PHONE
    support_tty: str = DEFAULT_SUPPORT_TTY
    support_hours: str = DEFAULT_SUPPORT_HOURS
    interpreter_line: str = DEFAULT_INTERPRETER_LINE
    walk_in_centres: str = DEFAULT_WALK_IN_CENTRES
    support_reply_business_days: int = 1
    guest_receipt_ttl: int = 30 * 60
    # Money going back (issue 18). A terminated member's remaining credit is refunded this many
    # days after coverage ended; the sandbox's dispute test cards are disputed this many days after
    # a charge, and the processor decides the dispute this many days after it opened; the dispute
    # fee passed on to the member (0: none).
    auto_refund_after_days: int = 30
    dispute_after_days: int = 7
    dispute_decided_after_days: int = 30
    dispute_fee_cents: int = 0
    # The sandbox processor's network (services/adapters/sandbox_network.py), ideal unless set.
    sandbox_latency_ms: int = 0
    sandbox_jitter_ms: int = 0
    sandbox_rate_limit: int = 0
    sandbox_timeout_rate: float = 0.0
    sandbox_seed: int | None = None
    # The charges' task queue (services/jobs/charge_queue.py): charges a second across every
    # worker (0: no limit; keep it below the processor's), threads per worker process and in the
    # daily job itself (0: leave the work to `charge-worker` processes), and the Redis broker's
    # heartbeat (a worker silent this long is dead; its messages go to others) and upkeep rate.
    # processor_calls: processor calls in flight at once per process (a chunk's calls share them).
    charge_rate_limit: int = 0
    charge_worker_threads: int = 8
    processor_calls: int = 32
    job_worker_threads: int = 8
    queue_heartbeat_ms: int = 60_000
    queue_maintenance_chance: int = 1000

    # Where Reflex binds the backend (`reflex run --backend-host` sets REFLEX_BACKEND_HOST).
    backend_host: str = "0.0.0.0"
    # The peers (addresses or networks) whose X-Forwarded-For is believed when
    # REFLEX_TRUSTED_PROXY_HOPS is set: the reverse proxy. Anyone else is keyed on its own address.
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def mailbox_enabled(self) -> bool:
        """The development mailbox shows every code and reset link: only in development or test,
        and only while the server listens on loopback alone."""
        return self.env in ("development", "test") and self.backend_host in LOOPBACK_HOSTS


def _secrets_file() -> Path:
    return Path(os.environ.get("HCPAY_SECRETS_FILE", PROJECT_ROOT / ".hcpay_secrets.json"))


def _load_keys(env: str) -> dict[str, bytes]:
    """Return the three 32-byte keys from the environment or the local secrets file."""
    given = {name: os.environ.get(name) for name in SECRET_NAMES}
    if all(given.values()):
        return {name: base64.urlsafe_b64decode(value) for name, value in given.items()}
    if env == "production":
        missing = ", ".join(name for name, value in given.items() if not value)
        raise ConfigurationError(f"production needs these secret keys in the environment: {missing}")
    path = _secrets_file()
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if not all(stored.get(name) for name in SECRET_NAMES):
        for name in SECRET_NAMES:
            stored.setdefault(name, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
    return {name: base64.urlsafe_b64decode(given[name] or stored[name]) for name in SECRET_NAMES}


def _clock_setting(name: str, env: str, time_zone: str) -> dt.datetime | None:
    """An aware UTC moment from an ISO 8601 value (naive means portal time) or Unix seconds."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if env == "production":
        raise ConfigurationError(f"{name} moves the portal's clock: production runs on the real time only")
    try:
        if re.fullmatch(r"\d+(\.\d+)?", raw):
            return dt.datetime.fromtimestamp(float(raw), dt.UTC)
        moment = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an ISO 8601 date and time or Unix seconds, not {raw!r}") from exc
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo(time_zone))
    return moment.astimezone(dt.UTC)


def load_settings() -> Settings:
    """Build settings from the current environment."""
    env = os.environ.get("HCPAY_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"HCPAY_ENV must be one of {', '.join(ENVIRONMENTS)}; {env!r} is not")
    keys = _load_keys(env)
    smtp_host = os.environ.get("SMTP_HOST") or None
    if env == "production" and not smtp_host:
        raise ConfigurationError("production needs SMTP_HOST (and SMTP_PORT, SMTP_USER, SMTP_PASSWORD)")
    default_db = f"sqlite:///{PROJECT_ROOT / 'hcpay.db'}"
    time_zone = os.environ.get("HCPAY_TIME_ZONE", "America/New_York")
    origins = os.environ.get("HCPAY_CORS_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000")
    return Settings(
        env=env,
        backend_host=os.environ.get("REFLEX_BACKEND_HOST", "0.0.0.0"),
        database_url=os.environ.get("DATABASE_URL", default_db),
        # Set: Reflex keeps member state in Redis and runs several backend workers (scale-out mode).
        redis_url=os.environ.get("REDIS_URL") or None,
        base_url=os.environ.get("HCPAY_BASE_URL", "http://localhost:3000").rstrip("/"),
        time_zone=time_zone,
        ssn_key=keys["HCPAY_SSN_KEY"],
        index_key=keys["HCPAY_INDEX_KEY"],
        code_key=keys["HCPAY_CODE_KEY"],
        smtp_host=smtp_host,
        smtp_port=_int("SMTP_PORT", 587),
        smtp_user=os.environ.get("SMTP_USER") or None,
        smtp_password=os.environ.get("SMTP_PASSWORD") or None,
        smtp_starttls=os.environ.get("SMTP_STARTTLS", "true" if env == "production" else "false") == "true",
        smtp_ca_file=_readable_file("SMTP_CA_FILE"),
        mail_from=os.environ.get("HCPAY_MAIL_FROM", "Health Connector Payments <payments@hcpay.example>"),
        cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        bcrypt_cost=_int("HCPAY_BCRYPT_COST", 12),
        lockout_threshold=_int("HCPAY_LOCKOUT_THRESHOLD", 5),
        lockout_window=_int("HCPAY_LOCKOUT_WINDOW", 15 * 60),
        lockout_duration=_int("HCPAY_LOCKOUT_DURATION", 15 * 60),
        bcrypt_queue=_int("HCPAY_BCRYPT_QUEUE", 3),
        logins_per_address_per_minute=_int("HCPAY_LOGINS_PER_ADDRESS_PER_MINUTE", 30),
        logins_per_minute=_int("HCPAY_LOGINS_PER_MINUTE", 600),
        declines_per_session=_int("HCPAY_DECLINES_PER_SESSION", 3),
        declines_per_account_per_hour=_int("HCPAY_DECLINES_PER_ACCOUNT_PER_HOUR", 5),
        declines_per_address_per_hour=_int("HCPAY_DECLINES_PER_ADDRESS_PER_HOUR", 10),
        declines_per_card_per_day=_int("HCPAY_DECLINES_PER_CARD_PER_DAY", 3),
        session_idle=_int("HCPAY_SESSION_IDLE", 15 * 60),
        session_absolute=_int("HCPAY_SESSION_ABSOLUTE", 12 * 3600),
        purge_after_days=_int("HCPAY_PURGE_AFTER_DAYS", 30),
        otp_ttl=_int("HCPAY_OTP_TTL", 10 * 60),
        otp_max_tries=_int("HCPAY_OTP_MAX_TRIES", 5),
        otp_resend_cooldown=_int("HCPAY_OTP_RESEND_COOLDOWN", 60),
        otp_max_sends=_int("HCPAY_OTP_MAX_SENDS", 5),
        reset_ttl=_int("HCPAY_RESET_TTL", 30 * 60),
        registration_attempts_per_hour=_int("HCPAY_REGISTRATION_ATTEMPTS_PER_HOUR", 10),
        recovery_requests_per_hour=_int("HCPAY_RECOVERY_REQUESTS_PER_HOUR", 5),
        min_subscriber_age=_int("HCPAY_MIN_SUBSCRIBER_AGE", 18),
        # Health Connector billing: the invoice for a coverage month is issued on the 1st of the
        # month before and due on the 23rd of the month before.
        invoice_issue_day=_int("HCPAY_INVOICE_ISSUE_DAY", 1),
        invoice_due_day=_int("HCPAY_INVOICE_DUE_DAY", 23),
        # A bill is never due sooner than this many days after it is issued (enrollment, catch-up).
        min_days_to_pay=_int("HCPAY_MIN_DAYS_TO_PAY", 10),
        bank_settle_business_days=_int("HCPAY_BANK_SETTLE_BUSINESS_DAYS", 2),
        late_fee_cents=_int("HCPAY_LATE_FEE_CENTS", 2500),
        late_fee_after_days=_int("HCPAY_LATE_FEE_AFTER_DAYS", 15),
        subsidized_grace_months=_int("HCPAY_SUBSIDIZED_GRACE_MONTHS", 3),
        unsubsidized_grace_days=_int("HCPAY_UNSUBSIDIZED_GRACE_DAYS", 30),
        termination_warning_days=_int("HCPAY_TERMINATION_WARNING_DAYS", 14),
        autopay_retry_days=tuple(int(d) for d in os.environ.get("HCPAY_AUTOPAY_RETRY_DAYS", "3,7").split(",") if d),
        autopay_notice_days=_int("HCPAY_AUTOPAY_NOTICE_DAYS", 3),
        card_expiry_notice_days=_int("HCPAY_CARD_EXPIRY_NOTICE_DAYS", 30),
        plan_min_installment_cents=_int("HCPAY_PLAN_MIN_INSTALLMENT_CENTS", 2500),
        # Support requests a member may open per portal-zone calendar day.
        tickets_per_day=_int("HCPAY_TICKETS_PER_DAY", 5),
        daily_job_hour=_int("HCPAY_DAILY_JOB_HOUR", 6),
        support_phone=os.environ.get("HCPAY_SUPPORT_PHONE") or DEFAULT_SUPPORT_PHONE,
        support_tty=os.environ.get("HCPAY_SUPPORT_TTY", DEFAULT_SUPPORT_TTY).strip(),  # "" for none
        support_hours=os.environ.get("HCPAY_SUPPORT_HOURS") or DEFAULT_SUPPORT_HOURS,
        interpreter_line=os.environ.get("HCPAY_INTERPRETER_LINE") or DEFAULT_INTERPRETER_LINE,
        walk_in_centres=os.environ.get("HCPAY_WALK_IN_CENTRES", DEFAULT_WALK_IN_CENTRES),
        # How soon support answers a request, in business days (Help and the acknowledgment say it).
        support_reply_business_days=max(_int("HCPAY_SUPPORT_REPLY_BUSINESS_DAYS", 1), 1),
        # How long a guest's receipt link works after the payment (seconds).
        guest_receipt_ttl=_int("HCPAY_GUEST_RECEIPT_TTL", 30 * 60),
        auto_refund_after_days=max(_int("HCPAY_AUTO_REFUND_AFTER_DAYS", 30), 0),
        dispute_after_days=max(_int("HCPAY_DISPUTE_AFTER_DAYS", 7), 0),
        dispute_decided_after_days=max(_int("HCPAY_DISPUTE_DECIDED_AFTER_DAYS", 30), 1),
        dispute_fee_cents=max(_int("HCPAY_DISPUTE_FEE_CENTS", 0), 0),
        sandbox_latency_ms=max(_int("HCPAY_SANDBOX_LATENCY_MS", 0), 0),
        sandbox_jitter_ms=max(_int("HCPAY_SANDBOX_JITTER_MS", 0), 0),
        sandbox_rate_limit=max(_int("HCPAY_SANDBOX_RATE_LIMIT", 0), 0),
        sandbox_timeout_rate=min(max(float(os.environ.get("HCPAY_SANDBOX_TIMEOUT_RATE") or 0), 0.0), 1.0),
        sandbox_seed=_int("HCPAY_SANDBOX_SEED", 0) if os.environ.get("HCPAY_SANDBOX_SEED") else None,
        charge_rate_limit=max(_int("HCPAY_CHARGE_RATE_LIMIT", 0), 0),
        charge_worker_threads=max(_int("HCPAY_CHARGE_WORKER_THREADS", 8), 1),
        processor_calls=max(_int("HCPAY_PROCESSOR_CALLS", 32), 1),
        job_worker_threads=max(_int("HCPAY_JOB_WORKER_THREADS", 8), 0),
        queue_heartbeat_ms=max(_int("HCPAY_QUEUE_HEARTBEAT_MS", 60_000), 1000),
        queue_maintenance_chance=min(max(_int("HCPAY_QUEUE_MAINTENANCE_CHANCE", 1000), 1), 1_000_000),
        clock_start=_clock_setting("HCPAY_CLOCK_START", env, time_zone),
        clock_anchor=_clock_setting("HCPAY_CLOCK_ANCHOR", env, time_zone),
        trusted_proxies=_networks("HCPAY_TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES),
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (call `get_settings.cache_clear()` after changing the environment)."""
    return load_settings()
