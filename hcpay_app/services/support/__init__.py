"""Contact support: the member's requests (`tickets`) and the staff console, where every action is
authorized for staff only and written to the audit trail."""
