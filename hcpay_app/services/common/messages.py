"""The shape of every member-facing message: a subject (the email's, or the notice's title) and a
body. Each domain package writes its own wording in its `templates` module."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Message:
    subject: str
    body: str
