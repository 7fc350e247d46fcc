"""End-to-end journeys: the real app driven by Playwright on Chromium."""
