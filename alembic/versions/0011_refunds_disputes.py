"""refunds, refund requests and disputes

Money going back (issue 18): refunds of settled payments (each with its `RF-…` reference and
idempotency key), members' requests to have a credit paid back (linked to a support ticket), and
card disputes. A payment keeps what has been refunded of it (`refunded_cents`, 0 for every
existing payment); a ledger entry may name its refund. Nothing existing changes otherwise.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:15:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LEDGER_REFUND_FK = "fk_ledgerentry_refund_id"  # named: SQLite's batch mode needs a name to drop it


def upgrade() -> None:
    op.create_table(
        "refundrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("billing_account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["billing_account_id"], ["billingaccount.id"]),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["supportticket.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("refundrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refundrequest_billing_account_id"), ["billing_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refundrequest_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_refundrequest_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refundrequest_user_id"), ["user_id"], unique=False)
    op.create_table(
        "refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("billing_account_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("refund_request_id", sa.Integer(), nullable=True),
        sa.Column("processor_ref", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("failure_code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["billing_account_id"], ["billingaccount.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.ForeignKeyConstraint(["refund_request_id"], ["refundrequest.id"]),
        sa.ForeignKeyConstraint(["staff_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_billing_account_id"), ["billing_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_reference"), ["reference"], unique=True)
        batch_op.create_index(batch_op.f("ix_refund_refund_request_id"), ["refund_request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_status"), ["status"], unique=False)
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("billing_account_id", sa.Integer(), nullable=False),
        sa.Column("processor_dispute_ref", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["billing_account_id"], ["billingaccount.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payment_id"),
        sa.UniqueConstraint("processor_dispute_ref"),
    )
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_billing_account_id"), ["billing_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispute_reference"), ["reference"], unique=True)
        batch_op.create_index(batch_op.f("ix_dispute_status"), ["status"], unique=False)
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_cents", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("ledgerentry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_ledgerentry_refund_id"), ["refund_id"], unique=False)
        batch_op.create_foreign_key(LEDGER_REFUND_FK, "refund", ["refund_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("ledgerentry", schema=None) as batch_op:
        batch_op.drop_constraint(LEDGER_REFUND_FK, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ledgerentry_refund_id"))
        batch_op.drop_column("refund_id")
    # Not in batch mode: rebuilding `payment` would drop a table the ledger's foreign keys point at.
    # SQLite (3.35+) and PostgreSQL both drop a plain column in place.
    op.drop_column("payment", "refunded_cents")
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_status"))
        batch_op.drop_index(batch_op.f("ix_dispute_reference"))
        batch_op.drop_index(batch_op.f("ix_dispute_billing_account_id"))
    op.drop_table("dispute")
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_status"))
        batch_op.drop_index(batch_op.f("ix_refund_refund_request_id"))
        batch_op.drop_index(batch_op.f("ix_refund_reference"))
        batch_op.drop_index(batch_op.f("ix_refund_payment_id"))
        batch_op.drop_index(batch_op.f("ix_refund_billing_account_id"))
    op.drop_table("refund")
    with op.batch_alter_table("refundrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refundrequest_user_id"))
        batch_op.drop_index(batch_op.f("ix_refundrequest_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_refundrequest_status"))
        batch_op.drop_index(batch_op.f("ix_refundrequest_billing_account_id"))
    op.drop_table("refundrequest")
