"""What is owed and when: the signed-cents ledger (the balance is its sum), bills per coverage month,
coverage status, reminders before a due date, late fees, grace periods and termination — and how a
payment plan holds them off (`plan_standing`). A member opens each bill by its coverage month, with
what paid it, and the yearly premium summary for taxes (`bills`). Notices about a bill resolve once
that bill is paid (`paid_notices`)."""
