"""The portal as a WSGI application, for gunicorn (portal/start.sh): CKAN's own wsgi.py, reading the ckan.ini
that start.sh writes (CKAN_INI)."""
import fcntl
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app
from werkzeug.middleware.proxy_fix import ProxyFix

config_path = os.environ["CKAN_INI"]
fileConfig(config_path, disable_existing_loggers=False)   # keep gunicorn's: a worker's boot error is logged
# Workers build the app one at a time: CKAN's start-up (plugins configuring themselves against the databases)
# is written for one process, and a worker failing to boot stops the whole server. The first worker up serves.
with open(config_path + ".boot.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    application = make_app(CKANConfigLoader(config_path).get_config())
# Behind nginx (portal/nginx.conf) every request comes from 127.0.0.1: the visitor's address, which the visit and
# download counts key on, is the one nginx adds to X-Forwarded-For. Gunicorn listens on 127.0.0.1 only.
application = ProxyFix(application, x_for=1)
