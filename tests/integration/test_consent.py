"""Consent to the tenant's privacy notice (PIPL arts. 14-17, GDPR arts. 7 and 13) and the
person's rights from the account center and the admin API: the notice is asked for after
sign-in (account center API and XMPP, urn:rampart:privacy:0), in English or Simplified Chinese;
acceptance is recorded with its version, time and channel and audited; a new version asks
again; the person downloads all their data; withdrawing consent erases the account; a legal
hold is shown to the person it concerns, without its reason. Administrators export and erase on
request through the admin API, audited."""
import io
import json
import os
import time
import zipfile

import pytest

from admin_client import AdminClient
from raw_xmpp import NS_CLIENT, RawStream, account_password, q
from test_account_center import AccountClient
from test_config_hosts import ConfigServer, write_config
from test_encryption import ROOM_SERVICE, make_persistent, room_join

NS = "urn:rampart:privacy:0"
NOTICE_EN = "Acme & Co processes your messages to run this chat service.\nContact: dpo@a.test"
NOTICE_ZH = "本公司为提供聊天服务处理您的消息。\n联系人：dpo@a.test"


def privacy_config(tmp, version):
    (tmp / "notice-en.txt").write_text(NOTICE_EN + " (v%s)" % version, encoding="utf-8")
    (tmp / "notice-zh.txt").write_text(NOTICE_ZH + "（%s）" % version, encoding="utf-8")
    return write_config(tmp, """
[privacy]
notice_version = "%s"
notice_file = "%s"
notice_file_zh = "%s"
show_legal_hold = true
""" % (version, tmp / "notice-en.txt", tmp / "notice-zh.txt"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("consent")
    path, data = privacy_config(tmp, "2026-01")
    srv = ConfigServer(data, path, "a.test").start()
    for local in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "henry"):
        jid = "%s@a.test" % local
        assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
    token = srv.ctl("token", "create", "sysadmin@a.test", "--label", "consent").stdout.strip()
    auditor = srv.ctl("token", "create", "auditor@a.test", "--label", "consent").stdout.strip()
    assert token and auditor
    yield {"srv": srv, "tmp": tmp, "token": token, "auditor": auditor}
    srv.stop()


def account(srv, local):
    c = AccountClient(srv)
    jid = "%s@a.test" % local
    r = c.sign_in(jid, account_password(jid))
    assert r.status == 201, r
    return c


def audit(srv, n=40):
    r = srv.ctl("audit", "tail", "-n", str(n), "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def xmpp(srv, local):
    s = RawStream(srv.c2s_port, host="a.test")
    s.login(local, account_password("%s@a.test" % local), "converse.js-test")
    return s


def notice_of(stream, lang=None):
    attr = " xml:lang='%s'" % lang if lang else ""
    r = stream.iq("<notice xmlns='%s'%s/>" % (NS, attr))
    assert r.get("type") == "result", r
    return r.find(q(NS, "notice"))


def test_account_center_asks_for_the_notice_before_anything_else(world):
    srv = world["srv"]
    c = account(srv, "alice")
    s = c.get("/session").json()
    assert s["stage"] == "active" and s["consent_required"] is True
    # Nothing else until the notice is answered (a precise problem, not a generic 403).
    r = c.get("/devices")
    assert r.status == 403 and r.json()["type"] == "urn:rampart:problem:consent-required", r
    assert r.headers["content-type"] == "application/problem+json"
    p = c.get("/privacy").json()["notice"]
    assert p["version"] == "2026-01" and p["required"] is True and p["accepted"] is None
    assert p["text"].startswith(NOTICE_EN)
    zh = c.get("/privacy?lang=zh-CN").json()["notice"]
    assert zh["text"].startswith(NOTICE_ZH)
    # Only the version shown can be accepted.
    r = c.post("/privacy/consent", {"version": "2025-12"})
    assert r.status == 409 and r.headers["content-type"] == "application/problem+json", r
    r = c.post("/privacy/consent", {"version": "2026-01", "extra": 1})
    assert r.status == 422, r
    r = c.post("/privacy/consent", {"version": "2026-01"})
    assert r.status == 200, r
    accepted = r.json()["notice"]["accepted"]
    assert accepted["version"] == "2026-01" and accepted["channel"] == "account-center"
    assert accepted["time"].endswith("Z")
    assert c.get("/devices").status == 200
    assert c.get("/session").json()["consent_required"] is False
    events = [e for e in audit(srv) if e["action"] == "privacy.consent"]
    ok = [e for e in events if e["result"] == "success" and e["actor"] == "alice@a.test"]
    assert ok and ok[-1]["details"]["version"] == "2026-01"
    assert any(e["result"] == "failure" and e["actor"] == "alice@a.test" for e in events)


def test_xmpp_clients_read_and_accept_the_notice(world):
    srv = world["srv"]
    with xmpp(srv, "bob") as b:
        n = notice_of(b)
        assert n.get("version") == "2026-01" and n.get("required") == "true"
        assert n.get("accepted") is None
        text = n.find(q(NS, "text"))
        assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        assert text.text.startswith(NOTICE_EN)
        zh = notice_of(b, "zh-CN").find(q(NS, "text"))
        assert zh.text.startswith(NOTICE_ZH)
        # A stale version is a conflict; a missing one a bad request.
        r = b.iq("<accept xmlns='%s' version='2025-12'/>" % NS, type_="set")
        assert r.get("type") == "error"
        assert r.find(q(NS_CLIENT, "error")).find(
            "{urn:ietf:params:xml:ns:xmpp-stanzas}conflict") is not None
        r = b.iq("<accept xmlns='%s'/>" % NS, type_="set")
        assert r.find(q(NS_CLIENT, "error")).find(
            "{urn:ietf:params:xml:ns:xmpp-stanzas}bad-request") is not None
        r = b.iq("<accept xmlns='%s' version='2026-01'/>" % NS, type_="set")
        assert r.get("type") == "result", r
        n = notice_of(b)
        assert n.get("required") == "false" and n.get("accepted") == "2026-01"
        assert n.get("accepted-at").endswith("Z")
        # The server lists the feature.
        info = b.iq("<query xmlns='http://jabber.org/protocol/disco#info'/>", to="a.test")
        assert any(f.get("var") == NS for f in info.iter(
            "{http://jabber.org/protocol/disco#info}feature"))
    # One record: the account center sees the same answer.
    c = account(srv, "bob")
    assert c.get("/session").json()["consent_required"] is False
    accepted = c.get("/privacy").json()["notice"]["accepted"]
    assert accepted["version"] == "2026-01" and accepted["channel"] == "web-client"


def test_the_person_downloads_all_their_data(world):
    srv = world["srv"]
    c = account(srv, "carol")
    assert c.post("/privacy/consent", {"version": "2026-01"}).status == 200
    r = c.get("/export")
    assert r.status == 200, r
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    z = zipfile.ZipFile(io.BytesIO(r.raw))
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["account"] == "carol@a.test"
    assert "consents.json" in manifest["contents"]
    consents = json.loads(z.read("consents.json"))
    assert [x["notice_version"] for x in consents] == ["2026-01"]
    assert consents[0]["channel"] == "account-center"
    logins = json.loads(z.read("logins.json"))
    assert any(x["protocol"] == "web" and x["result"] == "success" for x in logins)
    # Audited before the data left; no spool file is left behind.
    assert any(e["action"] == "user.export" and e["actor"] == "carol@a.test" and
               e["object"] == "carol@a.test" and e["result"] == "success" for e in audit(srv))
    spool = world["srv"].data_dir / "exports"
    assert not spool.exists() or os.listdir(spool) == []


def test_administrators_export_and_erase_on_request(world):
    srv = world["srv"]
    admin = AdminClient(srv.admin_port, token=world["token"])
    r = admin.post("/api/v1/users/dave@a.test/export")
    assert r.status == 200 and r.headers["content-type"] == "application/zip", r
    z = zipfile.ZipFile(io.BytesIO(r.raw))
    assert json.loads(z.read("manifest.json"))["account"] == "dave@a.test"
    # An auditor may not (user.write); an unknown account is a 404 problem.
    r = AdminClient(srv.admin_port, token=world["auditor"]).post(
        "/api/v1/users/dave@a.test/erase")
    assert r.status == 403 and r.headers["content-type"] == "application/problem+json", r
    r = admin.post("/api/v1/users/nobody@a.test/export")
    assert r.status == 404, r
    r = admin.post("/api/v1/users/dave@a.test/erase")
    assert r.status == 200, r
    report = r.json()
    assert report["account"] == "dave@a.test" and report["removed"]["account"] == 1
    assert admin.post("/api/v1/users/dave@a.test/export").status == 404
    events = audit(srv)
    assert any(e["action"] == "user.export" and e["object"] == "dave@a.test" and
               e["actor"] == "sysadmin@a.test" for e in events)
    assert any(e["action"] == "user.erase" and e["object"] == "dave@a.test" and
               e["result"] == "success" for e in events)
    assert any(e["action"] == "user.erase" and e["result"] == "denied" for e in events)


def joined_history(stream, room, nick):
    """Joins `room` and returns the bodies of the history it sends before the subject."""
    stream.send("<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
                % (room, nick))
    bodies = []
    while True:
        m = stream.expect(lambda e: e.tag == q(NS_CLIENT, "message"))
        if m.find(q(NS_CLIENT, "subject")) is not None:
            return bodies
        body = m.find(q(NS_CLIENT, "body"))
        bodies.append((body.text if body is not None else "",
                       m.find("{urn:xmpp:message-retract:1}retracted") is not None))


def test_a_running_server_serves_no_erased_words_in_room_history(world):
    srv = world["srv"]
    room = "erasure@%s" % ROOM_SERVICE
    marker = "GRACE-MARKER-7781"
    with xmpp(srv, "grace") as g, xmpp(srv, "henry") as h:
        room_join(h, room, "henry")
        make_persistent(h, room)
        room_join(g, room, "grace")
        g.send("<message to='%s' type='groupchat'><body>%s</body></message>" % (room, marker))
        h.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                 e.find(q(NS_CLIENT, "body")) is not None and
                 e.find(q(NS_CLIENT, "body")).text == marker)
        h.send("<message to='%s' type='groupchat'><body>henry stays</body></message>" % room)
        g.iq("<ping xmlns='urn:xmpp:ping'/>")
    admin = AdminClient(srv.admin_port, token=world["token"])
    assert admin.post("/api/v1/users/grace@a.test/erase").status == 200
    # Without a restart, a new occupant's history holds the tombstone, not the words.
    with xmpp(srv, "henry") as h:
        for _ in range(100):
            history = joined_history(h, room, "henry2")
            if not any(marker in body for body, _ in history):
                break
            h.send("<presence to='%s/henry2' type='unavailable'/>" % room)
            time.sleep(0.2)
        assert not any(marker in body for body, _ in history), history
        assert any(retracted for _, retracted in history), history
        assert ("henry stays", False) in history


def test_withdrawing_consent_erases_the_account(world):
    srv = world["srv"]
    c = account(srv, "erin")
    assert c.post("/privacy/consent", {"version": "2026-01"}).status == 200
    password = account_password("erin@a.test")
    r = c.post("/privacy/withdraw", {"password": password, "confirm": "erin"})
    assert r.status == 422, r
    r = c.post("/privacy/withdraw", {"password": "wrong", "confirm": "erin@a.test"})
    assert r.status == 422, r
    assert srv.ctl("user", "list", "a.test").stdout.count("erin@a.test") == 1
    r = c.post("/privacy/withdraw", {"password": password, "confirm": "erin@a.test"})
    assert r.status == 200, r
    assert r.json()["account"] == "erin@a.test"
    assert "Max-Age=0" in r.headers["set-cookie"]
    assert c.get("/session").status == 401
    assert AccountClient(srv).sign_in("erin@a.test", password).status == 401
    assert "erin@a.test" not in srv.ctl("user", "list", "a.test").stdout
    events = [e for e in audit(srv) if e["object"] == "erin@a.test"]
    actions = [(e["action"], e["result"]) for e in events]
    assert ("privacy.withdraw", "failure") in actions
    assert ("privacy.withdraw", "success") in actions
    assert ("user.erase", "success") in actions


def test_a_legal_hold_is_shown_to_the_person_without_its_reason(world):
    srv = world["srv"]
    c = account(srv, "frank")
    assert c.post("/privacy/consent", {"version": "2026-01"}).status == 200
    assert c.get("/privacy").json()["legal_hold"] == {"held": False, "since": None}
    assert srv.ctl("hold", "set", "frank@a.test", "--reason", "case 4711 secret").returncode == 0
    r = c.get("/privacy")
    hold = r.json()["legal_hold"]
    assert hold["held"] is True and hold["since"].endswith("Z")
    assert "4711" not in r.body
    # Erasure waits for the hold to be lifted.
    password = account_password("frank@a.test")
    r = c.post("/privacy/withdraw", {"password": password, "confirm": "frank@a.test"})
    assert r.status == 409, r
    assert "legal hold" in r.json()["detail"]
    # Refused before anything was removed: the account, its session and its records remain.
    assert c.get("/session").status == 200
    assert c.get("/logins").json()["items"], "sign-in records went despite the hold"
    assert srv.ctl("hold", "clear", "frank@a.test").returncode == 0


def test_a_new_notice_version_asks_again(world):
    srv, tmp = world["srv"], world["tmp"]
    srv.stop()
    privacy_config(tmp, "2026-02")
    srv.start()
    c = account(srv, "alice")
    s = c.get("/session").json()
    assert s["consent_required"] is True
    p = c.get("/privacy").json()["notice"]
    assert p["version"] == "2026-02" and p["accepted"]["version"] == "2026-01"
    assert "(v2026-02)" in p["text"]
    assert c.post("/privacy/consent", {"version": "2026-02"}).status == 200
    history = c.get("/privacy").json()["notice"]["history"]
    assert [h["version"] for h in history] == ["2026-01", "2026-02"]
    with xmpp(srv, "bob") as b:
        n = notice_of(b)
        assert n.get("required") == "true" and n.get("accepted") == "2026-01"
