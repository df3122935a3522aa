"""Retention per tenant, per room and per kind of data, enforced by one scheduler: [retention]
for the server, [hosts.retention] for a tenant, [retention.rooms] for one room. Data is aged in
the stopped server's database (times are stored in clear, content is sealed); the pass at
start-up deletes what has expired, keeps what has not, keeps everything under legal hold and
audits each deletion (retention.purge). The audit log's legal minimum cannot be configured
away."""
import json
import sqlite3
import subprocess
import time

import pytest

from raw_xmpp import NS_CLIENT, RawStream, account_password, q
from test_config_hosts import ConfigServer, write_config
from test_encryption import ROOM_SERVICE, make_persistent, room_join

DAY_US = 86400 * 1000 * 1000
RETENTION = """
[retention]
archive_days = 30
room_archive_days = 30
login_days = 30

[retention.rooms]
"keep@conference.a.test" = 0
"brief@conference.a.test" = 1
"""


def config_with_tenant_override(tmp):
    path, data = write_config(tmp, RETENTION)
    text = path.read_text()
    # b.test is the last [[hosts]] table: its own retention goes right under it.
    text = text.replace("[modules.version]", "[hosts.retention]\narchive_days = 2\n"
                        "login_days = 0\n\n[modules.version]", 1)
    path.write_text(text)
    return path, data


def stream(srv, jid):
    local, host = jid.split("@")
    s = RawStream(srv.c2s_port, host=host)
    s.login(local, account_password(jid), "r")
    return s


def counts(data):
    db = sqlite3.connect(str(data / "rampart.db"))
    try:
        rows = db.execute("SELECT host, owner, count(*) FROM archive GROUP BY host, owner")
        archive = {(h, o): n for h, o, n in rows}
        logins = dict(db.execute("SELECT host, count(*) FROM logins GROUP BY host").fetchall())
        return archive, logins
    finally:
        db.close()


def age(data, sql, *args):
    db = sqlite3.connect(str(data / "rampart.db"))
    try:
        n = db.execute(sql, args).rowcount
        db.commit()
        return n
    finally:
        db.close()


@pytest.fixture(scope="module")
def aged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("retention")
    path, data = config_with_tenant_override(tmp)
    srv = ConfigServer(data, path, "a.test").start()
    users = ("alice@a.test", "bob@a.test", "hana@a.test", "carol@b.test", "dave@b.test")
    for jid in users:
        assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
    with stream(srv, "alice@a.test") as a, stream(srv, "bob@a.test") as b, \
            stream(srv, "hana@a.test") as h, stream(srv, "carol@b.test") as c:
        for s in (a, b, h, c):
            s.send("<presence/>")
        for s, to in ((a, "bob@a.test"), (h, "bob@a.test"), (c, "dave@b.test")):
            s.send("<message to='%s' type='chat'><body>dated message</body></message>" % to)
        for room in ("keep", "brief", "plain"):
            jid = "%s@%s" % (room, ROOM_SERVICE)
            room_join(a, jid, "alice")
            make_persistent(a, jid)
            a.send("<message to='%s' type='groupchat'><body>said in %s</body></message>"
                   % (jid, room))
            a.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                     e.get("type") == "groupchat" and e.find(q(NS_CLIENT, "body")) is not None)
        for s in (a, h, c):
            s.iq("<ping xmlns='urn:xmpp:ping'/>")
    time.sleep(0.3)
    # hana's account and sign-in records are under legal hold.
    assert srv.ctl("hold", "set", "hana@a.test", "--reason", "case 12").returncode == 0
    srv.stop()
    before, logins_before = counts(data)
    # Everything is 10 days old; a.test's 1:1 archives and sign-in records 40 days.
    age(data, "UPDATE archive SET ts = ts - ?", 10 * DAY_US)
    age(data, "UPDATE archive SET ts = ts - ? WHERE host = 'a.test'", 30 * DAY_US)
    age(data, "UPDATE logins SET time = time - ?", 40 * 86400 * 1000)
    # Refused uploads kept as evidence (the layout content-security.md documents): alice's and
    # hana's 200 days old, bob's 10; evidence_days is 180.
    evidence = data / "evidence" / "a.test"
    evidence.mkdir(parents=True, exist_ok=True)
    now_ms = int(time.time() * 1000)
    for owner, days in (("alice", 200), ("hana", 200), ("bob", 10)):
        name = "%d-%s" % (now_ms - days * 86400 * 1000, owner)
        (evidence / name).write_bytes(b"refused file of " + owner.encode())
        (evidence / (name + ".json")).write_text(json.dumps(
            {"owner": owner + "@a.test", "file_name": "x.txt", "announced_type": "text/plain",
             "real_type": "text/plain", "reason": "content-policy", "detail": "rule",
             "time": now_ms - days * 86400 * 1000}))
    srv.start()
    deadline = time.time() + 15
    while True:
        after, logins_after = counts(data)
        if (("a.test", "alice") not in after and ("b.test", "carol") not in after) or \
                time.time() > deadline:
            break
        time.sleep(0.2)
    yield {"srv": srv, "data": data, "before": before, "after": after,
           "logins_before": logins_before, "logins_after": logins_after, "tmp": tmp}
    srv.stop()


def test_tenant_retention_applies_to_one_to_one_archives(aged):
    before, after = aged["before"], aged["after"]
    # a.test keeps 30 days: its 40-day-old items went; b.test keeps 2 days: 10-day-old ones went.
    for owner in (("a.test", "alice"), ("a.test", "bob"), ("b.test", "carol"), ("b.test", "dave")):
        assert before.get(owner, 0) > 0, before
    assert ("a.test", "alice") not in after and ("b.test", "carol") not in after, after
    assert ("b.test", "dave") not in after, after


def test_room_retention_per_room(aged):
    before, after = aged["before"], aged["after"]
    service = ROOM_SERVICE
    for room in ("keep", "brief", "plain"):
        assert before.get((service, room), 0) > 0, before
    # 10 days old: "brief" (1 day) went, "plain" (30 days) and "keep" (forever) stay.
    assert (service, "brief") not in after, after
    assert after.get((service, "plain")) == before[(service, "plain")]
    assert after.get((service, "keep")) == before[(service, "keep")]


def test_legal_hold_keeps_everything_of_the_held_account(aged):
    before, after = aged["before"], aged["after"]
    assert after.get(("a.test", "hana")) == before[("a.test", "hana")] > 0
    db = sqlite3.connect(str(aged["data"] / "rampart.db"))
    held = db.execute("SELECT count(*) FROM logins WHERE host='a.test' AND user='hana'").fetchone()
    others = db.execute("SELECT count(*) FROM logins WHERE host='a.test' AND user<>'hana'"
                        ).fetchone()
    db.close()
    assert held[0] > 0 and others[0] == 0


def test_evidence_files_expire_but_for_held_accounts(aged):
    evidence = aged["data"] / "evidence" / "a.test"
    deadline = time.time() + 15
    while any("alice" in p.name for p in evidence.iterdir()) and time.time() < deadline:
        time.sleep(0.2)
    names = sorted(p.name.split("-", 1)[1] for p in evidence.iterdir())
    assert names == ["bob", "bob.json", "hana", "hana.json"], names


def test_sign_in_records_by_tenant(aged):
    # a.test keeps them 30 days (its 40-day-old ones went, but hana's); b.test for ever.
    assert aged["logins_before"]["b.test"] == aged["logins_after"]["b.test"] > 0


def test_each_deletion_is_audited(aged):
    srv = aged["srv"]
    r = srv.ctl("audit", "tail", "-n", "80", "--json")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    purges = [e for e in events if e["action"] == "retention.purge"]
    kinds = {(e["tenant"], e["object"], e["details"]["kind"]) for e in purges}
    assert ("a.test", "a.test", "archive") in kinds, purges
    assert ("b.test", "b.test", "archive") in kinds, purges
    assert ("a.test", ROOM_SERVICE, "room_archive") in kinds, purges
    assert ("a.test", "a.test", "login") in kinds, purges
    b = [e for e in purges if e["tenant"] == "b.test" and e["details"]["kind"] == "archive"][0]
    assert b["details"]["days"] == "2" and int(b["details"]["deleted"]) >= 2
    assert all(e["actor"] == "rampartd" and e["result"] == "success" for e in purges)


def test_retention_show_prints_the_policy(aged):
    srv = aged["srv"]
    r = srv.ctl("retention", "show", "--json")
    assert r.returncode == 0, r.stderr
    policy = {p["tenant"]: p for p in json.loads(r.stdout)}
    assert policy["a.test"]["days"]["archive"] == 30
    assert policy["b.test"]["days"]["archive"] == 2
    assert policy["b.test"]["days"]["room_archive"] == 30
    assert policy["a.test"]["days"]["login"] == 30
    assert policy["b.test"]["days"]["login"] == 0
    assert policy["b.test"]["days"]["audit"] == 180
    assert policy["a.test"]["rooms"] == {"keep@conference.a.test": 0,
                                         "brief@conference.a.test": 1}
    text = srv.ctl("retention", "show", "b.test").stdout
    assert "archive: 2 days" in text and "b.test" in text
    assert srv.ctl("retention", "show", "nowhere.test").returncode != 0


def test_the_audit_log_minimum_cannot_be_configured_away(tmp_path):
    path, data = write_config(tmp_path, "[retention]\naudit_days = 30\n")
    srv = ConfigServer(data, path, "a.test")
    r = subprocess.run(srv.command(), capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "retention.audit_days" in r.stderr + r.stdout
    path.write_text(path.read_text().replace("audit_days = 30", "archive_days = -1"))
    r = subprocess.run(srv.command(), capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "retention.archive_days" in r.stderr + r.stdout
