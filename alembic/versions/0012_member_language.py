"""the language each member reads the portal in

Languages (issue 16): a member's choice of English, Spanish or Portuguese is kept on their login,
so it follows them to any device and sets the language of their emails and documents. Every
existing login reads English.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


# Not in batch mode: rebuilding `user` would drop a table many foreign keys point at. SQLite
# (3.35+) and PostgreSQL both add and drop a plain column in place.
def upgrade() -> None:
    op.add_column(
        "user", sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="en")
    )


def downgrade() -> None:
    op.drop_column("user", "language")
