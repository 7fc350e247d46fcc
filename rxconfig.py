"""Reflex configuration: offline, no telemetry, settings from hcpay_app.config."""

import reflex as rx

from hcpay_app.config import get_settings
from hcpay_app.theme_css import TrimmedRadixThemes

settings = get_settings()

config = rx.Config(
    app_name="hcpay_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    cors_allowed_origins=list(settings.cors_origins),
    plugins=[
        # Radix Themes with its stylesheet trimmed to the components and colours the pages use.
        TrimmedRadixThemes(theme=rx.theme(appearance="light", accent_color="indigo", radius="medium", scaling="100%"))
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
