"""What every domain uses and that knows no domain: domain errors, money in integer cents, billing
dates, reference numbers, input validators, the audit trail, rate limits, and the shape of a
member-facing message. Imports nothing else from the services."""
