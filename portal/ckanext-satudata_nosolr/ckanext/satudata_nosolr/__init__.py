"""Solr-less dataset search for CKAN 2.12 (see plugin.py)."""
