"""What a check sent, told to the student: the request's parts that matter, and a ``curl`` line that sends it again.

A failing check is only useful if the student can see the same failure on their own machine. This module turns
the WSGI environ and body of a request the test client built into a few lines (method, path, the headers the
check chose, the body or form fields, an uploaded file's name and size) and a ``curl`` command to run against
``flask --app app run``. It is pure: no sandbox, no pytest; both the check helpers (from a response's
``.request``) and the client (for a route that raised) use it.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from werkzeug.wrappers import Request

DEFAULT_BASE = "http://127.0.0.1:5000"  # where `flask --app app run` listens
_SHOW = 300  # characters of a body or value shown in the description
_PRINTF_MAX = 512  # bytes of an uploaded file written out exactly in the curl line; larger ones are stand-ins
# Headers the client adds on its own: they say nothing about what the check varied.
_NOT_SHOWN = {"HTTP_HOST", "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE"}


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class SentRequest:
    """The parts of one request a student needs to send it again."""

    method: str
    path: str  # decoded, as the route sees it
    query: str  # as sent (percent-encoded)
    headers: tuple[tuple[str, str], ...]  # the ones the check chose (Content-Type, cookies, X-..., User-Agent)
    user_agent: str | None  # None: the request had no User-Agent header at all
    default_user_agent: bool  # the client's own `Werkzeug/x.y`: any User-Agent would do
    content_type: str
    body: bytes

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any], body: bytes) -> SentRequest:
        user_agent = environ.get("HTTP_USER_AGENT")
        headers = []
        content_type = str(environ.get("CONTENT_TYPE") or "")
        if content_type:
            headers.append(("Content-Type", content_type))
        for key in sorted(environ):
            if key.startswith("HTTP_") and key not in _NOT_SHOWN and key != "HTTP_USER_AGENT":
                name = "-".join(part.capitalize() for part in key[5:].split("_"))
                headers.append((name, str(environ[key])))
        path = str(environ.get("PATH_INFO") or "/")
        try:  # WSGI hands the path over as latin-1 text holding the UTF-8 bytes
            path = path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        return cls(method=str(environ.get("REQUEST_METHOD") or "GET"), path=path,
                   query=str(environ.get("QUERY_STRING") or ""), headers=tuple(headers),
                   user_agent=None if user_agent is None else str(user_agent),
                   default_user_agent=str(user_agent or "").startswith("Werkzeug/"),
                   content_type=content_type, body=body)

    @property
    def target(self) -> str:
        """``GET /search?q=x``: how messages name the request."""
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")

    @property
    def mimetype(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    def _multipart(self) -> tuple[list[tuple[str, str]], list[UploadedFile]]:
        environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": self.content_type,
                   "CONTENT_LENGTH": str(len(self.body)), "wsgi.input": io.BytesIO(self.body)}
        request = Request(environ)
        try:
            fields = list(request.form.items(multi=True))
            files = [UploadedFile(name, storage.filename or "", storage.read())
                     for name, storage in request.files.items(multi=True)]
        except Exception:  # a body the check built is ours, but never let describing it end the check
            return [], []
        finally:
            request.close()  # the parsed files are temporary files
        return fields, files

    def description(self) -> list[str]:
        """The request as a few indented lines for a failure message."""
        lines = [f"Request: {self.target}"]
        if self.user_agent is None:
            lines.append("  (no User-Agent header)")
        elif not self.default_user_agent:
            lines.append(f"  User-Agent: {_short(self.user_agent)}")
        for name, value in self.headers:
            if name == "Content-Type" and self.mimetype == "multipart/form-data":
                value = "multipart/form-data"  # the boundary is noise
            lines.append(f"  {name}: {_short(value)}")
        if self.mimetype == "multipart/form-data":
            fields, files = self._multipart()
            for name, value in fields:
                lines.append(f"  form field {name!r}: {_short(repr(value))}")
            for f in files:
                lines.append(f"  file field {f.field!r}: file name {f.filename!r}, {len(f.content)} bytes")
            if not fields and not files:
                lines.append("  (an empty form)")
        elif self.body:
            if not self.content_type:
                lines.append("  (no Content-Type header)")
            text = _text(self.body)
            if text is None:
                lines.append(f"  body: {len(self.body)} bytes of binary data")
            elif self.mimetype == "application/x-www-form-urlencoded":
                pairs = parse_qsl(text, keep_blank_values=True)
                lines.append("  form fields: " + (", ".join(f"{k}={v!r}" for k, v in pairs) or "(none)"))
            else:
                what = "JSON body" if self.mimetype == "application/json" else "body"
                lines.append(f"  {what}: {_short(text)}")
        elif self.method in ("POST", "PUT", "PATCH"):
            lines.append("  (an empty body)")
        return lines

    def curl(self, base: str = DEFAULT_BASE) -> str:
        """A curl command that sends this request to the app run locally."""
        url = base + quote(self.path, safe="/:@!$&'()*+,;=-._~") + (f"?{self.query}" if self.query else "")
        args = ["curl", "-i"]
        if self.method != "GET":
            args += ["-X", self.method]
        args.append(url)
        stdin = ""
        if self.user_agent is None:
            args += ["-H", "User-Agent:"]  # curl then sends none at all
        elif not self.default_user_agent:
            args += ["-H", f"User-Agent: {self.user_agent}"]
        multipart = self.mimetype == "multipart/form-data"
        for name, value in self.headers:
            if name == "Content-Type" and (multipart or (self.body and value == "application/x-www-form-urlencoded")):
                continue  # curl -F and --data-binary set these themselves
            args += ["-H", f"{name}: {value}"]
        if multipart:
            fields, files = self._multipart()
            for name, value in fields:
                args += ["--form-string", f"{name}={value}"]
            for i, f in enumerate(files):
                if i == 0:
                    stdin = _bytes_on_stdin(f.content)
                    args += ["-F", f"{f.field}=@-;filename={f.filename}"]
                else:
                    args += ["-F", f"{f.field}=@{f.filename or 'file'}"]
            if not fields and not files:
                args += ["-H", "Content-Type: multipart/form-data; boundary=x", "--data-binary", ""]
        elif self.body:
            if not self.content_type:
                args += ["-H", "Content-Type:"]  # --data-binary would otherwise claim a form
            text = _text(self.body)
            if text is None or "\0" in text:
                stdin = _bytes_on_stdin(self.body)
                args += ["--data-binary", "@-"]
            else:
                args += ["--data-binary", text]
        elif self.content_type:
            args += ["--data-binary", ""]
        return stdin + " ".join(shlex.quote(a) for a in args)

    def reproduce(self) -> str:
        """The description and the curl line, as the block a failure message ends with."""
        lines = self.description()
        lines.append("See it yourself: run `flask --app app run`, then in another terminal:")
        lines.append("  " + self.curl())
        return "\n".join(lines)


def _short(text: str) -> str:
    return text if len(text) <= _SHOW else text[:_SHOW] + f"... ({len(text)} characters)"


def _text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _bytes_on_stdin(content: bytes) -> str:
    """``printf ... | ``: the exact bytes for small contents; for larger ones, as many random bytes."""
    if len(content) > _PRINTF_MAX:
        return f"head -c {len(content)} /dev/urandom | "
    # %b with octal escapes is POSIX printf: it writes any byte, NUL included, in sh, dash and bash alike.
    escaped = "".join(chr(b) if 32 <= b < 127 and chr(b) not in "\\'%" else f"\\0{b:03o}" for b in content)
    return f"printf '%b' '{escaped}' | "
