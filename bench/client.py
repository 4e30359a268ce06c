"""A small HTTP client for the load test and the two-server test: one keep-alive connection to
127.0.0.1, cookies kept by hand (the production session cookie is Secure, which a cookie jar
would not send over plain HTTP to a local test server), and the app's login and CSRF steps."""

import http.client
import json
import re
from urllib.parse import urlencode, urlsplit

CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')  # searched in the bytes, not decoded


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Browser:
    """One user's connection to one server (`base` like http://127.0.0.1:8000)."""

    def __init__(self, base: str, timeout: float = 30):
        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("this client talks to this machine only")
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self._conn = None

    def request(self, method: str, path: str, *, form=None, json_body=None, headers=None) -> Response:
        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                raw = self._conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed an idle keep-alive connection: once more on a new one
                if attempt == 2:
                    raise
        for header in raw.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in header.lower() or value == "":
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        response = Response(raw.status, raw.headers, data)
        match = CSRF_META.search(data) if "text/html" in raw.getheader("Content-Type", "") else None
        if match:
            self.csrf = match.group(1).decode()
        return response

    def get(self, path, *, follow: bool = False, **kwargs) -> Response:
        response = self.request("GET", path, **kwargs)
        for _ in range(5 if follow else 0):
            if response.status not in (301, 302, 303):
                break
            location = urlsplit(response.headers["Location"])
            response = self.request("GET", location._replace(scheme="", netloc="").geturl())
        return response

    def post_form(self, path, data=None, **kwargs) -> Response:
        """POST a form as a browser would, with the CSRF token of the last page seen."""
        if self.csrf is None:
            self.get("/", follow=True)
        return self.request("POST", path, form={**(data or {}), "csrf_token": self.csrf}, **kwargs)

    def login(self, username: str, password: str) -> Response:
        """The login form's answer (302 when logged in); a successful login starts a new session,
        so the next form's CSRF token is read from the page it leads to."""
        self.get("/login")
        response = self.post_form("/login", {"username": username, "password": password})
        if response.status == 302:
            self.csrf = None
            self.get("/", follow=True)
        return response

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
