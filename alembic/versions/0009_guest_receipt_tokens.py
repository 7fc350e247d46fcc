"""guest receipt tokens

A guest who pays without an account gets a short-lived link to that payment's receipt: the table
keeps only each link's token hash, the payment it opens and when it expires. Nothing existing
changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:20:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guestreceipttoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("guestreceipttoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guestreceipttoken_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guestreceipttoken_token_hash"), ["token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("guestreceipttoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guestreceipttoken_token_hash"))
        batch_op.drop_index(batch_op.f("ix_guestreceipttoken_payment_id"))
    op.drop_table("guestreceipttoken")
