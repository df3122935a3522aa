"""A small client of the admin API for tests: HTTPS with a real HTTP client (http.client), JSON
bodies, the session cookie and CSRF header like a browser, and RFC 6238 codes."""

import base64
import hashlib
import hmac
import http.client
import json
import ssl
import struct
import time


def totp(secret_b32, at=None, step_offset=0):
    """RFC 6238 with HMAC-SHA-1, 6 digits, 30-second steps."""
    secret = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((at if at is not None else time.time()) // 30) + step_offset
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


class Reply:
    def __init__(self, status, headers, body, raw=b""):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw  # the body's bytes (a ZIP archive, say)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class AdminClient:
    def __init__(self, port, source="127.0.0.1", token=None, cert=None):
        self.port = port
        self.source = source
        self.token = token
        self.cookie = None
        self.csrf = None
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        if cert:
            self.ctx.load_cert_chain(*cert)

    def request(self, method, path, body=None, headers=None, csrf=True):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self.ctx,
                                           source_address=(self.source, 0))
        h = {"Host": "localhost"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else body
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
            text = raw.decode("utf-8", errors="replace")
            headers = {k.lower(): v for k, v in resp.getheaders()}
            cookie = headers.get("set-cookie")
            if cookie:
                name_value = cookie.split(";")[0]
                self.cookie = name_value if name_value.split("=", 1)[1] else None
            return Reply(resp.status, headers, text, raw)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def sign_in(self, jid, password, code=None):
        body = {"jid": jid, "password": password}
        if code:
            body["code"] = code
        r = self.post("/api/v1/session", body)
        if r.status == 201:
            self.csrf = r.json()["csrf_token"]
        return r

    def first_sign_in(self, jid, one_time_password, new_password):
        """One-time password, then the forced change and TOTP enrolment. Returns the TOTP
        secret and the recovery codes."""
        r = self.sign_in(jid, one_time_password)
        assert r.status == 201 and r.json()["stage"] == "password_change", r
        r = self.post("/api/v1/session/password", {"new_password": new_password})
        assert r.status == 200 and r.json()["stage"] == "totp_enrolment", r
        r = self.post("/api/v1/session/totp")
        assert r.status == 200, r
        secret = r.json()["secret"]
        r = self.post("/api/v1/session/totp/confirm", {"code": totp(secret)})
        assert r.status == 200 and r.json()["stage"] == "active", r
        return secret, r.json()["recovery_codes"]
