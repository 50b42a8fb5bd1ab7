"""Camera credentials out of everything shown or written: `redact(text)`.

Every URL in `text` (a source spec, an error line, a log line) loses its secrets: a userinfo
with a password becomes `user:****@`, one without (often a token) `****@`, and the value of
each query parameter named in SECRET_KEYS becomes `****`. Everything else is left as it was,
byte for byte; the real string is only ever handed to OpenCV. `has_secret(text)` says whether
there is anything to redact.

A password with an unescaped '/', '?', '#' or '@' makes a URL FFmpeg cannot use, but the error
that says so must not show it either: the userinfo runs to the first '@' that is followed by
something shaped like a host, wherever it is.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MASK = "****"
SECRET_KEYS = frozenset({
    "password", "passwd", "pass", "pwd", "user", "username", "auth", "token",
    "access_token", "key", "api_key", "apikey", "secret", "signature", "sig",
})
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]*")
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%\-]+)(?::\d*)?")
_PARAM = re.compile(r"(?<=[?&])([^=&#\s]+)=([^&#\s]*)")
_AUTHORITY_END = re.compile(r"[/?#]")


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it masked. A `text` that is one URL (a
    source spec) is taken whole, so even a password with a space stays hidden."""
    if _URL.match(text) and "\n" not in text:
        return _redact_url(text)
    return _URL.sub(_redact_in_text, text)


def has_secret(text: str) -> bool:
    """Whether `text` holds a URL with credentials (a userinfo or a secret query value)."""
    return redact(text) != text


def _redact_in_text(m: re.Match[str]) -> str:
    """A URL in a sentence: punctuation after it is the sentence's, not the URL's."""
    url = m.group(0).rstrip(".,;:)]}!")
    return _redact_url(url) + m.group(0)[len(url):]


def _redact_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    rest = _PARAM.sub(_redact_param, rest)  # wherever they are, even inside a bad userinfo
    at = _userinfo_end(rest)
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        rest = (f"{user}:{MASK}" if colon else MASK) + rest[at:]
    return f"{scheme}://{rest}"


def _redact_param(m: re.Match[str]) -> str:
    key = unquote_plus(m.group(1)).strip().lower()
    return f"{m.group(1)}={MASK}" if key in SECRET_KEYS else m.group(0)


def _userinfo_end(rest: str) -> int:
    """Index of the '@' ending the userinfo in `rest` (after 'scheme://'), or -1."""
    end = _AUTHORITY_END.search(rest)
    end_at = end.start() if end else len(rest)
    at = rest.rfind("@", 0, end_at)
    if at >= 0 or end_at == 0 or _HOST.fullmatch(rest[:end_at]):
        return at  # the usual case: the authority has the userinfo, or none
    start = end_at  # 'user:pa/ss@host': the first '@' before something shaped like a host
    while (at := rest.find("@", start)) >= 0:
        host = _HOST.match(rest, at + 1)
        if host and not rest.startswith("@", host.end()):
            return at
        start = at + 1
    return -1
