#!/usr/bin/env bash
# Installs CKAN 2.12.0 with ckanext-scheming, ckanext-dcat and ckanext-xloader (exact pins in
# requirements.txt) and the project's two extensions (ckanext-satudata: the Satu
# Data profile; ckanext-satudata_nosolr: Solr-less search) into portal/.venv,
# with the chart and map views' JavaScript libraries from npm (js_vendor.sh),
# plus the Debian packages CKAN needs. Skips everything when the stamp matches (a hash of requirements.txt
# and the extension's files). Safe to run with no stdin.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

EXTS=(ckanext-satudata ckanext-satudata_nosolr)
STAMP="$VENV/.satudata-installed"
want="$(cd "$PORTAL" && find requirements.txt "${EXTS[@]}" -type f \
    \( -name '*.py' -o -name '*.toml' -o -name '*.txt' -o -name '*.html' -o -name '*.yaml' -o -name '*.js' \
       -o -name '*.css' -o -name '*.ttl' \) \
    | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
if [[ -x $VENV/bin/ckan && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
    exit 0
fi

# One installer at a time (the venv is shared); then re-check the stamp.
exec 9<"${BASH_SOURCE[0]}"
flock 9
if [[ -x $VENV/bin/ckan && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
    exit 0
fi

need=()
command -v redis-server >/dev/null || need+=(redis-server)
[[ -f /usr/include/postgresql/libpq-fe.h ]] || need+=(libpq-dev)   # psycopg2 builds from source
command -v gcc >/dev/null || need+=(gcc)
command -v psql >/dev/null || need+=(postgresql-client-15)
command -v curl >/dev/null || need+=(curl)                         # start.sh health checks
command -v npm >/dev/null || need+=(npm)                           # the views' JavaScript (js_vendor.sh)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)   # the cache on the public port
ldconfig -p | grep -q libmagic.so.1 || need+=(libmagic1)   # python-magic
if ((${#need[@]})); then
    plog "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
plog "pip install ckan (log: $VENV/pip.log)"
{
    "$VENV/bin/python" -m pip install -q -r "$PORTAL/requirements.txt"
    # A regular (not editable) install: CKAN's nspkg .pth fixes the 'ckanext'
    # namespace to site-packages, so an editable source folder would not be seen.
    # The stamp above covers the extension's files, so edits reinstall it.
    # Built from a copy so no build/ or egg-info litter lands in the repo.
    tmp="$(mktemp -d)"
    for ext in "${EXTS[@]}"; do
        cp -r "$PORTAL/$ext" "$tmp/$ext"
        if [[ -f $tmp/$ext/js-packages.txt ]]; then   # the views' JavaScript libraries, from npm
            bash "$PORTAL/js_vendor.sh" "$tmp/$ext/js-packages.txt" "$tmp/$ext/ckanext/satudata/public/satudata-vendor"
        fi
        "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$tmp/$ext"
    done
    rm -rf "$tmp"
} </dev/null >"$VENV/pip.log" 2>&1 || { tail -n 30 "$VENV/pip.log" >&2; exit 1; }
echo "$want" >"$STAMP"
plog "installed CKAN $("$VENV/bin/python" -c 'import ckan; print(ckan.__version__)') in $VENV"
