"""Every route of the portal, in one place."""

LOGIN = "/"
REGISTER = "/register"
FORGOT_PASSWORD = "/forgot-password"
FORGOT_USERNAME = "/forgot-username"
RESET_PASSWORD = "/reset-password"
DASHBOARD = "/dashboard"
HISTORY = "/history"
PAYMENT = "/payment"  # ?reference=HC-…: one payment's status page
BILL = "/bill"  # ?month=YYYY-MM: one coverage month's bill
PAY = "/pay"
HELP = "/help"
SETTINGS = "/settings"
AUTOPAY = "/settings/autopay"
NOTIFICATIONS = "/notifications"
PAYMENT_PLAN = "/payment-plan"
SUPPORT = "/support"  # contact support and "My requests"
CONSOLE = "/console"  # staff only
GUEST_PAY = "/guest-pay"
DEV_MAILBOX = "/dev/mailbox"
STAFF_ENROL = "/staff/enrol"  # ?token=…: the single-use link create-staff prints

# Pages a member must be logged in to see; the only places `next=` may send them after log-in.
PROTECTED = frozenset({DASHBOARD, HISTORY, PAYMENT, BILL, PAY, SETTINGS, AUTOPAY, NOTIFICATIONS, PAYMENT_PLAN, SUPPORT})

# Downloads, served over plain HTTP and authenticated by the session cookie.
RECEIPT = "/documents/receipt"  # /{reference}
STATEMENT = "/documents/statement"  # ?month=YYYY-MM
HISTORY_CSV = "/documents/history.csv"  # ?start=YYYY-MM-DD&end=YYYY-MM-DD
BILL_PDF = "/documents/bill"  # ?month=YYYY-MM
PREMIUM_SUMMARY = "/documents/premium-summary"  # ?year=YYYY: the yearly premium summary for taxes
# A guest's receipt: no session; the short-lived token in the path opens that one payment only.
GUEST_RECEIPT = "/documents/guest-receipt"  # /{token}


def safe_next(candidate: object, role: str = "member") -> str:
    """Where to go after log-in: a known page for the role, never an outside URL."""
    if role == "support":
        return CONSOLE
    return candidate if isinstance(candidate, str) and candidate in PROTECTED else DASHBOARD
