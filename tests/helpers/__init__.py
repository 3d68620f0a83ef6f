"""Builders and helpers shared by the test modules (imported by them and by conftest.py; no tests here)."""
