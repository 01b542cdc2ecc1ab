"""Canonical URLs (dedupe level 1): one spelling per page."""
from __future__ import annotations

from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

#: Query parameters that only track the visitor; dropped (compared case-insensitively).
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "twclid",
        "igshid", "ttclid", "_ga", "_gl", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
        "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "rb_clickid",
        "s_cid", "ref_src", "ref_url",
    }
)
#: Parameter-name prefixes that only track (utm_source, utm_medium, ...).
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The archive's key for a page URL.

    w3lib's canonical form (sorted query, normalised percent-encoding, IDNA host)
    with a lower-case scheme and host, no fragment, no default port and no
    tracking parameters; every other parameter is kept.
    """
    parts = urlsplit(url.strip())
    kept = [pair for pair in parts.query.split("&") if pair and not _tracks(pair)]
    cleaned = urlunsplit(parts._replace(query="&".join(kept), fragment=""))
    canonical = urlsplit(canonicalize_url(cleaned, keep_fragments=False))
    scheme = canonical.scheme.lower()
    return urlunsplit(canonical._replace(scheme=scheme, netloc=_netloc(canonical)))


def _tracks(pair: str) -> bool:
    return is_tracking_param(unquote_plus(pair.split("=", 1)[0]))


def _netloc(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep it as written
        return parts.netloc.lower()
    if port is not None and _DEFAULT_PORTS.get(parts.scheme.lower()) != port:
        netloc = f"{netloc}:{port}"
    return netloc
