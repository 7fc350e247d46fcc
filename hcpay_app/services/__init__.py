"""The business layer: plain functions over SQLModel sessions. Never imports reflex.

Domain packages, lowest first; a package imports only packages below it (tests/unit/test_architecture.py):
common → adapters → accounts → billing → payments → recurring → support → overview → jobs.
"""
