"""Client-IP resolution that proxies cannot be tricked by.

Proxy headers (``CF-Connecting-IP`` → ``X-Real-IP`` → first ``X-Forwarded-For`` entry) are honoured
only when the socket peer is one of ``settings.TRUSTED_PROXIES`` (addresses or CIDR networks);
otherwise the socket address is the client, whatever headers the client sent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

from django.conf import settings

_PROXY_HEADERS = ("HTTP_CF_CONNECTING_IP", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_FOR")


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def is_trusted_proxy(peer: str | None, proxies: Iterable[str]) -> bool:
    """True when ``peer`` lies in one of the trusted proxy networks."""
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(proxies)))


def resolve_client_ip(meta: Mapping[str, str], proxies: Iterable[str] | None = None) -> str | None:
    """Return the client IP for a request's META (WSGI/ASGI environ)."""
    proxies = tuple(settings.TRUSTED_PROXIES if proxies is None else proxies)
    peer = _valid_ip(meta.get("REMOTE_ADDR", "") or "")
    if peer and is_trusted_proxy(peer, proxies):
        for header in _PROXY_HEADERS:
            raw = meta.get(header)
            if raw:
                candidate = _valid_ip(raw.split(",")[0])
                if candidate:
                    return candidate
    return peer


def client_ip(request) -> str | None:
    """The client IP of a Django request (set once by ``ClientIPMiddleware``)."""
    cached = getattr(request, "client_ip", None)
    if cached is not None:
        return cached
    return resolve_client_ip(request.META)
