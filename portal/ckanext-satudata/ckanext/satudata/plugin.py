"""satudata: the Satu Data portal profile on top of ckanext-scheming and ckanext-dcat.

- ``satudata_required``: a required Satu Data field must be present whenever the dataset names its
  standard (``standar_data``); a dataset that names none is a plain CKAN dataset (harvested from another
  CKAN, made by hand in the web form) and is accepted without the Satu Data block.
- ``satudata_datastore_load``: the pipeline's bulk loader for a DataStore table (``loader.py``).
- ``/satudata/unduh/<resource_id>.csv`` and ``.xlsx``: a DataStore table's downloads, each rendered once per
  version from one snapshot (``downloads.py``). A DataStore resource's URL, the public's download button, is
  that CSV, not CKAN's paged dump: this plugin comes after ``datastore`` in ``ckan.plugins`` to say so last.
"""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import StopOnError, missing

from ckanext.satudata.downloads import unduh
from ckanext.satudata.loader import datastore_load


def satudata_required(key, data, errors, context):
    value = data.get(key)
    if value is missing or value is None or value == "":
        standard = data.get(("standar_data",))
        if standard not in (missing, None, ""):
            errors[key].append(tk._("Missing value"))
        else:
            data.pop(key, None)
        raise StopOnError


class SatuDataPlugin(p.SingletonPlugin):
    p.implements(p.IValidators)
    p.implements(p.IActions)
    p.implements(p.IBlueprint)
    p.implements(p.IResourceController, inherit=True)

    def get_validators(self):
        return {"satudata_required": satudata_required}

    def get_actions(self):
        return {"satudata_datastore_load": datastore_load}

    def get_blueprint(self):
        return [unduh]

    def before_resource_show(self, resource_dict):
        if resource_dict.get("url_type") == "datastore":
            resource_dict["url"] = tk.url_for("satudata_unduh.csv", resource_id=resource_dict["id"],
                                              qualified=True)
        return resource_dict
