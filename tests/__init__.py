"""hcpay's test suites: one package, so helpers import by their path (tests.unit.payment_helpers)."""
