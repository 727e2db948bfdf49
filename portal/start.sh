#!/usr/bin/env bash
# Starts the local CKAN 2.12 portal: PostgreSQL (scripts/postgres.sh), Redis,
# CKAN under gunicorn (portal/wsgi.py) behind nginx's cache (portal/nginx.conf) on the public port and
# `ckan jobs worker`, all on 127.0.0.1. Idempotent: a second call
# while everything runs returns at once. Everything it makes lives in
# $STATE/portal; $STATE/portal/env holds CKAN_URL and the sysadmin's CKAN_API_TOKEN, for
# `satudata portal setup` (which makes the pipeline's own, editor tokens) and the tests' fixtures.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CKAN="$VENV/bin/ckan"
ENVFILE="$PSTATE/env"
TOKENFILE="$PSTATE/api_token"
SETUPLOG="$PSTATE/setup.log"   # output of the one-off ckan commands

status_ok() { curl -fsS -m 5 "$CKAN_URL/api/3/action/status_show" >/dev/null 2>&1; }

# Fast path: everything already up.
if pid_alive "$PSTATE/ckan.pid" "$SERVER_MATCH" && pid_alive "$PSTATE/nginx.pid" "$NGINX_MATCH" \
        && pid_alive "$PSTATE/worker.pid" "ckan.ini jobs worker" && [[ -s $ENVFILE ]] && status_ok; then
    echo "$CKAN_URL"
    exit 0
fi

mkdir -p "$PSTATE" "$REDIS_DIR" "$PSTATE/storage"
chmod 700 "$PSTATE"
# One start per state folder at a time (parallel test workers may all call this).
exec 9>"$PSTATE/.start.lock"
flock 9
"$PORTAL/install.sh"
"$REPO/scripts/postgres.sh" start

secret() {  # secret NAME: generated once, kept in state, mode 600
    local f="$PSTATE/secrets/$1"
    if [[ ! -s $f ]]; then
        (umask 077; mkdir -p "$PSTATE/secrets"
         python3 -c 'import secrets; print(secrets.token_hex(24))' >"$f")
    fi
    cat "$f"
}

token_ok() {  # a sysadmin-only call succeeds with the stored token
    [[ -s $TOKENFILE ]] && curl -fsS -m 10 -H "Authorization: $(cat "$TOKENFILE")" \
        "$CKAN_URL/api/3/action/api_token_list?user_id=walidata" >/dev/null 2>&1
}
new_token() {
    plog "creating API token for walidata"
    (umask 077; "$CKAN" user token add walidata satudata-pipeline --quiet </dev/null 2>>"$SETUPLOG" \
        | tail -n 1 >"$TOKENFILE")
}

# --- Redis (CKAN's job queue and cache) ---------------------------------------
if ! pid_alive "$REDIS_DIR/redis.pid" "redis-server"; then
    rm -f "$REDIS_DIR/redis.pid"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
        --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" \
        --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no 9>&-
    for _ in $(seq 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    pid_alive "$REDIS_DIR/redis.pid" "redis-server" \
        || { plog "redis did not start:"; tail -n 5 "$REDIS_DIR/redis.log" >&2; exit 1; }
fi

# --- Databases and the DataStore's read-only role --------------------------------
PSQL=("$REPO/scripts/postgres.sh" psql -d postgres -tA)
CKAN_DB_URL="$("$REPO/scripts/postgres.sh" url ckan)"
DS_WRITE_URL="$("$REPO/scripts/postgres.sh" url datastore)"
XLOADER_JOBS_URL="$("$REPO/scripts/postgres.sh" url xloader_jobs)"   # xloader's own jobs database
RO_PW="$(secret datastore_ro_password)"
"${PSQL[@]}" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'datastore_ro') THEN
    CREATE ROLE datastore_ro LOGIN;
  END IF;
END \$\$;
ALTER ROLE datastore_ro WITH LOGIN PASSWORD '$RO_PW';
-- PUBLIC may connect to any database by default; the read-only role must see only the DataStore.
REVOKE CONNECT ON DATABASE ckan FROM PUBLIC;
-- Index builds (the full-text GIN index xloader builds after each load) sort in memory: for 1,000,000 rows
-- 13 s instead of 19 s with the default 64MB.
ALTER DATABASE datastore SET maintenance_work_mem = '256MB';
SQL
DS_READ_URL="postgresql://datastore_ro:$RO_PW@127.0.0.1:${DS_WRITE_URL#*@127.0.0.1:}"

# --- ckan.ini: generated once (keeps its SECRET_KEY), then our options merged in --
if [[ ! -s $INI ]]; then
    (umask 077; "$CKAN" generate config "$INI" >>"$SETUPLOG" 2>&1)
fi
# The portal's public face (catalogue/portals.yaml, `site:` of the portal SATUDATA_PORTAL, default `local`), checked
# by the pipeline's strict catalogue loader: a mistyped key stops the start here. Read by ckanext-satudata.
IDENTITY="$PSTATE/identity.json"
if [[ -x $REPO/.venv/bin/python ]]; then
    (cd "$REPO" && .venv/bin/python -c 'import json, sys
from pipelines.catalogue import CatalogueError, portal_site
try:
    json.dump(portal_site(sys.argv[1]), sys.stdout, ensure_ascii=False)
except CatalogueError as refused:
    sys.exit(str(refused))' "${SATUDATA_PORTAL:-local}") >"$IDENTITY.new" || exit 1
    mv "$IDENTITY.new" "$IDENTITY"
else
    plog "no pipeline environment (.venv, make setup): the portal starts without its regency's identity"
fi
OPTS="$PSTATE/ckan.options.ini"
(umask 077; cat >"$OPTS.new" <<EOF
[app:main]
ckan.site_url = $CKAN_URL
ckan.site_title = Satu Data (local)
sqlalchemy.url = $CKAN_DB_URL
ckan.datastore.write_url = $DS_WRITE_URL
ckan.datastore.read_url = $DS_READ_URL
ckan.datastore.sqlsearch.enabled = true
# Per web server process (one request at a time), while the database's 100 connections are shared with the
# warehouse and Dagster: 8 processes x 2 pools x 4 at most. (Under ckan run, one process for everything,
# CKAN's default 5 + 10 starved under sixteen streaming downloads.)
sqlalchemy.pool_size = 2
sqlalchemy.max_overflow = 2
ckan.datastore.sqlalchemy.pool_size = 2
ckan.datastore.sqlalchemy.max_overflow = 2
# GIN, not the default GiST, for each table's full-text index: the same q= searches, built in 14 s instead of
# 46 s for 1,000,000 rows (bench/README.md, Publishing).
ckan.datastore.default_fts_index_method = gin
ckan.redis.url = redis://127.0.0.1:$REDIS_PORT/0
# Cache-Control: public, max-age=20 on what anonymous visitors get (private for the signed-in): a browser keeps
# a page 20 s at most, after nginx kept it 30 s and one refresh at most (portal/nginx.conf): a change shows
# within 60 s.
ckan.cache_enabled = true
ckan.cache_expires = 20
# Bahasa Indonesia first (pages without a language prefix), English at /en/...
ckan.locale_default = id
ckan.locales_offered = id en
ckanext.satudata.identity = $IDENTITY
# tracking: CKAN's core visit and download counts, shown on the dataset page by ckanext-satudata.
ckan.plugins = satudata_pgsearch scheming_datasets dcat structured_data datastore satudata xloader datatables_view satudata_chart satudata_map tracking
scheming.dataset_schemas = ckanext.satudata:schema.yaml
scheming.presets = ckanext.scheming:presets.json
scheming.dataset_fallback = false
ckanext.dcat.rdf.profiles = euro_dcat_ap_3 satudata
ckanext.dcat.datasets_per_page = 100
ckan.views.default_views = datatables_view
ckan.storage_path = $PSTATE/storage
ckan.max_resource_size = 1024
# The fast loader: COPY of uploaded CSVs, every column text unless the DataStore table's info.type_override says
# otherwise (the pipeline sets it from the standard); never type guessing, which mangles codes. Only CSV: an XLSX
# download is not loaded a second time. The worker downloads the file back from ckan.site_url (127.0.0.1).
ckanext.xloader.jobs_db.uri = $XLOADER_JOBS_URL
ckanext.xloader.use_type_guessing = false
ckanext.xloader.formats = csv text/csv
ckanext.xloader.job_timeout = 1800
[logger_ckanext]
level = INFO
EOF
)
if ! cmp -s "$OPTS.new" "$OPTS"; then
    "$CKAN" config-tool "$INI" -f "$OPTS.new" >>"$SETUPLOG" 2>&1
    mv "$OPTS.new" "$OPTS"
else
    rm -f "$OPTS.new"
fi
export CKAN_INI="$INI"

# --- schema: `ckan db init` when the ckan database is new or the CKAN pins changed --
DB_STAMP="$PSTATE/db.stamp"
want="$("${PSQL[@]}" -c "select oid from pg_database where datname = 'ckan'"):$(sha256sum <"$PORTAL/requirements.txt")"
if [[ ! -f $DB_STAMP || "$(cat "$DB_STAMP")" != "$want" ]]; then
    plog "ckan db init"
    "$CKAN" db init >>"$SETUPLOG" 2>&1 || { tail -n 30 "$SETUPLOG" >&2; exit 1; }
    "$CKAN" datastore set-permissions 2>>"$SETUPLOG" \
        | "$REPO/scripts/postgres.sh" psql -d datastore >>"$SETUPLOG" 2>&1
    echo "$want" >"$DB_STAMP"
fi

# --- sysadmin 'walidata' and its token: one-off CLI work before CKAN starts -------------
ADMIN_PW="$(secret walidata_password)"
if [[ -z "$("$REPO/scripts/postgres.sh" psql -d ckan -tAc "select 1 from \"user\" where name = 'walidata' and state = 'active'")" ]]; then
    plog "creating sysadmin walidata"
    "$CKAN" user add walidata email=walidata@localhost.localdomain password="$ADMIN_PW" \
        fullname="Walidata (local)" </dev/null >>"$SETUPLOG" 2>&1 || { tail -n 30 "$SETUPLOG" >&2; exit 1; }
fi
if [[ "$("$REPO/scripts/postgres.sh" psql -d ckan -tAc "select sysadmin from \"user\" where name = 'walidata'")" != t ]]; then
    "$CKAN" sysadmin add walidata </dev/null >>"$SETUPLOG" 2>&1 || { tail -n 30 "$SETUPLOG" >&2; exit 1; }
fi

# --- xloader's sysadmin token: in the ini before the server and worker start (re-made after a db init) --
XLTOKEN="$PSTATE/secrets/xloader_token"
if [[ ! -s $XLTOKEN || $XLTOKEN -ot $DB_STAMP ]]; then
    plog "creating API token for xloader"
    (umask 077; "$CKAN" user token add walidata xloader --quiet </dev/null 2>>"$SETUPLOG" | tail -n 1 >"$XLTOKEN.new")
    [[ -s $XLTOKEN.new ]] || { plog "no xloader token"; tail -n 20 "$SETUPLOG" >&2; exit 1; }
    mv "$XLTOKEN.new" "$XLTOKEN"
fi
(umask 077; printf '[app:main]\nckanext.xloader.api_token = %s\n' "$(cat "$XLTOKEN")" >"$PSTATE/xloader.options.ini")
if ! grep -qF "ckanext.xloader.api_token = $(cat "$XLTOKEN")" "$INI"; then
    "$CKAN" config-tool "$INI" -f "$PSTATE/xloader.options.ini" >>"$SETUPLOG" 2>&1
fi

# --- the web server and the jobs worker -----------------------------------------------
launch() {  # launch NAME MATCH CMD...: background process with pidfile and log
    local name=$1 match=$2; shift 2
    pid_alive "$PSTATE/$name.pid" "$match" && return 0
    rm -f "$PSTATE/$name.pid"
    # setsid: detach from this shell's session so the process outlives it.
    # 9>&-: the child must not inherit (and so keep holding) our start lock.
    setsid "$@" </dev/null >>"$PSTATE/$name.log" 2>&1 9>&- &
    echo $! >"$PSTATE/$name.pid"
}
port_taken() {  # port_taken NAME MATCH PORT: someone else listens on PORT
    ! pid_alive "$PSTATE/$1.pid" "$2" && (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null
}
((APP_PORT <= 65535)) || { plog "SATUDATA_CKAN_PORT must be at most 55535 (gunicorn takes it + 10000)"; exit 1; }
if port_taken nginx "$NGINX_MATCH" "$CKAN_PORT"; then
    plog "port $CKAN_PORT is taken by another process (set SATUDATA_CKAN_PORT)"; exit 1
fi
if port_taken ckan "$SERVER_MATCH" "$APP_PORT"; then
    plog "port $APP_PORT (gunicorn's: SATUDATA_CKAN_PORT + 10000) is taken by another process"; exit 1
fi
# gunicorn, as CKAN's deployment guide runs it behind a WSGI server: processes, one request each (one slow
# request or sixteen downloads no longer hold the one interpreter of `ckan run`; CKAN's DataStore search is
# not safe across threads: 16 readers on threaded workers got "cursor already closed", bench/portal_load.py).
# Each worker builds the app after the fork (no --preload), so none shares a database connection made before
# it. A worker that cannot boot (a broken plugin) stops the server, its error in ckan.log.
launch ckan "$SERVER_MATCH" env CKAN_INI="$INI" "$VENV/bin/gunicorn" --chdir "$PORTAL" \
    --bind "127.0.0.1:$APP_PORT" --workers "${SATUDATA_CKAN_WORKERS:-8}" --worker-class sync \
    --timeout 300 --graceful-timeout 10 wsgi:application
launch worker "ckan.ini jobs worker" "$CKAN" -c "$INI" jobs worker
# nginx on the public port, its config from the template; its cache emptied at each start so that a page or
# static file of the previous version is never served.
if ! pid_alive "$PSTATE/nginx.pid" "$NGINX_MATCH"; then
    rm -rf "$PSTATE/nginx/cache"
    mkdir -p "$PSTATE/nginx"
    sed -e "s|@PSTATE@|$PSTATE|g" -e "s|@PORT@|$CKAN_PORT|g" -e "s|@APP_PORT@|$APP_PORT|g" \
        -e "s|@USER@|$(id -un) $(id -gn)|g" "$PORTAL/nginx.conf" >"$NGINX_CONF"
    NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
    "$NGINX" -t -q -c "$NGINX_CONF" -e "$PSTATE/nginx.log" || { tail -n 5 "$PSTATE/nginx.log" >&2; exit 1; }
    launch nginx "$NGINX_MATCH" "$NGINX" -c "$NGINX_CONF" -e "$PSTATE/nginx.log"
fi

if [[ ! -s $TOKENFILE ]]; then new_token; fi

for i in $(seq 120); do
    status_ok && break
    if ! pid_alive "$PSTATE/ckan.pid" "$SERVER_MATCH" || ! pid_alive "$PSTATE/nginx.pid" "$NGINX_MATCH" \
            || ((i == 120)); then
        plog "CKAN did not come up; last lines of $PSTATE/ckan.log and $PSTATE/nginx.log:"
        tail -n 40 "$PSTATE/ckan.log" >&2
        tail -n 5 "$PSTATE/nginx.log" >&2
        exit 1
    fi
    sleep 0.5
done

# --- API token for the pipeline (kept while CKAN still accepts it) -------------------
if ! token_ok; then
    new_token
    token_ok || { plog "new API token is not accepted"; exit 1; }
fi
chmod 600 "$TOKENFILE"
(umask 077; printf 'CKAN_URL=%s\nCKAN_API_TOKEN=%s\n' "$CKAN_URL" "$(cat "$TOKENFILE")" >"$ENVFILE")
echo "$CKAN_URL"
