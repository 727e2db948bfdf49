# Shared settings for portal/*.sh (sourced, not executed).
PORTAL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$PORTAL/.." && pwd)"
STATE="${SATUDATA_STATE:-$REPO/.state}"
PSTATE="$STATE/portal"                      # ckan.ini, secrets, pidfiles, logs, uploads
VENV="$PORTAL/.venv"
CKAN_PORT="${SATUDATA_CKAN_PORT:-5055}"
REDIS_PORT="${SATUDATA_REDIS_PORT:-56379}"
CKAN_URL="http://127.0.0.1:$CKAN_PORT"
# The public port is nginx's (its cache in front, portal/nginx.conf); gunicorn listens on a port of its own,
# derived from the public one so that portals of several state folders on one machine never collide.
APP_PORT=$((CKAN_PORT + 10000))
INI="$PSTATE/ckan.ini"
SERVER_MATCH="gunicorn --chdir $PORTAL --bind 127.0.0.1:$APP_PORT"   # the portal's web server, as ps shows it
NGINX_CONF="$PSTATE/nginx.conf"
NGINX_MATCH="nginx -c $NGINX_CONF"   # the proxy's master process, as ps shows it
REDIS_DIR="$PSTATE/redis"

plog() { echo "portal: $*" >&2; }

# True if the pid in pidfile $1 is alive and its command line contains $2
# (guards against a recycled pid after a reboot or crash).
pid_alive() {
    local pid
    [[ -s $1 ]] || return 1
    pid="$(cat "$1")"
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}
