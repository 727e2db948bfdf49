"""The vocabularies the DCAT feed points to, each at a stable address of this portal so its IRIs dereference:

- ``/satudata/skema/<name>``: a Satu Data SKOS concept scheme kept beside this module (``schemes/<name>.ttl``:
  ``sektor``, the regional government affairs a dataset's ``sektor`` names, and ``pilar``, the smart-city
  pillars); its concepts are ``/satudata/skema/<name>#<slug>``.
- ``/satudata/standar/<name>/<version>``: a Satu Data standard version as a ``dct:Standard``, for as long as a
  dataset on this portal names it (the standards themselves live with the pipeline, not the portal).

Turtle by default, JSON-LD or RDF/XML when the client asks for them (``Accept``).
"""

from __future__ import annotations

import functools
import os
import re

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, abort, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

FOLDER = os.path.join(os.path.dirname(__file__), "schemes")
SCHEMES = ("sektor", "pilar")
STANDARD_REF = re.compile(r"^[a-z0-9][a-z0-9-]*/\d+\.\d+\.\d+$")
MEDIA_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml"}

skema = Blueprint("satudata_skema", __name__)


def site_url() -> str:
    return tk.config.get("ckan.site_url").rstrip("/")


def scheme_iri(name: str) -> URIRef:
    return URIRef(f"{site_url()}/satudata/skema/{name}")


@functools.cache
def _scheme(name: str, iri: str) -> Graph:
    # The files use IRIs relative to their own address, so the same file serves any site URL.
    return Graph().parse(os.path.join(FOLDER, f"{name}.ttl"), format="turtle", publicID=iri)


def scheme(name: str) -> Graph:
    return _scheme(name, str(scheme_iri(name)))


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def concept(name: str, value: str) -> URIRef | None:
    """The concept of scheme `name` whose label (preferred or alternative) or notation is `value`."""
    graph, wanted = scheme(name), _key(value)
    for predicate in (SKOS.prefLabel, SKOS.altLabel, SKOS.notation):
        for subject, label in graph.subject_objects(predicate):
            if _key(label) == wanted and (subject, RDF.type, SKOS.Concept) in graph:
                return subject
    return None


def standard_iri(ref: str) -> URIRef:
    return URIRef(f"{site_url()}/satudata/standar/{ref}")


def standard(ref: str) -> Graph:
    """A standard version (``harga-pasar/1.0.0``) as a dct:Standard."""
    name, version = ref.split("/", 1)
    iri, graph = standard_iri(ref), Graph()
    graph.add((iri, RDF.type, DCTERMS.Standard))
    graph.add((iri, DCTERMS.identifier, Literal(ref)))
    graph.add((iri, DCTERMS.title, Literal(f"Standar Data Satu Data {name} versi {version}", lang="id")))
    graph.add((iri, DCTERMS.title, Literal(f"Satu Data standard {name}, version {version}", lang="en")))
    graph.add((iri, OWL.versionInfo, Literal(version)))
    return graph


def _rdf(graph: Graph) -> Response:
    media_type = request.accept_mimetypes.best_match(list(MEDIA_TYPES), default="text/turtle")
    graph.bind("skos", SKOS)
    graph.bind("dct", DCTERMS)
    return Response(graph.serialize(format=MEDIA_TYPES[media_type]), mimetype=media_type, headers={"Vary": "Accept"})


@skema.route("/satudata/skema/<name>")
def scheme_document(name):
    if name not in SCHEMES:
        abort(404)
    return _rdf(scheme(name))


@skema.route("/satudata/standar/<name>/<version>")
def standard_document(name, version):
    ref = f"{name}/{version}"
    if not STANDARD_REF.match(ref):
        abort(404)
    named = tk.get_action("package_search")({}, {"fq": f'standar_data:"{ref}"', "rows": 0})["count"]
    if not named:
        abort(404)
    return _rdf(standard(ref))
