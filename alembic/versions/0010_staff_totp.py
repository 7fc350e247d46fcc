"""staff second factor

Staff enrol a TOTP authenticator: one row per staff login with the sealed secret (and one being
enrolled), when enrolment was confirmed and the last accepted time step; single-use enrolment links (hash only) and
single-use recovery codes (keyed hashes only). Nothing existing changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:10:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stafffactor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("pending_secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("enrolled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stafffactor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stafffactor_user_id"), ["user_id"], unique=True)
    op.create_table(
        "staffenroltoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staffenroltoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staffenroltoken_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_staffenroltoken_user_id"), ["user_id"], unique=False)
    op.create_table(
        "staffrecoverycode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staffrecoverycode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staffrecoverycode_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staffrecoverycode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staffrecoverycode_user_id"))
    op.drop_table("staffrecoverycode")
    with op.batch_alter_table("staffenroltoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staffenroltoken_user_id"))
        batch_op.drop_index(batch_op.f("ix_staffenroltoken_token_hash"))
    op.drop_table("staffenroltoken")
    with op.batch_alter_table("stafffactor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stafffactor_user_id"))
    op.drop_table("stafffactor")
