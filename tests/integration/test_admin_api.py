"""The admin API on its own listener, through a real HTTPS client: the full role x operation
matrix taken from the OpenAPI document, authentication (tokens, console sessions with TOTP,
CSRF, timeouts, lockout), the separation rules, allow-lists per listener and per role, and
the audit trail of all of it, fail-closed."""

import json
import re
import sqlite3
import threading
import time

import pytest

from admin_client import AdminClient, totp
from raw_xmpp import account_password, fresh_source
from test_hardening import own, start_config_server  # noqa: F401 (the fixture)

ROLES = ("sysadmin", "secadmin", "auditor", "reviewer")


def add_reviewer(server):
    """The content reviewer is no first-start administrator: an account granted the role."""
    jid = "reviewer@localhost"
    if server.ctl("user", "add", jid, account_password(jid)).returncode == 0:
        r = server.ctl("role", "grant", jid, "reviewer")
        assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def admin(server):
    """API tokens for the three first-start administrators and a content reviewer (made with
    rampartctl)."""
    add_reviewer(server)
    tokens = {}
    for role in ROLES:
        r = server.ctl("token", "create", "%s@localhost" % role, "--label", "tests")
        assert r.returncode == 0, r.stderr
        tokens[role] = r.stdout.strip()
    return tokens


def client(server, token=None, source="127.0.0.1"):
    return AdminClient(server.admin_port, source=source, token=token)


def audit_records(server, tokens, **query):
    q = "&".join("%s=%s" % kv for kv in query.items())
    r = client(server, tokens["auditor"]).get("/api/v1/audit/events?limit=500&" + q)
    assert r.status == 200, r
    return r.json()["items"]


def operations(server):
    r = client(server).get("/api/v1/openapi.json")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method.upper(), op


def fill(path):
    return (path.replace("{jid}", "nobody%40localhost").replace("{role}", "auditor")
            .replace("{id}", "no-such-token"))


def test_openapi_lists_the_roles_of_every_operation(server):
    ops = list(operations(server))
    assert len(ops) >= 25
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids))
    for path, method, op in ops:
        assert path.startswith("/api/v1/")
        assert set(op["x-rampart-roles"]) <= set(ROLES), op
        if op["security"]:
            assert op["x-rampart-roles"], op
        for code in ("401", "403", "422"):
            assert op["responses"][code]["content"]["application/problem+json"]
    # The matrix the document gives is the permission table of docs/security.md.
    by_id = {op["operationId"]: op for _, _, op in ops}
    assert by_id["audit.read"]["x-rampart-roles"] == ["auditor"]
    assert by_id["role.grant"]["x-rampart-roles"] == ["secadmin"]
    assert by_id["user.create"]["x-rampart-roles"] == ["sysadmin"]


def test_no_credentials_is_401_everywhere(server):
    anonymous = client(server)
    for path, method, op in operations(server):
        if not op["security"]:
            continue
        r = anonymous.request(method, fill(path), body={} if method in ("POST", "PUT") else None)
        assert r.status == 401, (method, path, r)
        assert r.headers["content-type"] == "application/problem+json"
    bad = client(server, "rpt_not-a-real-token")
    assert bad.get("/api/v1/roles").status == 401


def test_role_by_operation_matrix(server, admin):
    """Each role's token on each operation: the roles the document names get through to the
    operation (success, or a failure about the input); the others get 403, audited as
    denied."""
    checked = 0
    for path, method, op in operations(server):
        if {"bearer": []} not in op["security"]:
            continue  # open, or console-only (those refuse tokens with 401)
        for role in ROLES:
            c = client(server, admin[role])
            body = {} if method in ("POST", "PUT") else None
            r = c.request(method, fill(path), body=body)
            if role in op["x-rampart-roles"]:
                assert r.status not in (401, 403, 405, 500), (role, method, path, r)
            else:
                assert r.status == 403, (role, method, path, r)
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["type"] == "urn:rampart:problem:forbidden"
            checked += 1
    assert checked >= 60
    denied = audit_records(server, admin, result="denied")
    denied_ops = {(d["actor"], d["action"]) for d in denied}
    for path, method, op in operations(server):
        if {"bearer": []} not in op["security"]:
            continue
        for role in set(ROLES) - set(op["x-rampart-roles"]):
            assert ("%s@localhost" % role, op["operationId"]) in denied_ops, (role, op["operationId"])


def test_console_only_operations_refuse_tokens(server, admin):
    r = client(server, admin["secadmin"]).post("/api/v1/tokens", {"ttl": 3600})
    assert r.status == 401 and "console session" in r.json()["detail"]


def test_separation_of_roles_through_the_api(server, admin):
    server.add_user("dora@localhost", account_password("pw-dora-123456"))
    server.add_user("emil@localhost", account_password("pw-emil-123456"))
    sec = client(server, admin["secadmin"])
    r = sec.post("/api/v1/roles", {"jid": "dora@localhost", "role": "sysadmin"})
    assert r.status == 201 and r.json()["role"] == "sysadmin", r
    # One role per account.
    r = sec.post("/api/v1/roles", {"jid": "dora@localhost", "role": "auditor"})
    assert r.status == 409 and "already holds the role sysadmin" in r.json()["detail"], r
    # Nobody grants or revokes a role of their own.
    r = sec.post("/api/v1/roles", {"jid": "secadmin@localhost", "role": "auditor"})
    assert r.status in (403, 409), r
    r = sec.delete("/api/v1/roles/secadmin%40localhost/secadmin")
    assert r.status == 403 and "own role" in r.json()["detail"], r
    # Precise input errors.
    r = sec.post("/api/v1/roles", {"jid": "emil@localhost", "role": "root"})
    assert r.status == 422 and "no such role" in r.json()["detail"], r
    r = sec.post("/api/v1/roles", {"jid": "emil@localhost", "role": "auditor", "extra": 1})
    assert r.status == 422 and "unknown field" in r.json()["detail"], r
    r = sec.request("POST", "/api/v1/roles", body=b"{not json")
    assert r.status == 400 and r.headers["content-type"] == "application/problem+json"
    r = sec.delete("/api/v1/roles/dora%40localhost/sysadmin")
    assert r.status == 204, r
    records = audit_records(server, admin, action="role.")
    assert any(x["object"].startswith("dora@localhost sysadmin") and x["result"] == "success"
               and x["actor"] == "secadmin@localhost" for x in records)


def test_tenant_scoped_administrator_stays_in_its_tenant(own):
    s = own(extra='\n[[hosts]]\nname = "other.test"')
    s.add_user("tsec@localhost", account_password("pw-tsec-123456"))
    s.add_user("frank@localhost", account_password("pw-frank-123456"))
    s.add_user("olga@other.test", account_password("pw-olga-123456"))
    assert s.ctl("role", "grant", "tsec@localhost", "secadmin", "--tenant",
                 "localhost").returncode == 0
    token = s.ctl("token", "create", "tsec@localhost").stdout.strip()
    c = AdminClient(s.admin_port, token=token)
    r = c.post("/api/v1/roles", {"jid": "frank@localhost", "role": "auditor",
                                 "tenant": "localhost"})
    assert r.status == 201, r
    r = c.post("/api/v1/roles", {"jid": "olga@other.test", "role": "auditor",
                                 "tenant": "other.test"})
    assert r.status == 403 and "tenant" in r.json()["detail"], r
    r = c.post("/api/v1/roles", {"jid": "olga@other.test", "role": "auditor"})
    assert r.status == 403, "a tenant's administrator cannot grant server-wide roles"
    r = c.get("/api/v1/tenants")
    assert [t["name"] for t in r.json()["items"]] == ["localhost"]
    r = c.delete("/api/v1/users/olga%40other.test/sessions")
    assert r.status == 403
    # A tenant's auditor reads its tenant's records only.
    atoken = s.ctl("token", "create", "frank@localhost").stdout.strip()
    a = AdminClient(s.admin_port, token=atoken)
    items = a.get("/api/v1/audit/events?limit=500").json()["items"]
    assert items and all(i["tenant"] == "localhost" for i in items)
    assert a.get("/api/v1/audit/events?tenant=other.test").status == 403


def test_console_first_sign_in_password_change_totp_and_csrf(fresh_server):
    s = fresh_server
    jid = "sysadmin@localhost"
    one_time = s.admin_passwords[jid]
    c = AdminClient(s.admin_port)
    r = c.sign_in(jid, one_time)
    assert r.status == 201 and r.json()["stage"] == "password_change", r
    cookie = r.headers["set-cookie"]
    for attr in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attr in cookie, cookie
    assert cookie.startswith("__Host-rampart_admin=")
    # Nothing else until the one-time password is changed.
    assert c.get("/api/v1/users").status == 403
    # CSRF: a state change without the token is refused.
    r = c.post("/api/v1/session/password", {"new_password": "A-new-long-pass-42"}, csrf=False)
    assert r.status == 403 and r.json()["type"] == "urn:rampart:problem:csrf", r
    r = c.post("/api/v1/session/password", {"new_password": "short"})
    assert r.status == 422, r
    r = c.post("/api/v1/session/password", {"new_password": "A-new-long-pass-42"})
    assert r.status == 200 and r.json()["stage"] == "totp_enrolment", r
    r = c.post("/api/v1/session/totp")
    assert r.status == 200, r
    enrol = r.json()
    assert enrol["qr_svg"].startswith("<svg") and enrol["otpauth_uri"].startswith("otpauth://totp/")
    assert "secret=" + enrol["secret"] in enrol["otpauth_uri"]
    assert c.post("/api/v1/session/totp/confirm", {"code": "000000"}).status in (422,)
    r = c.post("/api/v1/session/totp/confirm", {"code": totp(enrol["secret"])})
    assert r.status == 200 and r.json()["stage"] == "active", r
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert c.get("/api/v1/users").status == 200
    # The one-time password is gone; the new one works in XMPP too.
    from test_admin import try_login
    assert try_login(s, "sysadmin", one_time) == "failure/not-authorized"
    assert try_login(s, "sysadmin", "A-new-long-pass-42") == "success"
    # Sign-out ends the session on the server: the old cookie is dead.
    old_cookie = c.cookie
    assert c.delete("/api/v1/session").status == 204
    c.cookie = old_cookie
    assert c.get("/api/v1/users").status == 401
    # Later sign-ins need the second factor: password alone fails, a fresh code works once.
    c = AdminClient(s.admin_port)
    assert c.sign_in(jid, "A-new-long-pass-42").status == 401
    code = totp(enrol["secret"], step_offset=1)
    r = c.sign_in(jid, "A-new-long-pass-42", code)
    assert r.status == 201 and r.json()["stage"] == "active", r
    assert AdminClient(s.admin_port).sign_in(jid, "A-new-long-pass-42", code).status == 401, \
        "a TOTP code is single-use"
    # A recovery code works once.
    r = AdminClient(s.admin_port).sign_in(jid, "A-new-long-pass-42", codes[0])
    assert r.status == 201, r
    assert AdminClient(s.admin_port).sign_in(jid, "A-new-long-pass-42", codes[0]).status == 401
    # API tokens come from such a session, are shown once and stored hashed.
    r = c.post("/api/v1/tokens", {"ttl": 600, "label": "ci"})
    assert r.status == 201 and r.json()["token"].startswith("rpt_"), r
    token = r.json()["token"]
    listed = c.get("/api/v1/tokens").json()["items"]
    assert [t["label"] for t in listed] == ["ci"] and token not in json.dumps(listed)
    t = AdminClient(s.admin_port, token=token)
    assert t.get("/api/v1/users").status == 200
    assert c.delete("/api/v1/tokens/" + listed[0]["id"]).status == 204
    assert t.get("/api/v1/users").status == 401
    log = "\n".join(json.dumps(r) for r in
                    [json.loads(l) for l in s.ctl("audit", "tail", "-n", "200", "--json")
                     .stdout.splitlines()])
    for action in ("admin.sign_in", "admin.password_change", "admin.totp_enrol",
                   "admin.recovery_code_use", "admin.sign_out", "token.create", "token.revoke"):
        assert '"action":"%s"' % action in log.replace(" ", ""), action
    assert token not in log and one_time not in log


def test_session_idle_and_absolute_timeouts(own):
    s = own(admin="session_idle_timeout = 1\nsession_max_age = 3")
    c = AdminClient(s.admin_port)
    r = c.sign_in("secadmin@localhost", s.admin_passwords["secadmin@localhost"])
    assert r.status == 201
    time.sleep(1.5)
    r = c.get("/api/v1/session")
    assert r.status == 401 and "idle" in r.json()["detail"], r
    c = AdminClient(s.admin_port)
    r = c.sign_in("sysadmin@localhost", s.admin_passwords["sysadmin@localhost"])
    assert r.status == 201
    signed_in = time.monotonic()
    # Busy all the time (never idle for 1 s), yet ended once 3 s old.
    while time.monotonic() - signed_in < 2.4:
        assert c.get("/api/v1/session").status == 200
        time.sleep(0.4)
    while time.monotonic() - signed_in < 3.2:
        time.sleep(0.4)
        r = c.get("/api/v1/session")
    assert r.status == 401 and "maximum age" in r.json()["detail"], r


def test_failed_sign_ins_lock_the_account_and_address_and_alert(own):
    s = own(admin="max_failures = 3\nlockout_seconds = 60")
    src = fresh_source()
    c = AdminClient(s.admin_port, source=src)
    for _ in range(3):
        assert c.sign_in("secadmin@localhost", "wrong-password").status == 401
    r = c.sign_in("secadmin@localhost", s.admin_passwords["secadmin@localhost"])
    assert r.status == 429 and int(r.headers["retry-after"]) > 0, r
    # The address is locked for other accounts too.
    r = c.sign_in("auditor@localhost", s.admin_passwords["auditor@localhost"])
    assert r.status == 429
    log = (s.data_dir / "stdout.log").read_text()
    assert re.search(r"event=alert rule=admin-sign-in-failures", log), log[-2000:]
    records = [json.loads(l) for l in
               s.ctl("audit", "tail", "-n", "50", "--json").stdout.splitlines()]
    failures = [r for r in records if r["action"] == "admin.sign_in" and r["source"] == src]
    assert [r["result"] for r in failures] == ["failure"] * 3 + ["denied"] * 2


def test_console_sign_in_uses_smart_lockout_and_writes_login_records(own):
    """The console's lock is the one sign-in throttle's: guesses from elsewhere lock the account
    for strangers, not for its owner at a familiar address; the locks are listed and cleared
    like XMPP ones, and every attempt is a login record with protocol "admin"."""
    s = own(admin="max_failures = 3\nlockout_seconds = 60")
    jid, password = "auditor@localhost", s.admin_passwords["auditor@localhost"]
    home, attacker, elsewhere = fresh_source(), fresh_source(), fresh_source()
    assert AdminClient(s.admin_port, source=home).sign_in(jid, password).status == 201
    bad = AdminClient(s.admin_port, source=attacker)
    for i in range(3):
        assert bad.sign_in(jid, "Guess-number-%d" % i).status == 401
    r = bad.sign_in(jid, password)
    assert r.status == 429 and r.json()["type"].endswith(":locked"), r
    # The owner at home is not locked out; a stranger's address is (the account is locked for
    # unfamiliar places).
    assert AdminClient(s.admin_port, source=home).sign_in(jid, password).status == 201
    assert AdminClient(s.admin_port, source=elsewhere).sign_in(jid, password).status == 429
    listed = [json.loads(l) for l in s.ctl("lock", "list", "--json").stdout.splitlines()]
    kinds = {(l["kind"], l["account"], l["source"]) for l in listed}
    assert ("account", jid, "") in kinds and ("admin-source", "", attacker) in kinds, listed
    records = [json.loads(l) for l in
               s.ctl("login-log", jid, "-n", "20", "--json").stdout.splitlines()]
    console = [r for r in records if r["protocol"] == "admin"]
    assert [r["result"] for r in console if r["source"] == home] == ["success", "success"], console
    from_attacker = [r for r in console if r["source"] == attacker]
    assert [r["reason"] for r in from_attacker] == ["locked"] + ["not-authorized"] * 3, console
    assert all(r["credential"] == "password" and r["port"] > 0 for r in from_attacker)
    # Cleared by an administrator: strangers may try again; the guessing address stays locked
    # out of the console until its own lock ends.
    assert s.ctl("lock", "clear", jid).returncode == 0
    assert AdminClient(s.admin_port, source=elsewhere).sign_in(jid, password).status == 201
    assert bad.sign_in(jid, password).status == 429


def test_allow_lists_are_enforced_before_credentials(own):
    s = own(admin='allow = ["127.0.0.1/32", "127.0.0.3/32"]\n'
                  '[admin.roles.auditor]\nallow = ["127.0.0.1/32"]')
    sysadmin = s.ctl("token", "create", "sysadmin@localhost").stdout.strip()
    auditor = s.ctl("token", "create", "auditor@localhost").stdout.strip()
    # Outside the listener's list: refused whatever the credentials.
    r = AdminClient(s.admin_port, source="127.0.0.2", token=sysadmin).get("/api/v1/users")
    assert r.status == 403 and r.json()["type"] == "urn:rampart:problem:address-not-allowed"
    r = AdminClient(s.admin_port, source="127.0.0.2").sign_in(
        "secadmin@localhost", s.admin_passwords["secadmin@localhost"])
    assert r.status == 403
    # Inside it, but outside the auditor role's own list.
    assert AdminClient(s.admin_port, source="127.0.0.3", token=sysadmin).get(
        "/api/v1/users").status == 200
    r = AdminClient(s.admin_port, source="127.0.0.3", token=auditor).get("/api/v1/audit/events")
    assert r.status == 403, r
    r = AdminClient(s.admin_port, source="127.0.0.3").sign_in(
        "auditor@localhost", "not-even-checked")
    assert r.status == 403 and r.json()["type"] == "urn:rampart:problem:address-not-allowed"
    assert AdminClient(s.admin_port, source="127.0.0.1", token=auditor).get(
        "/api/v1/audit/events").status == 200
    records = [json.loads(l) for l in
               s.ctl("audit", "tail", "-n", "100", "--json").stdout.splitlines()]
    refused = [r for r in records if r["action"] == "admin.allow_list_refused"]
    assert {r["source"] for r in refused} == {"127.0.0.2", "127.0.0.3"}, refused
    log = (s.data_dir / "stdout.log").read_text()
    assert "event=alert rule=admin-allow-list" in log
    # The refused console sign-in is a login record of the account too.
    logins = [json.loads(l) for l in
              s.ctl("login-log", "auditor@localhost", "--json").stdout.splitlines()]
    assert [(l["protocol"], l["source"], l["reason"]) for l in logins] == \
        [("admin", "127.0.0.3", "refused-by-role-policy")], logins


def test_audit_is_fail_closed(fresh_server, admin_tokens_for):
    """While the audit log cannot be written, an admin write does not happen (503) and the
    failure raises an alert."""
    s = fresh_server
    token = admin_tokens_for(s)["sysadmin"]
    c = AdminClient(s.admin_port, token=token)
    db = sqlite3.connect(s.data_dir / "audit.db", timeout=1, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        r = c.post("/api/v1/users", {"jid": "ghost@localhost", "password": account_password("pw-ghost")})
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert r.status == 503 and r.json()["type"] == "urn:rampart:problem:audit-unavailable", r
    assert "ghost@localhost" not in s.ctl("user", "list", "localhost").stdout
    log = (s.data_dir / "stdout.log").read_text()
    assert "event=alert rule=audit-unwritable" in log
    # Once the log is writable again, so is the server.
    r = c.post("/api/v1/users", {"jid": "ghost@localhost", "password": account_password("pw-ghost")})
    assert r.status == 201, r


@pytest.fixture
def admin_tokens_for():
    def make(s):
        add_reviewer(s)
        return {role: s.ctl("token", "create", "%s@localhost" % role).stdout.strip()
                for role in ROLES}
    return make


def test_audit_api_verification_checkpoints_and_proofs(server, admin):
    import base64
    import hashlib
    import subprocess
    import sys
    from conftest import REPO
    a = client(server, admin["auditor"])
    r = a.get("/api/v1/audit/verification")
    assert r.status == 200 and r.json()["intact"] is True, r
    size = r.json()["tree_size"]
    checkpoint = a.get("/api/v1/audit/checkpoint?size=%d" % size)
    assert checkpoint.status == 200 and checkpoint.body.split("\n")[1] == str(size)
    key = a.get("/api/v1/audit/key").body.strip()
    export = a.get("/api/v1/audit/export")
    assert export.status == 200 and export.headers["content-type"] == "application/jsonl"
    lines = export.body.splitlines()
    first = json.loads(lines[0])
    assert first["seq"] == 1 and first["action"] == "service.start"
    # An inclusion proof of record 1 in the tree of `size`, checked independently.
    proof = a.get("/api/v1/audit/proofs/inclusion?index=0&size=%d" % size)
    assert proof.status == 200, proof
    root = base64.b64decode(checkpoint.body.split("\n")[2])
    tmp = server.data_dir.parent / "proof"
    tmp.mkdir(exist_ok=True)
    (tmp / "leaf.json").write_text(lines[0])
    (tmp / "proof.json").write_text(proof.body)
    r = subprocess.run([sys.executable, str(REPO / "tools" / "audit_verify.py"), "proof-inclusion",
                        "--leaf-body-file", str(tmp / "leaf.json"), "--index", "0", "--size",
                        str(size), "--root-hex", root.hex(), "--proof-file",
                        str(tmp / "proof.json")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (r.stdout, r.stderr)
    # Consistency of the tree at 2 with today's.
    old = a.get("/api/v1/audit/checkpoint?size=2").body
    cons = a.get("/api/v1/audit/proofs/consistency?first=2&second=%d" % size)
    assert cons.status == 200
    (tmp / "cons.json").write_text(cons.body)
    r = subprocess.run([sys.executable, str(REPO / "tools" / "audit_verify.py"),
                        "proof-consistency", "--first", "2", "--second", str(size),
                        "--first-root-hex", base64.b64decode(old.split("\n")[2]).hex(),
                        "--second-root-hex", root.hex(), "--proof-file", str(tmp / "cons.json")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert key.startswith("localhost/audit+")
    # Bad inputs get precise problems.
    assert a.get("/api/v1/audit/proofs/inclusion?index=5&size=2").status == 422
    assert a.get("/api/v1/audit/events?from=yesterday").status == 422
    assert a.get("/api/v1/audit/events?limit=0").status == 422
    # The auditors are audited too.
    reads = audit_records(server, admin, action="audit.")
    assert {"audit.read", "audit.export", "audit.verify"} <= {x["action"] for x in reads}


def make_operator_ca(tmp):
    """An operators' CA and one client certificate it issued (and one it did not)."""
    import subprocess
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    ca_key, ca = tmp / "ca.key", tmp / "ca.pem"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "30", "-subj", "/CN=Rampart operators CA", "-keyout", str(ca_key),
        "-out", str(ca))
    key, csr, cert = tmp / "op.key", tmp / "op.csr", tmp / "op.pem"
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", "/CN=auditor@localhost", "-keyout", str(key), "-out", str(csr))
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "30", "-out", str(cert))
    rogue_key, rogue = tmp / "rogue.key", tmp / "rogue.pem"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "30", "-subj", "/CN=auditor@localhost", "-keyout", str(rogue_key),
        "-out", str(rogue))
    return ca, (str(cert), str(key)), (str(rogue), str(rogue_key))


def test_client_certificate_required_for_a_role(own, tmp_path):
    ca, good, rogue = make_operator_ca(tmp_path)
    s = own(admin='client_ca = "%s"\n[admin.roles.auditor]\nclient_certificate = true' % ca)
    auditor = s.ctl("token", "create", "auditor@localhost").stdout.strip()
    sysadmin = s.ctl("token", "create", "sysadmin@localhost").stdout.strip()
    # Other roles need none.
    assert AdminClient(s.admin_port, token=sysadmin).get("/api/v1/users").status == 200
    r = AdminClient(s.admin_port, token=auditor).get("/api/v1/audit/events")
    assert r.status == 403 and r.json()["type"] == \
        "urn:rampart:problem:client-certificate-required", r
    r = AdminClient(s.admin_port, token=auditor, cert=rogue).get("/api/v1/audit/events")
    assert r.status == 403, "a certificate from another issuer does not count"
    r = AdminClient(s.admin_port, token=auditor, cert=good).get("/api/v1/audit/events")
    assert r.status == 200, r
    # The same at the console's sign-in, before the password is looked at.
    r = AdminClient(s.admin_port).sign_in("auditor@localhost", "not-checked")
    assert r.status == 403
    r = AdminClient(s.admin_port, cert=good).sign_in(
        "auditor@localhost", s.admin_passwords["auditor@localhost"])
    assert r.status == 201 and r.json()["stage"] == "password_change", r


def test_a_system_administrator_cannot_take_over_an_administrator(server, admin):
    sysadmin = client(server, admin["sysadmin"])
    r = sysadmin.put("/api/v1/users/secadmin%40localhost/password", {"password": "Taken-over-1"})
    assert r.status == 403 and "is an administrator" in r.json()["detail"], r
    r = sysadmin.delete("/api/v1/users/auditor%40localhost")
    assert r.status == 403, r
    denied = audit_records(server, admin, action="user.", result="denied")
    assert {d["object"] for d in denied} >= {"secadmin@localhost", "auditor@localhost"}


def test_a_revoked_role_ends_its_console_sessions(own):
    s = own()
    s.add_user("gina@localhost", account_password("pw-gina-123456"))
    assert s.ctl("role", "grant", "gina@localhost", "auditor").returncode == 0
    c = AdminClient(s.admin_port)
    r = c.sign_in("gina@localhost", account_password("pw-gina-123456"))
    assert r.status == 201 and r.json()["stage"] == "totp_enrolment", r
    assert c.get("/api/v1/session").status == 200
    # Revoked with the break-glass tool while the session is open.
    assert s.ctl("role", "revoke", "gina@localhost", "auditor").returncode == 0
    r = c.get("/api/v1/session")
    assert r.status == 401 and "revoked" in r.json()["detail"], r


def test_lost_authenticator_is_reset_with_rampartctl_only(fresh_server):
    s = fresh_server
    c = AdminClient(s.admin_port)
    secret, codes = c.first_sign_in("auditor@localhost", s.admin_passwords["auditor@localhost"],
                                    "Checker-new-pass-42")
    assert AdminClient(s.admin_port).sign_in("auditor@localhost", "Checker-new-pass-42").status \
        == 401, "TOTP is required once enrolled"
    r = s.ctl("mfa", "reset", "auditor@localhost")
    assert r.returncode == 0, r.stderr
    r = AdminClient(s.admin_port).sign_in("auditor@localhost", "Checker-new-pass-42")
    assert r.status == 201 and r.json()["stage"] == "totp_enrolment", r
    # The old recovery codes are gone with it.
    assert AdminClient(s.admin_port).sign_in("auditor@localhost", "Checker-new-pass-42",
                                             codes[1]).json()["stage"] == "totp_enrolment"
    assert s.ctl("mfa", "reset", "nobody@localhost").returncode == 1
    records = [json.loads(l) for l in s.ctl("audit", "tail", "-n", "30", "--json").stdout.splitlines()]
    assert any(r["action"] == "admin.totp_reset" and r["object"] == "auditor@localhost" and
               r["result"] == "success" and r["actor"].startswith("local:") for r in records)


def test_auditors_see_the_tenants_sign_in_attempts(server, admin):
    """GET /api/v1/logins: every account's attempts in the tenant, XMPP and console alike, for
    auditors and security administrators only; rampartctl login-log HOST prints the same."""
    from raw_xmpp import RawStream
    user = "tenantlog%d" % int(time.time() * 1000 % 1000000)
    password = account_password(user)
    assert server.ctl("user", "add", "%s@localhost" % user, password).returncode == 0
    for resource in ("desk", "laptop"):
        with RawStream(server.c2s_port) as st:
            st.login(user, password, resource)
    ghost = "ghost%d@localhost" % int(time.time() * 1000 % 1000000)
    src = fresh_source()
    assert client(server, source=src).sign_in(ghost, "Not-the-password-1").status == 401
    r = client(server, admin["auditor"]).get("/api/v1/logins?tenant=localhost&limit=200")
    assert r.status == 200, r
    items = r.json()["items"]
    mine = [i for i in items if i["account"] == "%s@localhost" % user]
    assert mine and mine[0]["protocol"] == "xmpp" and mine[0]["result"] == "success", mine
    guessed = [i for i in items if i["account"] == ghost]
    assert [(g["protocol"], g["source"], g["result"], g["reason"]) for g in guessed] == \
        [("admin", src, "failure", "not-authorized")], guessed
    assert all(set(i) >= {"time", "source", "client", "credential", "country", "result", "reason"}
               for i in items)
    # Newest first, one page after another.
    first = client(server, admin["secadmin"]).get("/api/v1/logins?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client(server, admin["secadmin"]).get(
        "/api/v1/logins?limit=2&cursor=" + first["next_cursor"]).json()
    assert rest["items"][0]["id"] < first["items"][1]["id"]
    # The system administrator manages accounts, not their sign-in records.
    r = client(server, admin["sysadmin"]).get("/api/v1/logins")
    assert r.status == 403 and r.json()["type"].endswith(":forbidden"), r
    r = client(server, admin["auditor"]).get("/api/v1/logins?tenant=elsewhere.example")
    assert r.status == 404, r
    # Reading them is audited.
    reads = [e for e in audit_records(server, admin, action="login.read")
             if e["object"] == "localhost"]
    assert reads, "no audit event for the tenant-wide read"
    lines = [json.loads(l) for l in
             server.ctl("login-log", "localhost", "-n", "200", "--json").stdout.splitlines()]
    assert any(l["account"] == ghost and l["protocol"] == "admin" for l in lines), lines[:5]


def test_freezing_or_signing_out_an_administrator_ends_its_console_access(own):
    """A compromised administrator frozen by a security administrator keeps no console session
    and no working token; "sign out everywhere" ends its console sessions too."""
    s = own()
    aud = AdminClient(s.admin_port, source=fresh_source())
    secret, _ = aud.first_sign_in("auditor@localhost", s.admin_passwords["auditor@localhost"],
                                  "Checker-new-pass-42")
    assert aud.get("/api/v1/audit/events?limit=1").status == 200
    token = s.ctl("token", "create", "auditor@localhost").stdout.strip()
    by_token = AdminClient(s.admin_port, token=token)
    assert by_token.get("/api/v1/audit/events?limit=1").status == 200
    sec = AdminClient(s.admin_port, token=s.ctl("token", "create", "secadmin@localhost")
                      .stdout.strip())
    r = sec.post("/api/v1/users/auditor@localhost/freeze", {"reason": "incident 9"})
    assert r.status == 204, r
    r = aud.get("/api/v1/audit/events?limit=1")
    assert r.status == 401 and r.json()["detail"] == "the account is locked", r
    r = by_token.get("/api/v1/audit/events?limit=1")
    assert r.status == 403 and r.json()["type"].endswith(":account-disabled"), r
    assert sec.post("/api/v1/users/auditor@localhost/unfreeze", {"reason": "cleared"}).status \
        == 204
    assert by_token.get("/api/v1/audit/events?limit=1").status == 200
    # Signed out everywhere: a console session made before that ends.
    again = AdminClient(s.admin_port, source=fresh_source())
    r = again.sign_in("auditor@localhost", "Checker-new-pass-42", totp(secret, step_offset=1))
    assert r.status == 201, r
    assert again.get("/api/v1/audit/events?limit=1").status == 200
    assert sec.post("/api/v1/users/auditor@localhost/logout", {}).status == 204
    r = again.get("/api/v1/audit/events?limit=1")
    assert r.status == 401 and "signed out everywhere" in r.json()["detail"], r
