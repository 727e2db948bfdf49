"""The portal as a WSGI application, for gunicorn (portal/start.sh): CKAN's own wsgi.py, reading the ckan.ini
that start.sh writes (CKAN_INI)."""

import fcntl
import logging
import os
import sys
import time
from logging.config import fileConfig

import sqlalchemy
from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app
from werkzeug.middleware.proxy_fix import ProxyFix

config_path = os.environ["CKAN_INI"]
fileConfig(config_path, disable_existing_loggers=False)  # keep gunicorn's: a worker's boot error is logged
# Workers build the app one at a time: CKAN's start-up (plugins configuring themselves against the databases)
# is written for one process, and a worker failing to boot stops the whole server. The first worker up serves.
config = CKANConfigLoader(config_path).get_config()


def _database_up(url: str, seconds: int = 120) -> bool:
    """Wait (bounded) for the portal's database: a worker that cannot connect while it builds the app fails to
    boot. A database restarting is waited for; one that stays down still fails the boot, after `seconds`."""
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    for _ in range(seconds):
        try:
            with engine.connect():
                return True
        except sqlalchemy.exc.OperationalError:
            time.sleep(1)
    return False


def _database_lost(error: BaseException | None) -> bool:
    """Whether building the app failed because its database went away: a connection error anywhere in the
    causes, or the database unreachable now."""
    while error is not None:
        if isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
            return True
        error = error.__cause__ or error.__context__
    return not _database_up(config["sqlalchemy.url"], seconds=1)


with open(config_path + ".boot.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    _database_up(config["sqlalchemy.url"])
    try:
        application = make_app(config)
    except Exception as error:
        if not _database_lost(error):
            raise  # a broken plugin or setting: gunicorn stops the server, the error in ckan.log
        # The database restarted while this worker built the app (the others serve). Exiting as a crashed worker,
        # not a failed boot, makes gunicorn start another one, which waits for the database, instead of stopping
        # the whole server.
        logging.getLogger("satudata.wsgi").warning("database lost while the worker booted; it starts again")
        sys.exit(1)
# Behind nginx (portal/nginx.conf) every request comes from 127.0.0.1: the visitor's address, which the visit and
# download counts key on, is the one nginx adds to X-Forwarded-For. Gunicorn listens on 127.0.0.1 only.
application = ProxyFix(application, x_for=1)
