"""The account center's JSON API (/account/api/v1/ on the client HTTPS listener) through a real
HTTPS client against a real rampartd: sign-in (one answer for every failure), the session
cookie and CSRF token, stages, TOTP enrolment and the second factor, recovery codes, app
passwords checked by real SCRAM sign-ins, sessions with remote logout ending real XMPP
streams, the login records, password change under the tenant's policy, bad input, and a tenant
that requires a second factor (with and without a grace period)."""

import datetime
import json
import itertools
import sqlite3
import time
from urllib.parse import quote

import pytest

from admin_client import AdminClient, totp
from conftest import Account
from raw_xmpp import NS_SASL, RawStream, account_password, fresh_source, q
from test_account_security import sasl_condition, sasl_text
from test_config_hosts import ConfigServer, write_config

API = "/account/api/v1"
AGENT = "rampart-tests/account-center"
COOKIE = "__Host-rampart_account"
SESSION_FIELDS = {"jid", "stage", "csrf_token", "tenant", "second_factor", "password", "frozen",
                  "consent_required"}
LOGIN_FIELDS = {"time", "account", "source", "port", "protocol", "client", "resource",
                "credential", "country", "city", "result", "reason"}


class AccountClient(AdminClient):
    """A browser of the account center: AdminClient's HTTPS requests with the session cookie and
    the X-CSRF-Token header, aimed at the client listener, with a User-Agent and (by default) a
    loopback source address of its own, so that its failed sign-ins pace nobody else."""

    def __init__(self, server, source=None, agent=AGENT):
        super().__init__(server.https_port, source=source or fresh_source())
        self.agent = agent

    def request(self, method, path, body=None, headers=None, csrf=True):
        h = {"User-Agent": self.agent}
        h.update(headers or {})
        return super().request(method, API + path, body=body, headers=h, csrf=csrf)

    def sign_in(self, jid, password):
        r = self.post("/session", {"jid": jid, "password": password})
        if r.status == 201:
            self.csrf = r.json()["csrf_token"]
        return r


_names = itertools.count(1)


def new_account(server, prefix, host=None):
    """A fresh account whose password every profile accepts (no account name, no domain)."""
    local = "%s%d" % (prefix, next(_names))
    jid = "%s@%s" % (local, host or server.host)
    password = account_password(jid)
    server.add_user(jid, password)
    return Account(local, jid, password)


def signed_in(server, account, source=None, agent=AGENT):
    c = AccountClient(server, source=source, agent=agent)
    r = c.sign_in(account.jid, account.password)
    assert r.status == 201, r
    return c


def problem(r, status, slug):
    """The RFC 9457 body of an error answer, after checking its status, media type and type."""
    assert r.status == status, r
    assert r.headers["content-type"] == "application/problem+json", r.headers
    body = r.json()
    assert body["type"] == "urn:rampart:problem:" + slug, body
    assert body["status"] == status, body
    return body


def utc(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def enrol_totp(c):
    """TOTP enrolment from the secret the API returns; the confirming answer's JSON."""
    r = c.post("/totp")
    assert r.status == 200, r
    secret = r.json()["secret"]
    r = c.post("/totp/confirm", {"code": totp(secret)})
    assert r.status == 200, r
    return secret, r.json()


def wrong_code(secret, n=0):
    """A six-digit code that is no valid TOTP code of `secret` around now."""
    valid = {totp(secret, step_offset=k) for k in range(-3, 4)}
    i = n
    while True:
        code = "%06d" % ((271828 + 99991 * i) % 1000000)
        if code not in valid:
            return code
        i += 1


def xmpp_auth(server, local, password, host=None, source=None):
    """One SCRAM-SHA-256 attempt on direct TLS; the <success/> or <failure/> element."""
    with RawStream(server.tls_port, direct_tls=True, host=host or server.host,
                   source=source) as s:
        s.secure()
        return s.auth(local, password, "SCRAM-SHA-256", restart=False)


def xmpp_session(server, local, password, resource, host=None):
    """A bound XMPP session (the caller closes it)."""
    s = RawStream(server.tls_port, direct_tls=True, host=host or server.host)
    try:
        s.login(local, password, resource)
    except BaseException:
        s.close()
        raise
    return s


def log_lines(server, *needles):
    lines = []
    for name in ("stdout.log", "stderr.log"):
        path = server.data_dir / name
        if path.exists():
            lines += path.read_text(errors="replace").splitlines()
    return [line for line in lines if all(n in line for n in needles)]


# ---- sign-in, cookie, CSRF ------------------------------------------------------------------

def test_sign_in_failures_answer_alike_and_success_opens_a_session(server):
    a = new_account(server, "sig")
    c = AccountClient(server)
    wrong = c.sign_in(a.jid, a.password + "x")
    unknown = c.sign_in("nobody-here@" + server.host, a.password)
    foreign = c.sign_in("someone@elsewhere.test", a.password)
    for r in (wrong, unknown, foreign):
        problem(r, 401, "sign-in-failed")
        assert "set-cookie" not in r.headers, r.headers
    # Nothing tells an unknown account from a wrong password.
    assert wrong.body == unknown.body == foreign.body
    assert c.cookie is None
    r = c.sign_in(a.jid, a.password)
    assert r.status == 201, r
    assert r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-store"
    info = r.json()
    assert set(info) == SESSION_FIELDS, info
    assert info["jid"] == a.jid and info["stage"] == "active" and info["tenant"] == server.host
    assert isinstance(info["csrf_token"], str) and len(info["csrf_token"]) >= 16
    assert info["second_factor"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0, "required": False,
                                     "standing": "optional", "grace_until": None}
    pw = info["password"]
    assert pw["profile"] == "mlps" and pw["min_length"] == 8
    assert abs(utc(pw["changed"]) - time.time()) < 600
    assert abs(utc(pw["expires"]) - utc(pw["changed"]) - 90 * 86400) < 1
    assert info["frozen"] is None
    # The cookie opens the session; the token is not the cookie.
    again = c.get("/session")
    assert again.status == 200, again
    assert again.json()["jid"] == a.jid and again.json()["csrf_token"] == info["csrf_token"]
    assert info["csrf_token"] not in c.cookie


def test_session_cookie_attributes_and_sign_out(server):
    a = new_account(server, "ck")
    c = AccountClient(server)
    r = c.sign_in(a.jid, a.password)
    assert r.status == 201, r
    cookie = r.headers["set-cookie"]
    name_value, *attrs = [p.strip() for p in cookie.split(";")]
    name, value = name_value.split("=", 1)
    assert name == COOKIE and len(value) >= 16, cookie
    assert {"Path=/", "Secure", "HttpOnly", "SameSite=Strict"} <= set(attrs), cookie
    assert "Max-Age=28800" in attrs, cookie
    assert not [x for x in attrs if x.lower().startswith("domain=")], "__Host- forbids Domain"
    old = c.cookie
    r = c.delete("/session")
    assert r.status == 204, r
    cleared = r.headers["set-cookie"]
    assert cleared.startswith(COOKIE + "=;") and "Max-Age=0" in cleared, cleared
    assert c.cookie is None
    # The session ended on the server: the old cookie no longer opens anything.
    c.cookie = old
    problem(c.get("/session"), 401, "session-ended")
    problem(c.get("/devices"), 401, "session-ended")
    c.cookie = None
    problem(c.get("/session"), 401, "unauthenticated")
    c.cookie = COOKIE + "=forged-session-identifier"
    problem(c.get("/session"), 401, "session-ended")


def test_state_changes_need_the_sessions_csrf_token(server):
    a = new_account(server, "csrf")
    c = signed_in(server, a)
    other = signed_in(server, a)
    assert other.csrf != c.csrf
    for headers in ({}, {"X-CSRF-Token": "0" * len(c.csrf)}, {"X-CSRF-Token": other.csrf}):
        problem(c.post("/devices", {"name": "Phone"}, csrf=False, headers=headers), 403, "csrf")
    problem(c.delete("/session", csrf=False), 403, "csrf")
    problem(c.post("/logout", {}, csrf=False), 403, "csrf")
    # Nothing happened: both sessions live, no device was made (reads need no token).
    assert c.get("/session").status == 200
    assert other.get("/session").status == 200
    r = c.get("/devices")
    assert r.status == 200 and r.json()["items"] == [], r
    # With the token the same request goes through.
    assert c.post("/devices", {"name": "Phone"}).status == 201
    # An operation of another stage is refused as such.
    body = problem(c.post("/session/second-factor", {"code": "123456"}), 403, "stage")
    assert body["detail"] == "finish signing in first"


def test_locked_account_is_told_only_with_the_right_password(server):
    a = new_account(server, "lock")
    c = signed_in(server, a)
    r = server.ctl("user", "freeze", a.jid, "--mode", "lock", "--reason", "incident 12")
    assert r.returncode == 0, (r.stdout, r.stderr)
    # The open web session ends at its next request.
    body = problem(c.get("/session"), 401, "session-ended")
    assert "locked" in body["detail"]
    fresh = AccountClient(server, source=c.source)
    problem(fresh.sign_in(a.jid, a.password + "x"), 401, "sign-in-failed")
    body = problem(fresh.sign_in(a.jid, a.password), 403, "account-disabled")
    assert "locked" in body["detail"]
    assert fresh.cookie is None


# ---- app passwords ---------------------------------------------------------------------------

def test_app_password_signs_in_over_xmpp_until_revoked(server):
    a = new_account(server, "app")
    c = signed_in(server, a)
    r = c.post("/devices", {"name": "Phone"})
    assert r.status == 201, r
    created = r.json()
    app = created["password"]
    assert len(app) == 19 and app.count("-") == 3, app
    assert created["name"] == "Phone" and created["kind"] == "app-password" and created["id"]
    assert created["last_used"] is None
    # The app password is a device credential: SCRAM over XMPP takes it...
    phone = xmpp_session(server, a.local, app, "phone")
    try:
        assert phone.jid == a.jid + "/phone"
        listed = c.get("/devices").json()["items"]
        assert [d["id"] for d in listed] == [created["id"]]
        assert "password" not in listed[0]
        assert listed[0]["last_used"] and listed[0]["last_address"] == "127.0.0.1", listed[0]
        logins = c.get("/logins").json()["items"]
        assert logins[0]["protocol"] == "xmpp" and logins[0]["result"] == "success"
        assert logins[0]["credential"] == "app-password:" + created["id"], logins[0]
        # ...but it does not open the account center, which takes the account's password.
        problem(AccountClient(server, source=c.source).sign_in(a.jid, app), 401,
                "sign-in-failed")
        # Another account cannot revoke it.
        b = new_account(server, "app")
        problem(signed_in(server, b).delete("/devices/" + quote(created["id"], safe="")), 404,
                "not-found")
        # Revoking it ends the session it opened and every later sign-in with it.
        r = c.delete("/devices/" + quote(created["id"], safe=""))
        assert r.status == 204, r
        cond, text, _ = phone.stream_error(timeout=5)
        assert cond == "policy-violation" and "revoked" in text, (cond, text)
        assert phone.wait_closed(5)
    finally:
        phone.close()
    failure = xmpp_auth(server, a.local, app, source=fresh_source())
    assert sasl_condition(failure) == "not-authorized"
    assert xmpp_auth(server, a.local, a.password).tag == q(NS_SASL, "success")
    assert c.get("/devices").json()["items"] == []
    problem(c.delete("/devices/" + quote(created["id"], safe="")), 404, "not-found")


# ---- second factor ---------------------------------------------------------------------------

def test_totp_enrolment_then_sign_in_needs_the_second_factor(server):
    a = new_account(server, "otp")
    src = fresh_source()
    c = signed_in(server, a, source=src)
    problem(c.post("/totp/confirm", {"code": "123456"}), 409, "precondition")
    r = c.post("/totp")
    assert r.status == 200, r
    enrol = r.json()
    secret = enrol["secret"]
    assert enrol["period"] == 30 and enrol["digits"] == 6 and enrol["algorithm"] == "SHA1"
    assert enrol["otpauth_uri"].startswith("otpauth://totp/")
    assert "secret=" + secret in enrol["otpauth_uri"]
    assert enrol["qr_svg"].startswith("<svg")
    problem(c.post("/totp/confirm", {"code": wrong_code(secret)}), 422, "invalid-input")
    r = c.post("/totp/confirm", {"code": totp(secret)})
    assert r.status == 200, r
    done = r.json()
    codes = done["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert done["stage"] == "active"
    assert done["second_factor"]["totp"] is True
    assert done["second_factor"]["standing"] == "enrolled"
    assert done["second_factor"]["recovery_codes_left"] == 10

    # The password alone now reaches the second-factor stage only.
    c2 = AccountClient(server, source=src)
    r = c2.sign_in(a.jid, a.password)
    assert r.status == 201, r
    assert r.json()["stage"] == "second_factor"
    assert set(r.json()) == {"jid", "stage", "csrf_token", "tenant"}, r.json()
    body = problem(c2.get("/devices"), 403, "stage")
    assert body["detail"] == "enter your second factor first"
    problem(c2.post("/devices", {"name": "X"}), 403, "stage")
    assert c2.get("/session").json()["stage"] == "second_factor"
    problem(c2.post("/session/second-factor", {"code": wrong_code(secret, 1)}), 422, "wrong-code")
    code = totp(secret, step_offset=1)  # the enrolment used up the current step
    r = c2.post("/session/second-factor", {"code": code})
    assert r.status == 200, r
    assert r.json()["stage"] == "active" and r.json()["second_factor"]["totp"] is True
    assert c2.get("/devices").status == 200

    # A TOTP code works once.
    c3 = AccountClient(server, source=src)
    assert c3.sign_in(a.jid, a.password).json()["stage"] == "second_factor"
    problem(c3.post("/session/second-factor", {"code": code}), 422, "wrong-code")
    # A recovery code works once.
    r = c3.post("/session/second-factor", {"code": codes[0]})
    assert r.status == 200, r
    assert r.json()["stage"] == "active"
    assert r.json()["second_factor"]["recovery_codes_left"] == 9
    c4 = AccountClient(server, source=src)
    assert c4.sign_in(a.jid, a.password).json()["stage"] == "second_factor"
    problem(c4.post("/session/second-factor", {"code": codes[0]}), 422, "wrong-code")

    # New recovery codes replace the old ones.
    r = c.post("/recovery-codes")
    assert r.status == 200, r
    fresh_codes = r.json()["recovery_codes"]
    assert len(fresh_codes) == 10 and not set(fresh_codes) & set(codes)
    problem(c4.post("/session/second-factor", {"code": codes[1]}), 422, "wrong-code")
    r = c4.post("/session/second-factor", {"code": fresh_codes[0]})
    assert r.status == 200 and r.json()["stage"] == "active", r

    # Each step of it is in the login records.
    items = c.get("/logins?limit=50").json()["items"]
    web = [i for i in items if i["protocol"] == "web"]
    assert {"password+totp", "password+recovery-code"} <= {
        i["credential"] for i in web if i["result"] == "success"}, web
    assert any(i["result"] == "failure" and i["reason"] == "wrong-second-factor" for i in web)


def test_five_wrong_codes_end_the_sign_in(server):
    a = new_account(server, "five")
    src = fresh_source()
    secret, _ = enrol_totp(signed_in(server, a, source=src))
    c = AccountClient(server, source=src)
    assert c.sign_in(a.jid, a.password).json()["stage"] == "second_factor"
    for n in range(4):
        problem(c.post("/session/second-factor", {"code": wrong_code(secret, n)}), 422,
                "wrong-code")
    cookie = c.cookie
    body = problem(c.post("/session/second-factor", {"code": wrong_code(secret, 4)}), 401,
                   "session-ended")
    assert "too many wrong codes" in body["detail"]
    # The session is gone (even with a right code now); signing in again starts over.
    c.cookie = cookie
    problem(c.post("/session/second-factor", {"code": totp(secret, step_offset=1)}), 401,
            "session-ended")
    again = AccountClient(server, source=src)
    assert again.sign_in(a.jid, a.password).json()["stage"] == "second_factor"
    r = again.post("/session/second-factor", {"code": totp(secret, step_offset=1)})
    assert r.status == 200 and r.json()["stage"] == "active", r


# ---- login records, sessions, logout ---------------------------------------------------------

def test_login_records_show_web_sign_ins(server):
    a = new_account(server, "rec")
    src = fresh_source()
    problem(AccountClient(server, source=src).sign_in(a.jid, a.password + "x"), 401,
            "sign-in-failed")
    c = signed_in(server, a, source=src)
    with xmpp_session(server, a.local, a.password, "lap"):
        pass
    r = c.get("/logins")
    assert r.status == 200, r
    page = r.json()
    assert page["next_cursor"] is None
    items = page["items"]
    assert len(items) == 3, items
    for item in items:
        assert set(item) == LOGIN_FIELDS, item
    xmpp, ok, failed = items  # newest first
    assert xmpp["protocol"] == "xmpp" and xmpp["result"] == "success"
    assert xmpp["resource"] == "lap" and xmpp["source"] == "127.0.0.1"
    for item in (ok, failed):
        assert item["protocol"] == "web" and item["source"] == src
        assert item["client"] == AGENT and item["credential"] == "password"
        assert isinstance(item["port"], int) and item["port"] > 0
    assert ok["result"] == "success" and ok["reason"] == ""
    assert failed["result"] == "failure" and failed["reason"] == "not-authorized"
    assert utc(failed["time"]) <= utc(ok["time"]) <= utc(xmpp["time"])
    # Pages of a given size, continued by the cursor.
    first = c.get("/logins?limit=2").json()
    assert first["items"] == items[:2] and isinstance(first["next_cursor"], str)
    rest = c.get("/logins?limit=2&cursor=" + first["next_cursor"]).json()
    assert rest["items"] == items[2:] and rest["next_cursor"] is None
    problem(c.get("/logins?limit=0"), 422, "invalid-input")
    problem(c.get("/logins?limit=501"), 422, "invalid-input")
    problem(c.get("/logins?cursor=x1"), 422, "invalid-input")


def test_logout_not_me_ends_xmpp_and_web_sessions(server):
    a = new_account(server, "out")
    c = signed_in(server, a)
    other = signed_in(server, a, agent="second browser")
    app = c.post("/devices", {"name": "Tablet"}).json()["password"]
    desk = xmpp_session(server, a.local, a.password, "desk")
    tablet = xmpp_session(server, a.local, app, "tablet")
    try:
        r = c.get("/sessions")
        assert r.status == 200, r
        listed = r.json()
        assert sorted(s["resource"] for s in listed["xmpp"]) == ["desk", "tablet"], listed
        for s in listed["xmpp"]:
            assert s["address"] == "127.0.0.1" and utc(s["since"]) > 0
        web = sorted(listed["web"], key=lambda w: w["client"])
        assert [(w["client"], w["address"], w["current"]) for w in web] == [
            (AGENT, c.source, True), ("second browser", other.source, False)], web
        for w in web:
            assert w["id"] and w["id"] not in c.cookie and w["id"] not in other.cookie
            assert utc(w["since"]) <= utc(w["last_seen"])
        cookie = c.cookie
        r = c.post("/logout", {"not_me": True})
        assert r.status == 204, r
        assert "Max-Age=0" in r.headers["set-cookie"]
        # Both XMPP sessions are ended by the server, with a reason, and closed.
        for stream in (desk, tablet):
            cond, text, _ = stream.stream_error(timeout=5)
            assert cond == "policy-violation" and "signed out" in text, (cond, text)
            assert stream.wait_closed(5)
    finally:
        desk.close()
        tablet.close()
    # Every web session ended, this one included.
    c.cookie = cookie
    problem(c.get("/session"), 401, "session-ended")
    problem(other.get("/session"), 401, "session-ended")
    # "This wasn't me" raised an alert naming the account.
    assert log_lines(server, "event=alert", "rule=user-reported-sign-in", a.jid)
    # Devices were kept (no revoke_devices): the app password and the password sign in anew.
    assert xmpp_auth(server, a.local, app).tag == q(NS_SASL, "success")
    again = signed_in(server, a)
    assert len(again.get("/devices").json()["items"]) == 1


def test_logout_with_revoke_devices(server):
    a = new_account(server, "rvk")
    c = signed_in(server, a)
    app = c.post("/devices", {"name": "Old phone"}).json()["password"]
    assert xmpp_auth(server, a.local, app).tag == q(NS_SASL, "success")
    r = c.post("/logout", {"revoke_devices": True})
    assert r.status == 204, r
    assert sasl_condition(xmpp_auth(server, a.local, app, source=fresh_source())) == \
        "not-authorized"
    assert signed_in(server, a).get("/devices").json()["items"] == []


# ---- password --------------------------------------------------------------------------------

def test_password_change_obeys_the_policy_and_reaches_xmpp(server):
    a = new_account(server, "pwc")
    c = signed_in(server, a)
    new = account_password("renewed " + a.jid)
    body = problem(c.post("/password", {"current_password": a.password + "x",
                                        "new_password": new}), 422, "invalid-input")
    assert body["detail"] == "the current password is wrong"
    body = problem(c.post("/password", {"new_password": new}), 422, "invalid-input")
    assert '"current_password" is required' in body["detail"]
    for bad, rule in (("Ab1-xyz", "at least 8 characters"),
                      ("lowercase-only", "at least 3 of"),
                      ("Kx9-%s-Qz" % a.local, "account name"),
                      (a.password, "differ from the current one")):
        body = problem(c.post("/password", {"current_password": a.password, "new_password": bad}),
                       422, "invalid-input")
        assert rule in body["detail"], (bad, body)
    before = utc(c.get("/session").json()["password"]["changed"])
    r = c.post("/password", {"current_password": a.password, "new_password": new})
    assert r.status == 200, r
    assert r.json()["stage"] == "active"
    assert utc(r.json()["password"]["changed"]) >= before
    # The old password is history now.
    body = problem(c.post("/password", {"current_password": new, "new_password": a.password}),
                   422, "invalid-input")
    assert "last 5 passwords" in body["detail"]
    with xmpp_session(server, a.local, new, "after") as s:
        assert s.jid == a.jid + "/after"
    assert sasl_condition(xmpp_auth(server, a.local, a.password, source=fresh_source())) == \
        "not-authorized"


def test_expired_password_must_be_changed_first(server):
    a = new_account(server, "exp")
    # Set 91 days ago (mlps maximum: 90): the server's clock cannot move, the record can.
    db = sqlite3.connect(str(server.data_dir / "rampart.db"), timeout=10)
    try:
        with db:
            db.execute("UPDATE account_state SET password_changed = ? WHERE host = ? AND user = ?",
                       (int((time.time() - 91 * 86400) * 1000), server.host, a.local))
    finally:
        db.close()
    c = AccountClient(server)
    r = c.sign_in(a.jid, a.password)
    assert r.status == 201, r
    assert r.json()["stage"] == "password_change"
    assert utc(r.json()["password"]["expires"]) < time.time()
    body = problem(c.get("/devices"), 403, "stage")
    assert body["detail"] == "change your expired password first"
    problem(c.post("/totp"), 403, "stage")
    new = account_password("renewed " + a.jid)
    r = c.post("/password", {"new_password": new})  # no current password at this stage
    assert r.status == 200, r
    assert r.json()["stage"] == "active"
    assert c.get("/devices").status == 200
    with xmpp_session(server, a.local, new, "fresh") as s:
        assert s.jid == a.jid + "/fresh"


# ---- bad input -------------------------------------------------------------------------------

def test_bad_input_gets_precise_problems(server):
    a = new_account(server, "bad")
    c = AccountClient(server)
    sign_in = b'{"jid": "%s", "password": "%s"}' % (a.jid.encode(), a.password.encode())
    for ctype in ("application/x-www-form-urlencoded", "text/plain"):
        problem(c.request("POST", "/session", body=sign_in, headers={"Content-Type": ctype}),
                415, "unsupported-media-type")
    for raw in (b"{not json", b"[1, 2]", b'"text"'):
        problem(c.request("POST", "/session", body=raw), 400, "malformed-json")
    for body, detail in (({"jid": a.jid, "password": a.password, "remember": True},
                          'unknown field "remember"'),
                         ({"jid": 7, "password": a.password}, '"jid" must be a string'),
                         ({"password": a.password}, '"jid" is required')):
        assert problem(c.post("/session", body), 422, "invalid-input")["detail"] == detail
    assert c.cookie is None
    # Unknown paths and methods, before any credentials are looked at.
    problem(c.get("/nope"), 404, "not-found")
    problem(c.post("/nope", {}), 404, "not-found")
    problem(c.get("/session/deeper/still"), 404, "not-found")
    r = c.get("/logout")
    problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "POST"
    r = c.delete("/devices")
    problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "GET, POST"
    r = c.get("/devices/some-id")
    problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "DELETE"
    r = c.request("PUT", "/session")
    assert r.status == 405 and r.headers["content-type"] == "application/problem+json", r
    # Signed in: the bodies of the operations are checked as strictly.
    assert c.sign_in(a.jid, a.password).status == 201
    for body in ({"name": ""}, {"name": "x" * 65}, {"name": "a\u0001b"}, {"name": 7},
                 {"name": "Phone", "extra": 1}, {}):
        problem(c.post("/devices", body), 422, "invalid-input")
    problem(c.request("POST", "/devices", body=b'{"name": "Phone"',), 400, "malformed-json")
    problem(c.request("POST", "/devices", body=b'{"name": "Phone"}',
                      headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
    body = problem(c.post("/logout", {"revoke_devices": "yes"}), 422, "invalid-input")
    assert "true or false" in body["detail"]
    problem(c.post("/logout", {"everyone": True}), 422, "invalid-input")
    problem(c.post("/recovery-codes"), 409, "precondition")  # no second factor yet
    problem(c.post("/recovery-codes", {"count": 3}), 422, "invalid-input")
    problem(c.delete("/devices/no-such-device"), 404, "not-found")
    # None of it changed anything: still signed in, no device made.
    assert c.get("/session").status == 200
    assert c.get("/devices").json()["items"] == []


# ---- a tenant that requires a second factor ------------------------------------------------

@pytest.fixture(scope="module")
def mfa_server(tmp_path_factory):
    """a.test and b.test require a second factor with no grace period; g.test gives 14 days."""
    tmp = tmp_path_factory.mktemp("account-center-mfa")
    extra = """
[account_security]
mfa_required = true
mfa_grace_days = 0

[[hosts]]
name = "g.test"
[hosts.account_security]
mfa_grace_days = 14
"""
    path, data = write_config(tmp, extra)
    s = ConfigServer(data, path, "a.test").start()
    yield s
    if s.running():
        s.stop()


def test_required_second_factor_without_grace(mfa_server):
    s = mfa_server
    a = new_account(s, "mfa", host="a.test")
    # XMPP clients cannot give a second factor: the main password opens nothing.
    failure = xmpp_auth(s, a.local, a.password, host="a.test")
    assert sasl_condition(failure) == "not-authorized"
    assert "second factor" in sasl_text(failure), sasl_text(failure)
    c = AccountClient(s)
    r = c.sign_in(a.jid, a.password)
    assert r.status == 201, r
    info = r.json()
    assert info["stage"] == "totp_enrolment"
    assert info["tenant"] == "Acme & Co <Shanghai> 上海"
    assert info["second_factor"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0, "required": True,
                                     "standing": "missing", "grace_until": None}
    for method, path, payload in (("GET", "/devices", None), ("POST", "/devices", {"name": "P"}),
                                  ("GET", "/sessions", None), ("GET", "/logins", None),
                                  ("POST", "/logout", {}), ("POST", "/recovery-codes", {}),
                                  ("POST", "/password", {"current_password": a.password,
                                                         "new_password": "Kx9-ogiqe-Qz"})):
        body = problem(c.request(method, path, body=payload), 403, "stage")
        assert body["detail"] == "enrol a second factor first", (method, path, body)
    assert c.get("/session").json()["stage"] == "totp_enrolment"
    secret, done = enrol_totp(c)
    assert done["stage"] == "active"
    assert done["second_factor"]["standing"] == "enrolled" and done["second_factor"]["required"]
    # Each device now gets its own app password, which XMPP takes.
    r = c.post("/devices", {"name": "Phone"})
    assert r.status == 201, r
    app, device = r.json()["password"], r.json()["id"]
    with xmpp_session(s, a.local, app, "phone", host="a.test") as phone:
        assert phone.jid == a.jid + "/phone"
    # The main password still opens no XMPP session, enrolled or not.
    failure = xmpp_auth(s, a.local, a.password, host="a.test")
    assert sasl_condition(failure) == "not-authorized"
    assert "second factor" in sasl_text(failure)
    items = c.get("/logins").json()["items"]
    xmpp = [i for i in items if i["protocol"] == "xmpp"]
    assert [i["reason"] for i in xmpp if i["result"] == "failure"] == [
        "second-factor-required"] * 2, xmpp
    assert [i["credential"] for i in xmpp if i["result"] == "success"] == [
        "app-password:" + device], xmpp
    # Signing in to the account center again asks for the factor just enrolled.
    again = AccountClient(s)
    assert again.sign_in(a.jid, a.password).json()["stage"] == "second_factor"
    r = again.post("/session/second-factor", {"code": totp(secret, step_offset=1)})
    assert r.status == 200 and r.json()["stage"] == "active", r


def test_required_second_factor_during_grace(mfa_server):
    s = mfa_server
    a = new_account(s, "grace", host="g.test")
    with xmpp_session(s, a.local, a.password, "desk", host="g.test") as desk:
        assert desk.jid == a.jid + "/desk"
    c = AccountClient(s)
    r = c.sign_in(a.jid, a.password)
    assert r.status == 201, r
    info = r.json()
    assert info["stage"] == "active" and info["tenant"] == "g.test"
    factor = info["second_factor"]
    assert factor["required"] is True and factor["totp"] is False
    assert factor["standing"] == "grace", factor
    assert factor["grace_until"], factor
    assert abs(utc(factor["grace_until"]) - (time.time() + 14 * 86400)) < 3600, factor
    assert c.get("/devices").status == 200
    assert xmpp_auth(s, a.local, a.password, host="g.test").tag == q(NS_SASL, "success")


def test_operator_resets_a_lost_second_factor_of_an_ordinary_account(server):
    a = new_account(server, "lostphone")
    c = signed_in(server, a)
    enrol_totp(c)
    again = AccountClient(server)
    assert again.sign_in(a.jid, a.password).json()["stage"] == "second_factor"
    r = server.ctl("mfa", "reset", a.jid)
    assert r.returncode == 0 and "passkeys" in r.stdout, (r.stdout, r.stderr)
    # The password alone opens the account center again, with no factor left to ask for.
    info = AccountClient(server).sign_in(a.jid, a.password).json()
    assert info["stage"] == "active", info
    assert info["second_factor"]["totp"] is False and info["second_factor"]["passkeys"] == 0
    assert info["second_factor"]["recovery_codes_left"] == 0
    records = [json.loads(l) for l in server.ctl("audit", "tail", "-n", "30", "--json")
               .stdout.splitlines()]
    assert any(r["action"] == "admin.totp_reset" and r["object"] == a.jid
               and r["result"] == "success" for r in records), records[-3:]
    # The person is told, by a message from the host.
    with xmpp_session(server, a.local, a.password, "phone") as st:
        st.send("<presence/>")
        note = st.expect(lambda e: e.tag.endswith("message") and e.get("from") == server.host
                         and "reset by an administrator" in (e.findtext("{jabber:client}body")
                                                             or ""), timeout=5)
        assert note is not None
