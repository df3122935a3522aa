"""Security alerts through their channels: each rule raises an alert that reaches an HMAC-signed
webhook (a real HTTP receiver), the tenant's security administrators over XMPP, the log, and the
console's list, where a security administrator acknowledges it (audited)."""

import hashlib
import hmac
import http.server
import json
import sqlite3
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from admin_client import AdminClient
from raw_xmpp import account_password, RawStream, fresh_source
from test_hardening import own  # noqa: F401 (the fixture)

SECRET = "a-webhook-secret-of-some-length"


class Receiver:
    """A webhook endpoint on loopback that keeps what it was sent."""

    def __init__(self):
        self.posts = []
        self.cv = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.cv:
                    outer.posts.append((dict(self.headers), body))
                    outer.cv.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def wait_for(self, rule, timeout=20):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for headers, body in self.posts:
                    doc = json.loads(body)
                    if doc["rule"] == rule:
                        return headers, body, doc
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no webhook for %s; got %s" % (rule, self.posts))
                self.cv.wait(left)

    def close(self):
        self.server.shutdown()


@pytest.fixture
def alerting(own):
    receiver = Receiver()
    s = own(extra='\n[alerts]\nwebhook_url = "%s"\nwebhook_secret = "%s"\nquiet_seconds = 0\n'
                  % (receiver.url, SECRET),
            admin="max_failures = 3\nlockout_seconds = 60")
    # The security administrator finishes its first sign-in (so it may use XMPP) and keeps a
    # console session.
    sec = AdminClient(s.admin_port)
    sec.first_sign_in("secadmin@localhost", s.admin_passwords["secadmin@localhost"],
                      "Guard-new-pass-42")
    yield s, receiver, sec
    receiver.close()


def check_signed(headers, body):
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Rampart-Signature"], expected), headers
    assert abs(int(headers["X-Rampart-Timestamp"]) - time.time()) < 120


def xmpp_alerts(s, rule, timeout=20):
    """The security administrator signs in over XMPP and reads the alert messages sent to it
    (stored offline while it was away)."""
    deadline = time.monotonic() + timeout
    with RawStream(s.c2s_port) as st:
        st.login("secadmin", "Guard-new-pass-42", "alerts")
        st.send("<presence/>")
        while time.monotonic() < deadline:
            try:
                el = st.next(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            if el.tag.endswith("message"):
                subject = el.find("{jabber:client}subject")
                body = el.find("{jabber:client}body")
                if subject is not None and subject.text == "Security alert: " + rule:
                    assert el.get("from") == "localhost"
                    return body.text
    raise AssertionError("no XMPP alert for " + rule)


def test_repeated_admin_sign_in_failures(alerting):
    s, receiver, sec = alerting
    attacker = AdminClient(s.admin_port, source=fresh_source())
    for _ in range(3):
        assert attacker.sign_in("auditor@localhost", "guess").status == 401
    headers, body, doc = receiver.wait_for("admin-sign-in-failures")
    check_signed(headers, body)
    assert "auditor@localhost" in doc["summary"] and doc["severity"] == "warning"
    assert "auditor@localhost" in xmpp_alerts(s, "admin-sign-in-failures")
    # Listed in the console and acknowledged there, audited.
    items = sec.get("/api/v1/alerts?open=true").json()["items"]
    alert = [a for a in items if a["rule"] == "admin-sign-in-failures"][0]
    assert sec.post("/api/v1/alerts/%d/acknowledge" % alert["id"]).status == 204
    assert sec.post("/api/v1/alerts/%d/acknowledge" % alert["id"]).status == 409
    items = sec.get("/api/v1/alerts").json()["items"]
    acked = [a for a in items if a["id"] == alert["id"]][0]
    assert acked["acknowledged_by"] == "secadmin@localhost"
    records = [json.loads(l) for l in s.ctl("audit", "tail", "-n", "50", "--json").stdout.splitlines()]
    assert any(r["action"] == "alert.acknowledge" and r["object"] == "alert %d" % alert["id"]
               for r in records)


def test_sign_in_from_outside_the_allow_list(own):
    receiver = Receiver()
    try:
        s = own(extra='\n[alerts]\nwebhook_url = "%s"\nwebhook_secret = "%s"\n'
                      % (receiver.url, SECRET),
                admin='allow = ["127.0.0.1/32"]')
        sec = AdminClient(s.admin_port)
        sec.first_sign_in("secadmin@localhost", s.admin_passwords["secadmin@localhost"],
                          "Guard-new-pass-42")
        r = AdminClient(s.admin_port, source="127.0.0.9").sign_in("sysadmin@localhost", "x")
        assert r.status == 403
        headers, body, doc = receiver.wait_for("admin-allow-list")
        check_signed(headers, body)
        assert "127.0.0.9" in doc["summary"]
        assert "127.0.0.9" in xmpp_alerts(s, "admin-allow-list")
    finally:
        receiver.close()


def test_audit_verification_failure(alerting):
    s, receiver, sec = alerting
    db = sqlite3.connect(s.data_dir / "audit.db")
    seq = db.execute("SELECT seq FROM audit_log WHERE body LIKE '%localhost%' ORDER BY seq"
                     ).fetchone()[0]
    db.execute("UPDATE audit_log SET body = replace(body, 'localhost', 'l0calhost') WHERE seq = ?",
               (seq,))
    db.commit()
    db.close()
    auditor = s.ctl("token", "create", "auditor@localhost").stdout.strip()
    r = AdminClient(s.admin_port, token=auditor).get("/api/v1/audit/verification")
    assert r.status == 200 and r.json()["intact"] is False and \
        r.json()["first_bad_record"] == seq, r
    headers, body, doc = receiver.wait_for("audit-verification")
    check_signed(headers, body)
    assert doc["severity"] == "critical"
    assert "record %d" % seq in xmpp_alerts(s, "audit-verification")


def test_unwritable_audit_log(alerting):
    s, receiver, sec = alerting
    token = s.ctl("token", "create", "sysadmin@localhost").stdout.strip()
    db = sqlite3.connect(s.data_dir / "audit.db", timeout=1, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        r = AdminClient(s.admin_port, token=token).post(
            "/api/v1/users", {"jid": "ghost@localhost", "password": account_password("pw-ghost")})
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert r.status == 503
    headers, body, doc = receiver.wait_for("audit-unwritable")
    check_signed(headers, body)
    assert "audit log cannot be written" in xmpp_alerts(s, "audit-unwritable")


def test_certificate_expiring_within_30_days(alerting):
    """The test certificates are valid for two days: the start-up check says so."""
    s, receiver, sec = alerting
    headers, body, doc = receiver.wait_for("tls-certificate-expiry")
    check_signed(headers, body)
    assert "expires at" in doc["summary"]
    assert "expires at" in xmpp_alerts(s, "tls-certificate-expiry")
    records = [json.loads(l) for l in s.ctl("audit", "tail", "-n", "80", "--json").stdout.splitlines()]
    assert any(r["action"] == "tls.certificate" for r in records), "certificate changes are audited"


def test_storage_errors(alerting):
    s, receiver, sec = alerting
    token = s.ctl("token", "create", "sysadmin@localhost").stdout.strip()
    db = sqlite3.connect(s.data_dir / "rampart.db", timeout=1, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        r = AdminClient(s.admin_port, token=token).post(
            "/api/v1/users", {"jid": "blocked@localhost", "password": account_password("pw-blocked")})
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert r.status == 500 and r.headers["content-type"] == "application/problem+json", r
    headers, body, doc = receiver.wait_for("storage-errors")
    check_signed(headers, body)
    assert "storage error" in xmpp_alerts(s, "storage-errors")
