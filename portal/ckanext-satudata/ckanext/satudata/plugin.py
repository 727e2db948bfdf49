"""satudata: the Satu Data portal profile on top of ckanext-scheming and ckanext-dcat.

- ``satudata_required``: a required Satu Data field must be present whenever the dataset names its
  standard (``standar_data``); a dataset that names none is a plain CKAN dataset (harvested from another
  CKAN, made by hand in the web form) and is accepted without the Satu Data block.
- ``satudata_datastore_load``: the pipeline's bulk loader for a DataStore table (``loader.py``).
- ``/satudata/unduh/<resource_id>.csv`` and ``.xlsx``: a DataStore table's downloads, each rendered once per
  version from one snapshot (``downloads.py``). A DataStore resource's URL, the public's download button, is
  that CSV, not CKAN's paged dump: this plugin comes after ``datastore`` in ``ckan.plugins`` to say so last.
- The public face, in Bahasa Indonesia first and English one click away: the regency's identity from
  configuration (``identity.py``), templates of its own (``templates/``), CKAN's strings that its ``id`` catalogue
  leaves in English and this extension's own (``translations_id.yaml``), and visits and
  downloads per dataset and resource (``counts.py``, on CKAN's core ``tracking`` plugin).
- Data requests (``/permintaan``): anyone asks for a dataset, the walidata answers, tracked to the answer
  (``datarequests.py``; the ``satudata_datarequest_*`` actions).
"""

from __future__ import annotations

import os
import tempfile

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from ckan.lib.navl.dictization_functions import StopOnError, missing
from ckanext.satudata import counts, datarequests, identity, schemes, signed_in
from ckanext.satudata.downloads import unduh
from ckanext.satudata.loader import datastore_load
from ckanext.satudata.metadata_statistik import section as metadata_statistik_section

I18N_DOMAIN = "ckanext-satudata"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}  # each in its own language


def satudata_required(key, data, errors, context):
    value = data.get(key)
    if value is missing or value is None or value == "":
        standard = data.get(("standar_data",))
        if standard not in (missing, None, ""):
            errors[key].append(tk._("Missing value"))
        else:
            data.pop(key, None)
        raise StopOnError


def compiled_translations(storage: str) -> str:
    """CKAN reads compiled gettext catalogues (.mo); the translations are kept as YAML beside this file
    (``translations_id.yaml``) and compiled at each start into the portal's storage folder."""
    with open(os.path.join(os.path.dirname(__file__), "translations_id.yaml"), encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    catalog = Catalog(locale="id", domain=I18N_DOMAIN)
    for english, indonesian in doc["messages"].items():
        catalog.add(english, indonesian)
    for singular, plural, indonesian in doc["plurals"]:
        # CKAN's merged catalogue takes the plural rule of the last one merged (CKAN's own `id` has one form,
        # ckanext-dcat's two): Indonesian says both the same, so each form holds it.
        catalog.add((singular, plural), (indonesian, indonesian))
    folder = os.path.join(storage, "satudata-i18n", "id", "LC_MESSAGES")
    os.makedirs(folder, exist_ok=True)
    # Written aside and moved in: another process of this portal may be starting or reading it.
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".mo.new", delete=False) as mo:
        write_mo(mo, catalog)
    os.replace(mo.name, os.path.join(folder, f"{I18N_DOMAIN}.mo"))
    return os.path.join(storage, "satudata-i18n")


class SatuDataPlugin(p.SingletonPlugin):
    p.implements(p.IValidators)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IConfigurable)
    p.implements(p.IBlueprint)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.IConfigurer)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.ITranslation)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        site = identity.load(config.get("ckanext.satudata.identity", ""))
        if site:
            config["ckan.site_title"] = site["title"]
            config["ckan.site_description"] = site["tagline"]["id"]
            if site["logo"]:
                config["ckan.site_logo"] = "/satudata/logo"

    def configure(self, config):
        datarequests.create_table()

    def get_helpers(self):
        return {
            "satudata_site": lambda: identity.SITE,
            "satudata_text": identity.text,
            "satudata_counts": counts.counts,
            "satudata_metadata_statistik": metadata_statistik_section,
            "satudata_language_name": lambda locale: LANGUAGE_NAMES.get(locale.short_name, locale.display_name),
        }

    def make_middleware(self, app, config):
        app.after_request(counts.record_download)
        app.after_request(signed_in.mark)  # for the cache in front of the portal (portal/nginx.conf)
        return app

    def i18n_directory(self):
        return compiled_translations(tk.config.get("ckan.storage_path"))

    def i18n_locales(self):
        return ["id"]

    def i18n_domain(self):
        return I18N_DOMAIN

    def get_validators(self):
        return {"satudata_required": satudata_required}

    def get_actions(self):
        return {
            "satudata_datastore_load": datastore_load,
            "satudata_counts_show": counts.counts_show,
            **datarequests.ACTIONS,
        }

    def get_auth_functions(self):
        return datarequests.AUTH

    def get_blueprint(self):
        return [unduh, identity.identitas, datarequests.permintaan, schemes.skema]

    def before_resource_show(self, resource_dict):
        if resource_dict.get("url_type") == "datastore":
            resource_dict["url"] = tk.url_for("satudata_unduh.csv", resource_id=resource_dict["id"], qualified=True)
        return resource_dict
