"""Account security through the operator contract (rampartctl) and real XMPP clients: device
credentials (app passwords) checked by SCRAM against each of an account's keys, freeze (lock
and suspend) and unfreeze, one-click logout, and the login record."""
import json
import time

import pytest

from admin_client import AdminClient

from raw_xmpp import NS_CLIENT, NS_SASL, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run

NS_SM = "urn:xmpp:sm:3"


def ctl_ok(server, *args):
    r = server.ctl(*args)
    assert r.returncode == 0, "rampartctl %s: %s %s" % (" ".join(args), r.stdout, r.stderr)
    return r.stdout


def sasl_condition(el):
    assert el.tag == q(NS_SASL, "failure"), "expected a SASL failure, got %s" % el.tag
    return [c.tag.split("}")[1] for c in el if c.tag != q(NS_SASL, "text")][0]


def sasl_text(el):
    t = el.find(q(NS_SASL, "text"))
    return t.text if t is not None else ""


def try_auth(server, user, password, mechanism="SCRAM-SHA-256"):
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.secure()
        return s.auth(user, password, mechanism, restart=False)


def session(server, account, password=None, resource="r"):
    s = RawStream(server.tls_port, direct_tls=True)
    s.login(account.local, password or account.password, resource)
    return s


def ends_within(stream, seconds):
    """The server ends the stream (stream error then close) within `seconds`; returns the
    condition and text."""
    start = time.monotonic()
    cond, text, _ = stream.stream_error(timeout=seconds + 1)
    assert time.monotonic() - start <= seconds + 0.5, "the session ended too late"
    return cond, text


def eventually(fn, timeout=5):
    """fn() once it returns something true (records are written a moment after sign-in)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def still_alive(stream):
    reply = stream.iq("<ping xmlns='urn:xmpp:ping'/>", timeout=5)
    return reply.get("type") == "result"


# ---- device credentials -----------------------------------------------------------------

def test_app_password_signs_in_with_every_scram_variant_and_is_listed(server, users):
    alice = users.new("alice")
    out = ctl_ok(server, "device", "add", alice.jid, "Phone")
    app = out.strip()
    assert out.count("\n") == 1 and len(app) == 19, "device add prints only the app password"
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1", "SCRAM-SHA-256-PLUS"):
        kw = {}
        with RawStream(server.tls_port, direct_tls=True) as s:
            s.secure()
            if mech.endswith("-PLUS"):
                from raw_xmpp import tls_exporter, tls_server_end_point
                if s.sock.version() == "TLSv1.3":
                    kw = {"cb_type": "tls-exporter", "cb_data": tls_exporter(s.sock)}
                else:
                    kw = {"cb_type": "tls-server-end-point", "cb_data": tls_server_end_point(s.sock)}
            assert s.auth(alice.local, app, mech, restart=False, **kw).tag == q(NS_SASL, "success"), mech
    # The main password still works, and a wrong one does not.
    assert try_auth(server, alice.local, alice.password).tag == q(NS_SASL, "success")
    assert sasl_condition(try_auth(server, alice.local, app + "x")) == "not-authorized"
    def used():
        rows = [json.loads(l) for l in
                ctl_ok(server, "device", "list", alice.jid, "--json").splitlines()]
        return rows if rows and rows[0]["last_used"] else None
    rows = used() or eventually(used)
    assert rows and len(rows) == 1
    assert rows[0]["name"] == "Phone" and rows[0]["kind"] == "app-password"
    assert rows[0]["last_address"] == "127.0.0.1" and rows[0]["last_used"], rows[0]


def test_app_password_with_slixmpp(server, users):
    alice = users.new("alice")
    app = ctl_ok(server, "device", "add", alice.jid, "Laptop").strip()

    async def body():
        async with Clients(server) as cs:
            c = await cs.start(alice, "laptop", password=app)
            assert c.boundjid.bare == alice.jid

    run(body(), 30)


def test_revoking_a_device_ends_its_sessions_only(server, users):
    alice = users.new("alice")
    app = ctl_ok(server, "device", "add", alice.jid, "Tablet").strip()
    dev_id = json.loads(ctl_ok(server, "device", "list", alice.jid, "--json").splitlines()[0])["id"]
    tablet = session(server, alice, app, "tablet")
    desk = session(server, alice, None, "desk")
    try:
        ctl_ok(server, "device", "revoke", alice.jid, dev_id)
        cond, text = ends_within(tablet, 1)
        assert cond == "policy-violation" and "revoked" in text
        assert still_alive(desk), "the other sessions keep running"
        assert sasl_condition(try_auth(server, alice.local, app)) == "not-authorized"
    finally:
        tablet.close()
        desk.close()
    r = server.ctl("device", "revoke", alice.jid, dev_id)
    assert r.returncode == 1 and "no device credential" in r.stderr


def test_device_contract_errors(server, users):
    alice = users.new("alice")
    r = server.ctl("device", "add", "nobody@" + server.host, "X")
    assert r.returncode == 1 and "no such account" in r.stderr
    r = server.ctl("device", "add", alice.jid, "bad\x01name")
    assert r.returncode == 1
    r = server.ctl("device", "frobnicate", alice.jid)
    assert r.returncode == 2


# ---- freeze -----------------------------------------------------------------------------

def test_lock_ends_sessions_and_refuses_sign_in_then_unfreeze(server, users):
    alice = users.new("alice")
    live = session(server, alice)
    try:
        ctl_ok(server, "user", "freeze", alice.jid, "--mode", "lock", "--reason", "incident 7")
        cond, text = ends_within(live, 1)
        assert cond == "policy-violation" and "locked" in text
    finally:
        live.close()
    # The right password learns the account is disabled; a wrong one learns nothing.
    failure = try_auth(server, alice.local, alice.password)
    assert sasl_condition(failure) == "account-disabled"
    assert sasl_condition(try_auth(server, alice.local, "wrong-password")) == "not-authorized"
    # Unfreeze is a separate decision that needs its own reason.
    r = server.ctl("user", "unfreeze", alice.jid)
    assert r.returncode == 2
    ctl_ok(server, "user", "unfreeze", alice.jid, "--reason", "cleared by review")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "back")
        s.send("<presence/>")
        # Both decisions were told to the user (stored while the account was locked).
        bodies = []
        deadline = time.monotonic() + 5
        while len(bodies) < 2 and time.monotonic() < deadline:
            el = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("from") == server.host,
                          timeout=5)
            bodies.append(el.findtext(q(NS_CLIENT, "body")))
        assert "locked" in bodies[0] and "incident 7" in bodies[0], bodies
        assert "unfrozen" in bodies[1], bodies
    audit = ctl_ok(server, "audit", "tail", "-n", "50")
    assert "user.freeze " + alice.jid in audit and "user.unfreeze " + alice.jid in audit


def test_suspend_is_read_only_and_until_expires(server, users):
    alice = users.new("alice")
    bob = users.new("bob")
    live = session(server, alice)
    try:
        ctl_ok(server, "user", "freeze", alice.jid, "--mode", "suspend", "--reason", "review")
        # The live session stays but may no longer send.
        deadline = time.monotonic() + 2
        while True:
            live.send("<message to='%s' id='s1' type='chat'><body>hi</body></message>" % bob.jid)
            try:
                err = live.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "s1",
                                  timeout=0.3)
                break
            except Exception:
                assert time.monotonic() < deadline, "sending was not refused within a second"
        assert err.get("type") == "error" and stanza_error_condition(err) == "forbidden"
        assert still_alive(live), "reading (IQs) still works"
    finally:
        live.close()
    # A new sign-in is allowed, and read-only too.
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "new")
        s.send("<message to='%s' id='s2' type='chat'><body>hi</body></message>" % bob.jid)
        err = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "s2")
        assert stanza_error_condition(err) == "forbidden"
    # A freeze with an end time ends by itself.
    ctl_ok(server, "user", "unfreeze", alice.jid, "--reason", "done")
    end = int(time.time()) + 6
    ctl_ok(server, "user", "freeze", alice.jid, "--until",
           time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)), "--reason", "a few seconds")
    assert sasl_condition(try_auth(server, alice.local, alice.password)) == "account-disabled"
    # The freeze's own end time: nothing to wait on but the clock.
    time.sleep(max(0.0, end - time.time()) + 0.3)
    assert try_auth(server, alice.local, alice.password).tag == q(NS_SASL, "success")


def test_freeze_contract_errors(server, users):
    alice = users.new("alice")
    assert server.ctl("user", "freeze", alice.jid).returncode == 2, "--reason is required"
    r = server.ctl("user", "freeze", alice.jid, "--mode", "melt", "--reason", "x")
    assert r.returncode == 1 and "lock or suspend" in r.stderr
    r = server.ctl("user", "freeze", alice.jid, "--until", "yesterday", "--reason", "x")
    assert r.returncode == 2
    r = server.ctl("user", "unfreeze", alice.jid, "--reason", "x")
    assert r.returncode == 1 and "not frozen" in r.stderr


# ---- logout -----------------------------------------------------------------------------

def test_logout_ends_every_session_including_resumable_ones(server, users):
    alice = users.new("alice")
    a = session(server, alice, None, "one")
    b = session(server, alice, None, "two")
    # A stream-management session whose connection dropped, waiting for resumption.
    c = session(server, alice, None, "three")
    c.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
    enabled = c.expect(lambda e: e.tag == q(NS_SM, "enabled"))
    sm_id = enabled.get("id")
    c.sock.close()
    try:
        start = time.monotonic()
        ctl_ok(server, "user", "logout", alice.jid)
        for s in (a, b):
            cond, text, _ = s.stream_error(timeout=2)
            assert cond == "policy-violation" and "signed out" in text
        assert time.monotonic() - start < 1.5
        # The waiting session is gone too: it cannot be resumed.
        with RawStream(server.tls_port, direct_tls=True) as r:
            r.secure()
            assert r.auth(alice.local, alice.password).tag == q(NS_SASL, "success")
            r.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS_SM, sm_id))
            answer = r.expect(lambda e: e.tag in (q(NS_SM, "failed"), q(NS_SM, "resumed")))
            assert answer.tag == q(NS_SM, "failed")
            # A new sign-in works at once, and the user was told.
            r.bind("after")
            r.send("<presence/>")
            note = r.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("from") == server.host)
            assert "signed out" in note.findtext(q(NS_CLIENT, "body"))
    finally:
        a.close()
        b.close()


def test_logout_with_device_revocation(server, users):
    alice = users.new("alice")
    app = ctl_ok(server, "device", "add", alice.jid, "Old phone").strip()
    ctl_ok(server, "user", "logout", alice.jid, "--revoke-devices")
    assert sasl_condition(try_auth(server, alice.local, app)) == "not-authorized"
    assert ctl_ok(server, "device", "list", alice.jid) == ""


# ---- login record -----------------------------------------------------------------------

def test_login_log_records_every_attempt(server, users):
    alice = users.new("alice")
    assert sasl_condition(try_auth(server, alice.local, "not-the-password")) == "not-authorized"
    app = ctl_ok(server, "device", "add", alice.jid, "Watch").strip()
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, app, "wrist")
    deadline = time.monotonic() + 5
    while True:
        rows = [json.loads(l) for l in ctl_ok(server, "login-log", alice.jid, "--json").splitlines()]
        if len(rows) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(rows) == 2, rows
    newest, oldest = rows
    for row in rows:
        for field in ("time", "source", "client", "credential", "country", "result", "reason"):
            assert field in row, (field, row)
        assert row["source"] == "127.0.0.1"
    assert newest["result"] == "success" and newest["credential"].startswith("app-password:")
    assert newest["resource"] == "wrist" and newest["reason"] == ""
    assert oldest["result"] == "failure" and oldest["reason"] == "not-authorized"
    assert oldest["credential"] == "password"
    assert len(ctl_ok(server, "login-log", alice.jid, "-n", "1", "--json").splitlines()) == 1
    text = ctl_ok(server, "login-log", alice.jid)
    assert "failure from 127.0.0.1" in text and "success from 127.0.0.1" in text
    # Reading login records is itself audited.
    assert "login.read " + alice.jid in ctl_ok(server, "audit", "tail", "-n", "5")


def test_unknown_accounts_are_recorded_without_revealing_anything(server, users):
    r = try_auth(server, "ghost-user", "whatever")
    assert sasl_condition(r) == "not-authorized"
    rows = ctl_ok(server, "login-log", "ghost-user@" + server.host, "--json").splitlines()
    assert json.loads(rows[0])["reason"] == "not-authorized"


def test_lock_list_and_clear_contract(server, users):
    alice = users.new("alice")
    assert server.ctl("lock", "list", "--json").returncode == 0
    out = ctl_ok(server, "lock", "clear", alice.jid)
    assert out.startswith("ok: cleared")
    assert server.ctl("lock", "clear", "not a jid").returncode == 1


# ---- the same through the admin API --------------------------------------------------------

@pytest.fixture(scope="module")
def tokens(server):
    out = {}
    for role in ("sysadmin", "secadmin", "auditor"):
        r = server.ctl("token", "create", "%s@localhost" % role, "--label", "account-security")
        assert r.returncode == 0, r.stderr
        out[role] = r.stdout.strip()
    return out


def api(server, token):
    return AdminClient(server.admin_port, token=token)


def test_admin_api_freeze_logout_devices_logins_and_locks(server, users, tokens):
    alice = users.new("alice")
    path = "/api/v1/users/%s" % alice.jid.replace("@", "%40")
    sec, aud = api(server, tokens["secadmin"]), api(server, tokens["auditor"])
    # Devices: created (password shown once), listed without it, used, revoked.
    r = sec.post(path + "/devices", {"name": "Desk phone"})
    assert r.status == 201, r
    created = r.json()
    assert len(created["password"]) == 19 and created["name"] == "Desk phone"
    assert try_auth(server, alice.local, created["password"]).tag == q(NS_SASL, "success")
    listed = sec.get(path + "/devices").json()["items"]
    assert [d["id"] for d in listed] == [created["id"]] and "password" not in listed[0]
    assert sec.delete(path + "/devices/" + created["id"]).status == 204
    assert sec.delete(path + "/devices/" + created["id"]).status == 404
    # Freeze (suspend, until a time) and unfreeze; the auditor may not.
    assert aud.post(path + "/freeze", {"reason": "x"}).status == 403
    live = session(server, alice)
    try:
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        r = sec.post(path + "/freeze", {"mode": "lock", "until": until, "reason": "API test"})
        assert r.status == 204, r
        cond, text = ends_within(live, 1)
        assert cond == "policy-violation"
    finally:
        live.close()
    # The account list shows the freeze in force.
    listed = sec.get("/api/v1/users?tenant=%s&q=%s" % (server.host, alice.local)).json()["items"]
    mine = [u for u in listed if u["jid"] == alice.jid][0]
    assert mine["frozen"] == {"mode": "lock", "until": mine["frozen"]["until"],
                              "reason": "API test"} and mine["frozen"]["until"].startswith(
        until[:16]), mine
    assert sec.post(path + "/unfreeze", {"reason": "done"}).status == 204
    assert sec.post(path + "/unfreeze", {"reason": "again"}).status == 409
    listed = sec.get("/api/v1/users?tenant=%s&q=%s" % (server.host, alice.local)).json()["items"]
    assert [u for u in listed if u["jid"] == alice.jid][0]["frozen"] is None
    # Logout everywhere.
    live = session(server, alice)
    try:
        assert sec.post(path + "/logout", {"revoke_devices": True}).status == 204
        ends_within(live, 1)
    finally:
        live.close()
    # Login records: the auditor reads them, paged with a cursor.
    r = aud.get(path + "/logins?limit=2")
    assert r.status == 200
    page = r.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    for field in ("time", "source", "client", "credential", "country", "result", "reason"):
        assert field in page["items"][0]
    older = aud.get(path + "/logins?limit=2&cursor=" + page["next_cursor"]).json()["items"]
    assert older and older[0]["id"] < page["items"][-1]["id"]
    # Locks: listed for secadmin and auditor; cleared by secadmin only.
    assert aud.get("/api/v1/locks").status == 200
    assert aud.delete(path + "/locks").status == 403
    r = sec.delete(path + "/locks")
    assert r.status == 200 and r.json()["cleared"] == 0


def test_admin_api_account_security_bad_input(server, users, tokens):
    alice = users.new("alice")
    path = "/api/v1/users/%s" % alice.jid.replace("@", "%40")
    sec = api(server, tokens["secadmin"])
    cases = [
        (path + "/freeze", {"reason": "x", "mode": "melt"}),
        (path + "/freeze", {"reason": "x", "until": "tomorrow"}),
        (path + "/freeze", {"reason": "x", "until": "2001-01-01T00:00:00Z"}),
        (path + "/freeze", {"reason": "x" * 501}),
        (path + "/freeze", {"reason": "x", "extra": 1}),
        (path + "/freeze", {}),
        (path + "/logout", {"revoke_devices": "yes"}),
        (path + "/devices", {"name": ""}),
        (path + "/devices", {"name": "a\u0000b"}),
        (path + "/devices", {"name": "'; DROP TABLE devices; --" * 3}),
        ("/api/v1/users/not-a-jid/freeze", {"reason": "x"}),
    ]
    for url, body in cases:
        r = sec.post(url, body)
        assert r.status in (400, 404, 422), (url, body, r)
        assert r.headers["content-type"] == "application/problem+json", r
    r = sec.request("POST", path + "/freeze", body=b"{not json")
    assert r.status == 400 and r.headers["content-type"] == "application/problem+json"
    # Nothing changed: the account signs in, has no device, is not frozen.
    assert try_auth(server, alice.local, alice.password).tag == q(NS_SASL, "success")
    assert sec.get(path + "/devices").json()["items"] == []
