"""The ``client`` the checks hold: Werkzeug's test client over a proxy app that crosses into the sandbox.

Every request is built and every response parsed on the trusted side by Werkzeug itself (cookies, redirects,
multipart, JSON); only the WSGI environ and the body bytes cross the process boundary.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from werkzeug.test import Client, EnvironBuilder, TestResponse

from .reproduce import SentRequest
from .sandbox import CheckChannel, StudentRouteError

_KEEP: Any = object()


@functools.lru_cache(maxsize=1)
def _werkzeug_version() -> str:
    from importlib.metadata import version

    return version("werkzeug")


class ProxyApp:
    """A WSGI app that forwards each request to the submission's process and relays its answer."""

    def __init__(self, channel: CheckChannel) -> None:
        self.channel = channel
        self.raise_on_exception = True

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"].read() if environ.get("wsgi.input") is not None else b""
        wire_env = {k: v for k, v in environ.items() if isinstance(v, str)}
        what = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
        if environ.get("QUERY_STRING"):
            what += f"?{environ['QUERY_STRING']}"
        reply, payload = self.channel.request(wire_env, body, what)
        exc = reply.get("exception")
        if exc and self.raise_on_exception:
            message = f"{what}: your route raised {str(exc.get('message', ''))[:1500]}"
            # Before the traceback, which a report may cut short: what was sent, and how to send it again.
            message += "\n" + SentRequest.from_environ(environ, body).reproduce()
            tb = str(exc.get("traceback", ""))[:3000]
            if tb.count("\n") >= 1:
                message += "\n" + tb
            if exc.get("type") == "MemoryError":
                message = (f"{what}: the app ran out of memory (the limit is {self.channel.limits.memory_mb} MB)")
            raise StudentRouteError(message, str(exc.get("type", "")))
        start_response(reply["status"], [tuple(h) for h in reply["headers"]])
        return [payload]


class SandboxClient(Client):
    """Werkzeug's ``Client`` with Flask's test-client defaults, talking to the sandboxed app.

    Like Flask's ``FlaskClient`` it sends ``REMOTE_ADDR=127.0.0.1`` and ``User-Agent: Werkzeug/<version>``.
    ``user_agent=None`` sends no User-Agent at all; ``user_agent="..."`` sends that one. Set
    ``raise_on_exception = False`` to see the 500 response of a view that raised instead of a failure.
    """

    def __init__(self, channel: CheckChannel) -> None:
        self.proxy = ProxyApp(channel)
        super().__init__(self.proxy, response_wrapper=TestResponse, use_cookies=True)
        self.environ_base = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": f"Werkzeug/{_werkzeug_version()}"}

    @property
    def raise_on_exception(self) -> bool:
        return self.proxy.raise_on_exception

    @raise_on_exception.setter
    def raise_on_exception(self, value: bool) -> None:
        self.proxy.raise_on_exception = value

    def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False,
             user_agent: Any = _KEEP, **kwargs: Any) -> TestResponse:
        if not (args and isinstance(args[0], (EnvironBuilder, dict))):
            base = {**self.environ_base, **kwargs.pop("environ_base", {})}
            if user_agent is None:
                base.pop("HTTP_USER_AGENT", None)
            elif user_agent is not _KEEP:
                base["HTTP_USER_AGENT"] = user_agent
            kwargs["environ_base"] = base
        return super().open(*args, buffered=buffered, follow_redirects=follow_redirects, **kwargs)
