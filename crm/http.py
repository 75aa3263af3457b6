"""The one HTTP client for calls to outside services: a session, timeouts, and error classes."""

import requests


class TransientError(Exception):
    """Worth trying again later: a timeout, a busy server, a rate limit."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Trying again will not help: an unknown address, a refused payload, a blocked bot."""


TIMEOUT = (3.05, 10)  # connect, read: seconds


def http_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "customer-crm/1"
    return session


def http_post(session: requests.Session, url: str, **kwargs) -> requests.Response:
    """POST with timeouts; a network failure is transient. The caller reads the answer."""
    try:
        return session.post(url, timeout=TIMEOUT, **kwargs)
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
