"""Everything that happens on a date, and bulk work: the daily job (`daily`) and each of its duties
(scheduled charges, bank settlement, Automatic Payments runs and notices, plan installments), the
roster import and demo data. It may import any domain; no service imports it (only the app's
scheduler and the command line do)."""
