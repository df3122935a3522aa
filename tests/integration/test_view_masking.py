"""Personal data where it leaves through the administration plane: admin API views (sessions,
sign-in records, the audit log and its export, alerts) and alert webhooks show it masked;
client addresses stay clear only for the roles that need them (address.read); a role with
personal.reveal asks for the clear values with reveal=true, and every such reveal is audited,
while other roles are refused (and that is audited too)."""

import json
import time

import pytest

from admin_client import AdminClient
from raw_xmpp import account_password, RawStream
from test_alerts import Receiver, SECRET, check_signed
from test_hardening import start_config_server

PHONE = "13812345678"
PHONE_MASKED = "138****5678"
NAMED = "13912345678"            # an account named by its mobile number, as many are
NAMED_MASKED = "139****5678"
TYPED = "13712345678"            # typed into the console's sign-in form: no account
TYPED_MASKED = "137****5678"
SOURCE = "127.0.0.23"
SOURCE_MASKED = "127.0.*.*"


def token(s, jid):
    r = s.ctl("token", "create", jid)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return AdminClient(s.admin_port, token=r.stdout.strip())


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    receiver = Receiver()
    s = start_config_server(
        tmp_path_factory.mktemp("masking"),
        extra='\n[alerts]\nwebhook_url = "%s"\nwebhook_secret = "%s"\nquiet_seconds = 0\n'
              % (receiver.url, SECRET),
        admin="max_failures = 3\nlockout_seconds = 60")
    for jid in ("ops@localhost", "sec@localhost", "aud@localhost", "bob@localhost",
                NAMED + "@localhost"):
        s.add_user(jid, account_password(jid))
    for jid, role in (("ops@localhost", "sysadmin"), ("sec@localhost", "secadmin"),
                      ("aud@localhost", "auditor")):
        r = s.ctl("role", "grant", jid, role)
        assert r.returncode == 0, (r.stdout, r.stderr)
    env = {"s": s, "receiver": receiver, "ops": token(s, "ops@localhost"),
           "sec": token(s, "sec@localhost"), "aud": token(s, "aud@localhost")}
    # Bob signs in over XMPP from an address of his own and stays online.
    bob = RawStream(s.c2s_port, source=SOURCE)
    assert bob.login("bob", account_password("bob@localhost"), "desk").startswith("bob@")
    env["bob"] = bob
    # A security administrator freezes an account, giving a reason with a mobile number in it.
    r = env["sec"].post("/api/v1/users/%s@localhost/freeze" % NAMED,
                        {"mode": "suspend", "reason": "caller %s asked for it" % PHONE})
    assert r.status in (200, 204), r
    r = env["sec"].post("/api/v1/users/%s@localhost/unfreeze" % NAMED, {"reason": "resolved"})
    assert r.status in (200, 204), r
    # Somebody guesses the console password of the account named by a mobile number.
    guesser = AdminClient(s.admin_port, source="127.0.0.24")
    for _ in range(3):
        assert guesser.sign_in(NAMED + "@localhost", "guess").status == 401
    # And somebody types a mobile number, not an account, as the name to sign in with.
    assert AdminClient(s.admin_port, source="127.0.0.25").sign_in(TYPED, "x").status == 401
    yield env
    bob.close()
    receiver.close()
    s.stop()


def audit_records(s):
    r = s.ctl("audit", "tail", "-n", "200", "--json")
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_sessions_addresses_are_masked_for_roles_that_do_not_need_them(env):
    ops = env["ops"].get("/api/v1/users/bob@localhost/sessions")
    assert ops.status == 200, ops
    assert [i["address"] for i in ops.json()["items"]] == [SOURCE_MASKED]
    sec = env["sec"].get("/api/v1/users/bob@localhost/sessions").json()
    assert [i["address"] for i in sec["items"]] == [SOURCE]


def test_login_records_show_addresses_to_the_security_roles(env):
    items = env["aud"].get("/api/v1/users/bob@localhost/logins").json()["items"]
    assert SOURCE in [i["source"] for i in items]


def test_audit_view_masks_personal_data_and_reveal_is_audited(env):
    s, aud = env["s"], env["aud"]
    masked = aud.get("/api/v1/audit/events?action=user.freeze").json()["items"]
    assert masked, "the freeze was not audited"
    text = json.dumps(masked, ensure_ascii=False)
    assert PHONE not in text and PHONE_MASKED in text
    revealed = aud.get("/api/v1/audit/events?action=user.freeze&reveal=true")
    assert revealed.status == 200, revealed
    assert PHONE in json.dumps(revealed.json(), ensure_ascii=False)
    reveals = [r for r in audit_records(s) if r["action"] == "personal.reveal"]
    assert any(r["actor"] == "aud@localhost" and r["result"] == "success" and
               "/api/v1/audit/events" in r["object"] for r in reveals), reveals
    bad = aud.get("/api/v1/audit/events?reveal=maybe")
    assert bad.status == 422 and bad.headers["content-type"] == "application/problem+json"


def test_roles_without_reveal_are_refused_and_that_is_audited(env):
    s, ops = env["s"], env["ops"]
    r = ops.get("/api/v1/alerts?reveal=true")
    assert r.status == 403 and r.headers["content-type"] == "application/problem+json"
    assert "personal.reveal" in r.json()["detail"]
    assert any(r["action"] == "personal.reveal" and r["actor"] == "ops@localhost" and
               r["result"] == "denied" for r in audit_records(s))


def test_alerts_masked_in_views_and_webhooks(env):
    s, receiver = env["s"], env["receiver"]
    headers, body, doc = receiver.wait_for("admin-sign-in-failures")
    check_signed(headers, body)
    assert NAMED_MASKED in doc["summary"] and NAMED not in doc["summary"], doc
    for who in ("ops", "sec"):
        items = env[who].get("/api/v1/alerts").json()["items"]
        summaries = [a["summary"] for a in items if a["rule"] == "admin-sign-in-failures"]
        assert summaries and all(NAMED not in x and NAMED_MASKED in x for x in summaries), summaries
    items = env["sec"].get("/api/v1/alerts?reveal=true").json()["items"]
    assert any(NAMED in a["summary"] for a in items if a["rule"] == "admin-sign-in-failures")


def test_audit_export_masks_lines_with_personal_data_only(env):
    aud = env["aud"]
    masked = aud.get("/api/v1/audit/export")
    assert masked.status == 200
    clear = aud.get("/api/v1/audit/export?reveal=true")
    assert clear.status == 200
    masked_lines = masked.body.splitlines()
    clear_lines = clear.body.splitlines()
    assert PHONE not in masked.body and PHONE in clear.body
    by_seq = {json.loads(l)["seq"]: l for l in clear_lines}
    marked = 0
    for line in masked_lines:
        doc = json.loads(line)
        if doc.get("masked"):
            marked += 1
            assert line != by_seq[doc["seq"]]
        else:
            # Lines without personal data are the stored records byte for byte.
            assert line == by_seq[doc["seq"]]
    assert marked >= 1


def test_what_was_typed_as_an_account_name_is_masked(env):
    """A sign-in attempt records the name as typed; unless it is an account of this server it
    is personal data like any other, masked in the audit log (and never shown in clear in the
    sign-in records)."""
    aud = env["aud"]
    r = aud.get("/api/v1/audit/events?action=admin.sign_in")
    assert r.status == 200, r
    assert TYPED not in r.body and TYPED_MASKED in r.body, r.body
    # Accounts of the server stay whole where they name the actor.
    actors = {i["actor"] for i in r.json()["items"]}
    assert NAMED + "@localhost" in actors, actors
    assert TYPED not in aud.get("/api/v1/logins").body
    assert TYPED in aud.get("/api/v1/audit/events?action=admin.sign_in&reveal=true").body
