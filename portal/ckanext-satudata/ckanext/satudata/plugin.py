"""satudata: the Satu Data portal profile on top of ckanext-scheming and ckanext-dcat.

- ``satudata_required``: a required Satu Data field must be present whenever the dataset names its
  standard (``standar_data``); a dataset that names none is a plain CKAN dataset (harvested from another
  CKAN, made by hand in the web form) and is accepted without the Satu Data block.
- Clients written for a CKAN without scheming send Satu Data fields as ``extras``: such an extra whose key
  is a schema field is moved to the top-level field on create/update (top-level wins if both are sent).
- ``ckanext.satudata.extras_mirror`` (default true): package_show also lists the Satu Data fields as
  read-only ``extras`` for those older clients. They are dropped again on input, so a show -> update
  round trip (package_revise, resource_create) stays valid.
"""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import StopOnError, missing

CORE = {"title", "name", "notes", "tag_string", "license_id", "owner_org", "maintainer", "maintainer_email"}


def satudata_fields() -> list[str]:
    """The schema's own (non-core) dataset fields, in schema order."""
    schema = tk.h.scheming_get_dataset_schema("dataset") or {}
    return [f["field_name"] for f in schema.get("dataset_fields", []) if f["field_name"] not in CORE]


def satudata_required(key, data, errors, context):
    value = data.get(key)
    if value is missing or value is None or value == "":
        standard = data.get(("standar_data",))
        if standard not in (missing, None, ""):
            errors[key].append(tk._("Missing value"))
        else:
            data.pop(key, None)
        raise StopOnError


def _promote_extras(data_dict: dict) -> None:
    extras = data_dict.get("extras")
    if not isinstance(extras, list):
        return
    fields = set(satudata_fields())
    kept = []
    for extra in extras:
        key = extra.get("key") if isinstance(extra, dict) else None
        if key in fields:
            if data_dict.get(key) in (None, ""):
                data_dict[key] = extra.get("value")
        else:
            kept.append(extra)
    data_dict["extras"] = kept


@tk.chained_action
def package_create(up_func, context, data_dict):
    _promote_extras(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func, context, data_dict):
    _promote_extras(data_dict)
    return up_func(context, data_dict)


class SatuDataPlugin(p.SingletonPlugin):
    p.implements(p.IValidators)
    p.implements(p.IActions)
    p.implements(p.IPackageController, inherit=True)

    def get_validators(self):
        return {"satudata_required": satudata_required}

    def get_actions(self):
        return {"package_create": package_create, "package_update": package_update}

    def after_dataset_show(self, context, pkg_dict):
        if not tk.asbool(tk.config.get("ckanext.satudata.extras_mirror", True)):
            return pkg_dict
        extras = pkg_dict.setdefault("extras", [])
        have = {e.get("key") for e in extras}
        for name in satudata_fields():
            value = pkg_dict.get(name)
            if value not in (None, "") and name not in have:
                extras.append({"key": name, "value": str(value)})
        return pkg_dict
