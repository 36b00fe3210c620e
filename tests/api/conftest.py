"""API fixtures live in tests/conftest.py (the Linked Data tests share them)."""
