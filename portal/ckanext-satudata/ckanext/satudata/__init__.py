"""Satu Data portal profile for CKAN 2.12 (see plugin.py)."""
