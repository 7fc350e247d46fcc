"""Service-layer tests: every business rule against a temporary, migrated database."""
