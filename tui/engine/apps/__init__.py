"""Application-layer programs that run on the simulated stack: web servers, DNS servers and clients.

They talk through real packets (TCP from :mod:`tui.engine.tcp`, UDP sockets of
:class:`~tui.engine.netns.Namespace`), so what a learner captures with tcpdump is
what these programs actually sent. Image behaviours (``nginx_server``,
``whoami_server``) and Docker's embedded DNS server (``EmbeddedResolver``) are
factories that the Docker model calls when a container starts.
"""

from __future__ import annotations

from tui.engine.apps.dns import EmbeddedResolver, getaddrinfo
from tui.engine.apps.http import (
    HttpRequest,
    HttpResult,
    HttpServer,
    http_get,
    nginx_server,
    whoami_server,
)

__all__ = [
    "EmbeddedResolver",
    "HttpRequest",
    "HttpResult",
    "HttpServer",
    "getaddrinfo",
    "http_get",
    "nginx_server",
    "whoami_server",
]
