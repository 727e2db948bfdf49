"""The portal's Action API through ckanapi: one HTTP session per thread, every write recorded, an answer
awaited at most `SATUDATA_PORTAL_TIMEOUT` seconds, and every failure named (`PublishError`): a portal down,
failing or slower than the timeout may be retried; a refusal that would come again is `permanent`."""

import ast
import functools
import math
import os
import threading

import ckanapi
import requests

TIMEOUT_ENV = "SATUDATA_PORTAL_TIMEOUT"  # seconds to wait for one answer, for every portal of the process
DEFAULT_TIMEOUT_S = 300.0

SETUP_HINT = (
    "minta administrator portal menjalankan `satudata portal setup` / ask the portal's administrator to "
    "run `satudata portal setup`"
)


class PublishError(RuntimeError):
    """The portal refused part of a publication, or did not complete it (down, failing, slower than the
    timeout); the versions the dataset records stay the previous ones, so a later try sends the change again.
    `permanent`: the same request would be refused again (no permission, a value the table refuses, a wrong
    setting), so a retry cannot help; otherwise a later try may."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Portal:
    """A CKAN portal; every write action is recorded so callers can prove a no-op is a no-op.

    Each request waits at most `timeout` seconds for the answer (default: `portal_timeout()`). Without a limit
    a hung portal holds the step, and the portal pool's slot, forever; with one, the step fails and is retried,
    and nothing is lost: a publication records its versions last, so the next try sends again, applied once
    by key, whatever the portal did not acknowledge, even a load it finished after the client gave up."""

    def __init__(self, url: str, api_token: str | None, loader: str | None = None, timeout: float | None = None):
        self.url = url.rstrip("/")
        self.token = api_token
        self.timeout = portal_timeout() if timeout is None else timeout
        self._local = threading.local()
        self.writes: list[str] = []
        self._loader = loader

    @functools.cached_property
    def status(self) -> dict:
        return self.read("status_show")

    @property
    def loader(self) -> str:
        """How the portal takes rows, read once from `status_show`: "satudata" (the project's portal
        extension, one transaction per load or change set) or "api" (`datastore_upsert` batches)."""
        if self._loader is None:
            self._loader = "satudata" if "satudata" in self.status.get("extensions", []) else "api"
        return self._loader

    @property
    def ckan(self) -> ckanapi.RemoteCKAN:
        """One client (one HTTP session) per thread: first-load batches are sent from several."""
        if not hasattr(self._local, "ckan"):
            self._local.ckan = ckanapi.RemoteCKAN(self.url, apikey=self.token, user_agent="satudata-pipeline")
        return self._local.ckan

    def read(self, action: str, **data):
        return self._send(action, data)

    def write(self, action: str, files: dict | None = None, **data):
        self.writes.append(action)
        return self._send(action, data, files)

    def _send(self, action: str, data: dict, files: dict | None = None):
        try:
            return self.ckan.call_action(action, data, files=files, requests_kwargs={"timeout": self.timeout})
        except requests.Timeout as error:
            raise PublishError(
                f"{action}: portal {self.url} tidak menjawab dalam {self.timeout:g} detik; percobaan berikutnya "
                f"mengirim lagi apa yang belum dicatat portal (diterapkan sekali, per kunci). Bila berulang, periksa "
                f"beban portal atau naikkan {TIMEOUT_ENV} / the portal did not answer within {self.timeout:g} s; "
                f"the next try sends again what the portal has not recorded (applied once, by key). If it keeps "
                f"happening, check the portal's load or raise {TIMEOUT_ENV}"
            ) from error
        except requests.ConnectionError as error:
            raise PublishError(
                f"{action}: portal {self.url} tidak dapat dihubungi atau memutus sambungan; percobaan berikutnya "
                f"mengirim lagi apa yang belum dicatat portal. Periksa bahwa portal berjalan dan alamatnya benar "
                f"(catalogue/portals.yaml: url, url_env) / the portal cannot be reached or dropped the connection; "
                f"the next try sends again what it has not recorded. Check that it runs and that its address is "
                f"right: {str(error)[:300]}"
            ) from error
        except ckanapi.CKANAPIError as error:
            if type(error) is not ckanapi.CKANAPIError:
                raise  # the API's own answer (not found, not authorised, invalid): the caller's to judge
            raise PublishError(
                f"{action}: portal {self.url} gagal menjawab: mati, kelebihan beban atau sedang pemeliharaan; "
                f"percobaan berikutnya mengirim lagi apa yang belum dicatat portal. Bila berulang, periksa log "
                f"portal / the portal failed to answer: down, overloaded or under maintenance; the next try sends "
                f"again what it has not recorded. If it keeps happening, check the portal's log: "
                f"{_http_status(error)}"
            ) from error

    def find(self, action: str, **data):
        try:
            return self.read(action, **data)
        except ckanapi.NotFound:
            return None

    def check_token(self) -> str:
        """The portal user the API token belongs to. A wrong, expired or revoked token is otherwise noticed
        only when something must be written (reads fall back to anonymous), and then as a refusal."""
        try:
            if self.token:
                return self.read("user_show")["name"]  # without an id: the token's own user
        except (ckanapi.NotFound, ckanapi.ValidationError, ckanapi.NotAuthorized):
            pass
        raise PublishError(
            f"token API portal {self.url} tidak diterima (kosong, salah, kedaluwarsa atau dicabut); "
            f"pasang token yang sah di variabel yang dinamai `api_token_env` berkas kabupaten atau "
            f"catalogue/portals.yaml (token baru: `satudata portal setup --new-token`) / the portal's "
            f"API token is not accepted (empty, wrong, expired or revoked); set a valid one in the "
            f"variable named by `api_token_env` in the regency's file or catalogue/portals.yaml (a "
            f"new one: `satudata portal setup --new-token`)",
            permanent=True,
        )

    def xlsx_url(self, resource_id: str) -> str:
        """On the portal's public address: the pipeline may reach it by another (an internal host, a proxy)."""
        return f"{(self.status.get('site_url') or self.url).rstrip('/')}/satudata/unduh/{resource_id}.xlsx"


def portal_timeout() -> float:
    """Seconds to wait for one answer of a portal: `SATUDATA_PORTAL_TIMEOUT`, or DEFAULT_TIMEOUT_S, long enough
    for the portal's one-transaction load of a large table (1,000,000 rows: about 20 s here)."""
    value = os.environ.get(TIMEOUT_ENV) or str(DEFAULT_TIMEOUT_S)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):  # a setting a retry cannot fix
        raise PublishError(
            f"{TIMEOUT_ENV}={value!r}: harus jumlah detik lebih dari 0, mis. 300 / must be a "
            f"number of seconds above 0, e.g. 300",
            permanent=True,
        )
    return seconds


def _http_status(error: Exception) -> str:
    """ckanapi reports an answer it does not recognise as repr([url, status, body])."""
    try:
        _, status, body = ast.literal_eval(str(error))
        return f"HTTP {status}: {' '.join(str(body).split())[:200]}"
    except (ValueError, SyntaxError, TypeError):
        return str(error)[:300]


def call(portal: Portal, what: str, action: str, files: dict | None = None, **data):
    """A write of one step of a publication (`what`), its refusal named with what it means for the public."""
    try:
        return portal.write(action, files=files, **data)
    except ckanapi.NotAuthorized as error:
        raise PublishError(
            f"{what}: {action} ditolak portal: token API tidak berhak (salah, kedaluwarsa, atau "
            f"penggunanya bukan editor organisasi ini atau anggota grup pilarnya) / refused by the "
            f"portal: the API token is not allowed (wrong, expired, or its user is not an editor of "
            f"this organisation or a member of its pillar group: {SETUP_HINT}); the previous "
            f"version stays published: {str(error)[:500]}",
            permanent=True,
        ) from error
    except ckanapi.ValidationError as error:
        raise PublishError(
            f"{what}: {action} ditolak portal / refused by the portal; the previous version "
            f"stays published: {str(error)[:2000]}",
            permanent=True,
        ) from error
    except ckanapi.CKANAPIError as error:
        raise PublishError(
            f"{what}: {action} ditolak portal / refused by the portal; the previous version "
            f"stays published: {str(error)[:2000]}"
        ) from error
