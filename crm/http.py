"""The one HTTP client for calls to outside services: a session, timeouts, and error classes."""

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class TransientError(Exception):
    """Worth trying again later: a timeout, a busy server, a rate limit."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Trying again will not help: an unknown address, a refused payload, a blocked bot."""


TIMEOUT = (3.05, 10)  # connect, read: seconds


# Reads that change nothing are tried again on a dropped connection or a busy server, twice, backing
# off. Only when asked: some providers' GETs act (Zadarma places a call on one), and the outbox keeps
# its own rules for retrying sends.
_READ_RETRIES = Retry(
    total=2, backoff_factor=0.3, status_forcelist=(502, 503, 504), allowed_methods=["GET"], raise_on_status=False
)


def http_session(*, retry_reads: bool = False) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "customer-crm/1"
    if retry_reads:
        adapter = HTTPAdapter(max_retries=_READ_RETRIES)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


def http_post(session: requests.Session, url: str, **kwargs) -> requests.Response:
    """POST with timeouts; a network failure is transient. The caller reads the answer."""
    try:
        return session.post(url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as error:
        raise TransientError(f"{type(error).__name__}: {error}") from error


def http_get(session: requests.Session, url: str, **kwargs) -> requests.Response:
    """GET with timeouts (and retries, from a session that asked for them); a network failure is transient."""
    try:
        return session.get(url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as error:
        raise TransientError(f"{type(error).__name__}: {error}") from error


def http_raise_for_status(response: requests.Response, *, what: str, detail: str = "", retry_after=None) -> None:
    """429 and 5xx are worth retrying; any other 4xx is not."""
    if response.status_code < 400:
        return
    text = f"{what}: HTTP {response.status_code} {detail or response.text[:200]}".strip()
    if response.status_code == 429 or response.status_code >= 500:
        if retry_after is None:
            try:
                retry_after = float(response.headers.get("Retry-After", ""))
            except ValueError:
                retry_after = None
        raise TransientError(text, retry_after=retry_after)
    raise PermanentError(text)


def http_url_or_blank(url: str) -> str:
    """The URL if it is an http(s) link to a host, else "": what an outside system sends us as a link (a call's
    recording) is shown to managers as one, and `javascript:…` there would run in the admin's origin."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.hostname else ""
