"""Standing arrangements that charge later, as the member sets them up: Automatic Payments
(mandates) and self-service payment plans. What the daily job charges for them is in `jobs`."""
