"""bills with their tax credit, and notices that link and resolve

The roster may give an account's full premium and tax credit; each bill keeps them as they were
when it was issued. A notice names the page that acts on it and, for a past-due notice, the bill it
is about, so it resolves once that bill is paid. Existing rows get NULL (or an empty link).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 04:10:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NOTICE_INVOICE_FK = "fk_notification_invoice_id"  # named: SQLite's batch mode needs a name to drop it


def upgrade() -> None:
    with op.batch_alter_table("billingaccount", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_premium_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tax_credit_cents", sa.Integer(), nullable=True))
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_premium_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tax_credit_cents", sa.Integer(), nullable=True))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_foreign_key(NOTICE_INVOICE_FK, "invoice", ["invoice_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(NOTICE_INVOICE_FK, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notification_invoice_id"))
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("invoice_id")
        batch_op.drop_column("link")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): copying these tables, as batch mode would,
    # breaks the foreign keys that point at them.
    with op.batch_alter_table("invoice", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("tax_credit_cents")
        batch_op.drop_column("full_premium_cents")
    with op.batch_alter_table("billingaccount", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("tax_credit_cents")
        batch_op.drop_column("full_premium_cents")
