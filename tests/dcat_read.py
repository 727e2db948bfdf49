"""Reads DCAT as a harvesting CKAN portal does: ckanext-dcat's RDFParser with the profiles of the portal's own
configuration (``ckanext.dcat.rdf.profiles`` in CKAN_INI). Run by tests/test_dcat.py with the portal's Python
(portal/.venv, where CKAN lives): the Turtle files named on the command line in, the datasets read as JSON out."""

import json
import os
import sys

from ckan.cli import load_config
from ckan.config.middleware import make_app
from ckanext.dcat.processors import RDFParser

config = load_config(os.environ["CKAN_INI"])
make_app(config)  # loads the plugins: the profiles read the dataset schema through ckanext-scheming
parser = RDFParser(profiles=config["ckanext.dcat.rdf.profiles"].split())
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        parser.parse(handle.read(), _format="turtle")
json.dump(list(parser.datasets()), sys.stdout, ensure_ascii=False)
