"""satudata_pgsearch: run CKAN 2.12 without Solr (development, tests, demos).

CKAN has no plugin interface for replacing its search backend, and it indexes
every dataset in Solr inside package_create/update. This plugin swaps the
search classes that ckan.lib.search hands out for ones backed by PostgreSQL
(see search.py): indexing becomes a no-op and every search runs as SQL over
CKAN's own tables. It must not be enabled on a portal that has Solr.
"""

import logging

import ckan.lib.search as search
import ckan.plugins as p
from ckanext.satudata_nosolr.search import NoopPackageIndex, PgPackageSearchQuery

log = logging.getLogger(__name__)


def _no_solr_schema_check(*args, **kwargs):
    return False  # CKAN calls this at start-up; there is no Solr to check


def install() -> None:
    """Point ckan.lib.search at the SQL-backed classes (idempotent)."""
    search._INDICES["package"] = NoopPackageIndex
    search._QUERIES["package"] = PgPackageSearchQuery
    # model_dictize instantiates search.PackageSearchQuery directly (group counts, tag pages).
    search.PackageSearchQuery = PgPackageSearchQuery
    search.check_solr_schema_version = _no_solr_schema_check


class PgSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    # update_config runs while CKAN loads its environment, before the Solr
    # schema check and before any request or job.
    def update_config(self, config):
        install()
        log.info("satudata_pgsearch: dataset search served from PostgreSQL (no Solr)")
