"""The administration plane's operator contract through rampartctl: separated roles, API
tokens, and the tamper-evident audit log with `audit verify` detecting each kind of tampering
(also checked with the independent verifier, tools/audit_verify.py)."""

import json
import os
import pwd
import sqlite3
import subprocess
import sys

import pytest

from conftest import RAMPARTCTL, REPO
from test_hardening import own  # noqa: F401 (the fixture)
from raw_xmpp import account_password

VERIFIER = str(REPO / "tools" / "audit_verify.py")
LOCAL = "local:" + pwd.getpwuid(os.geteuid()).pw_name


def ctl(data_dir, *args):
    return subprocess.run([RAMPARTCTL, "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60)


def tail(data_dir, n=50):
    r = ctl(data_dir, "audit", "tail", "-n", str(n), "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.fixture
def offline(tmp_path):
    """A data directory with no server running: rampartctl is the break-glass path."""
    d = tmp_path / "data"
    d.mkdir()
    for u in ("alice", "bob", "carol"):
        r = ctl(d, "user", "add", "%s@localhost" % u, account_password(u))
        assert r.returncode == 0, r.stderr
    return d


def test_one_role_per_account_and_clear_errors(offline):
    r = ctl(offline, "role", "grant", "alice@localhost", "sysadmin")
    assert r.returncode == 0, r.stderr
    r = ctl(offline, "role", "grant", "alice@localhost", "auditor")
    assert r.returncode == 1
    assert "already holds the role sysadmin" in r.stderr and "one administrator role" in r.stderr
    r = ctl(offline, "role", "grant", "bob@localhost", "root")
    assert r.returncode == 2 and "sysadmin, secadmin, auditor or reviewer" in r.stderr
    r = ctl(offline, "role", "grant", "nobody@localhost", "auditor")
    assert r.returncode == 1 and "no such account" in r.stderr
    r = ctl(offline, "role", "grant", "bob@localhost", "auditor", "--tenant", "other.example")
    assert r.returncode == 1 and "tenant" in r.stderr
    assert ctl(offline, "role", "grant", "bob@localhost", "auditor", "--tenant",
               "localhost").returncode == 0
    listing = ctl(offline, "role", "list").stdout.splitlines()
    assert "alice@localhost sysadmin server" in listing
    assert "bob@localhost auditor localhost" in listing
    r = ctl(offline, "role", "revoke", "alice@localhost", "secadmin")
    assert r.returncode == 1 and "does not hold" in r.stderr
    assert ctl(offline, "role", "revoke", "alice@localhost", "sysadmin").returncode == 0
    assert "alice@localhost" not in ctl(offline, "role", "list").stdout
    # Every write, failed ones included, is in the audit log under the local user's name.
    records = [r for r in tail(offline) if r["action"].startswith("role.")]
    assert [(r["action"], r["result"]) for r in records] == [
        ("role.grant", "success"), ("role.grant", "failure"), ("role.grant", "failure"),
        ("role.grant", "failure"), ("role.grant", "success"), ("role.revoke", "failure"),
        ("role.revoke", "success")], records
    for r in records:
        assert r["actor"] == LOCAL and r["source"] == "local" and r["client"] == "rampartctl"


def test_token_create_prints_only_the_token(offline):
    assert ctl(offline, "role", "grant", "carol@localhost", "secadmin").returncode == 0
    r = ctl(offline, "token", "create", "carol@localhost", "--ttl", "3600")
    assert r.returncode == 0, r.stderr
    token = r.stdout
    assert token.endswith("\n") and token.count("\n") == 1 and token.startswith("rpt_")
    token = token.strip()
    assert len(token) >= 40
    listing = ctl(offline, "token", "list").stdout
    assert "carol@localhost secadmin server" in listing and token not in listing
    token_id = listing.split()[0]
    # Only the hash is stored.
    db = sqlite3.connect(offline / "rampart.db")
    stored = db.execute("SELECT hash FROM admin_tokens").fetchall()
    db.close()
    assert stored and all(token.encode() not in row[0] for row in stored)
    # Not for accounts without a role; lifetimes are bounded.
    r = ctl(offline, "token", "create", "bob@localhost")
    assert r.returncode == 1 and "holds no administrator role" in r.stderr
    assert ctl(offline, "token", "create", "carol@localhost", "--ttl", "5").returncode == 2
    assert ctl(offline, "token", "revoke", token_id).returncode == 0
    assert token_id not in ctl(offline, "token", "list").stdout
    actions = [(r["action"], r["result"]) for r in tail(offline)]
    assert ("token.create", "success") in actions and ("token.revoke", "success") in actions
    created = [r for r in tail(offline) if r["action"] == "token.create" and
               r["result"] == "success"][0]
    assert token not in json.dumps(created), "the token itself never reaches the audit log"


def test_audit_tail_fields_and_reading_is_audited(offline):
    records = tail(offline)
    for r in records:
        for field in ("time", "actor", "role", "source", "tenant", "action", "object", "result"):
            assert field in r, (field, r)
        assert r["time"].endswith("Z") and len(r["time"]) == 24
    assert [r["object"] for r in records if r["action"] == "user.create"] == [
        "alice@localhost", "bob@localhost", "carol@localhost"]
    # The read that produced this output is itself the newest record.
    assert records[-1]["action"] == "audit.read" and records[-1]["actor"] == LOCAL
    human = ctl(offline, "audit", "tail", "-n", "3")
    assert human.returncode == 0 and len(human.stdout.splitlines()) == 3


def verify(data_dir, *kept):
    args = ["audit", "verify"]
    for k in kept:
        args += ["--checkpoint", str(k)]
    return ctl(data_dir, *args)


def independent(data_dir, *kept):
    key = ctl(data_dir, "audit", "key").stdout.strip()
    args = [sys.executable, VERIFIER, "--db", str(data_dir / "audit.db"), "--key", key]
    for k in kept:
        args += ["--checkpoint", str(k)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def seeded(data_dir, n=12):
    for i in range(n):
        assert ctl(data_dir, "user", "add", "u%d@localhost" % i, account_password("pw")).returncode == 0
    r = verify(data_dir)
    assert r.returncode == 0 and r.stdout.startswith("ok:"), (r.stdout, r.stderr)
    assert independent(data_dir).returncode == 0
    kept = data_dir.parent / "kept.checkpoint"
    kept.write_text(ctl(data_dir, "audit", "checkpoint").stdout)
    return kept


def tamper(data_dir, *statements):
    db = sqlite3.connect(data_dir / "audit.db")
    for st in statements:
        db.execute(st)
    db.commit()
    db.close()


def assert_detected(data_dir, record, kept=()):
    r = verify(data_dir, *kept)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout.startswith("TAMPERED"), r.stdout
    if record is not None:
        assert "first bad record: %d" % record in r.stdout, r.stdout
    i = independent(data_dir, *kept)
    assert i.returncode == 1, (i.stdout, i.stderr)


def test_verify_detects_a_changed_record(offline):
    seeded(offline)
    tamper(offline, "UPDATE audit_log SET body = replace(body, 'u5@localhost', 'u9@localhost') "
                    "WHERE body LIKE '%u5@localhost%'")
    changed = sqlite3.connect(offline / "audit.db").execute(
        "SELECT seq FROM audit_log WHERE body LIKE '%u9@localhost%' ORDER BY seq").fetchone()[0]
    assert_detected(offline, changed)


def test_verify_detects_a_changed_record_with_its_hash_recomputed(offline):
    import hashlib
    seeded(offline)
    db = sqlite3.connect(offline / "audit.db")
    seq, body = db.execute("SELECT seq, body FROM audit_log WHERE body LIKE '%u3@localhost%' "
                           "ORDER BY seq").fetchone()
    body = body.replace('"success"', '"failure"')
    db.execute("UPDATE audit_log SET body=?, result='failure', leaf=? WHERE seq=?",
               (body, hashlib.sha256(b"\0" + body.encode()).digest(), seq))
    db.commit()
    db.close()
    assert_detected(offline, seq)


def test_verify_detects_a_removed_record(offline):
    seeded(offline)
    tamper(offline, "DELETE FROM audit_log WHERE seq = 6")
    assert_detected(offline, 6)


def test_verify_detects_reordered_records(offline):
    seeded(offline)
    tamper(offline, "UPDATE audit_log SET seq = -7 WHERE seq = 7",
           "UPDATE audit_log SET seq = 7 WHERE seq = 8",
           "UPDATE audit_log SET seq = 8 WHERE seq = -7")
    assert_detected(offline, 7)


def test_verify_detects_an_inserted_record(offline):
    seeded(offline)
    db = sqlite3.connect(offline / "audit.db")
    rows = db.execute("SELECT * FROM audit_log WHERE seq >= 4 ORDER BY seq DESC").fetchall()
    for row in rows:
        db.execute("UPDATE audit_log SET seq = seq + 1 WHERE seq = ?", (row[0],))
    template = db.execute("SELECT * FROM audit_log WHERE seq = 3").fetchone()
    db.execute("INSERT INTO audit_log VALUES (4,?,?,?,?,?,?,?,?)", template[1:])
    db.commit()
    db.close()
    assert_detected(offline, 4)


def test_verify_detects_truncation_behind_a_checkpoint(offline):
    kept = seeded(offline)
    size = int(kept.read_text().splitlines()[1])
    # Cut the log back and make its head look consistent again: only the checkpoint the
    # auditor kept elsewhere can tell.
    # An operator with database access cuts the log back and makes its head and checkpoint
    # file look consistent again.
    import hashlib
    db = sqlite3.connect(offline / "audit.db")
    cut = size - 3
    checkpoint = db.execute("SELECT checkpoint FROM audit_log WHERE seq=?", (cut,)).fetchone()[0]
    db.execute("DELETE FROM audit_log WHERE seq > ?", (cut,))
    leaves = [hashlib.sha256(b"\0" + b.encode()).digest() for (b,) in
              db.execute("SELECT body FROM audit_log ORDER BY seq")]
    db.execute("UPDATE audit_head SET size=?, checkpoint=?, frontier=?",
               (cut, checkpoint, frontier(leaves)))
    db.commit()
    db.close()
    (offline / "audit.checkpoint").write_text(checkpoint)
    assert verify(offline).returncode == 0, "without a kept checkpoint the cut is invisible"
    # The checkpoint the auditor kept elsewhere reveals it.
    r = verify(offline, kept)
    assert r.returncode == 1 and "truncated" in r.stdout, r.stdout
    assert independent(offline, kept).returncode == 1


def test_verify_detects_a_truncated_tail(offline):
    seeded(offline)
    tamper(offline, "DELETE FROM audit_log WHERE seq > 9")
    r = verify(offline)
    assert r.returncode == 1 and "truncated" in r.stdout, r.stdout
    assert "first bad record: 10" in r.stdout


def frontier(leaves):
    """The compact range of RFC 9162 leaves: perfect subtree roots, largest first."""
    import hashlib
    nodes = []  # (size, hash)
    for leaf in leaves:
        nodes.append((1, leaf))
        while len(nodes) >= 2 and nodes[-1][0] == nodes[-2][0]:
            (n, right), (_, left) = nodes.pop(), nodes.pop()
            nodes.append((2 * n, hashlib.sha256(b"\1" + left + right).digest()))
    return b"".join(h for _, h in nodes)


def test_server_start_and_stop_are_audited(fresh_server):
    assert fresh_server.stop() == 0
    records = tail(fresh_server.data_dir)
    actions = [r["action"] for r in records]
    assert actions[0] == "service.start" and "service.stop" in actions, actions
    assert [r["object"] for r in records if r["action"] == "user.create"][:3] == [
        "sysadmin@localhost", "secadmin@localhost", "auditor@localhost"]
    assert verify(fresh_server.data_dir).returncode == 0


def syslog_until(sock, done, timeout=20):
    """Datagrams until `done(messages)` holds or the time is up."""
    import time as _time
    got = []
    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline and not done(got):
        sock.settimeout(max(0.1, deadline - _time.monotonic()))
        try:
            data, _ = sock.recvfrom(65536)
        except OSError:
            break
        got.append(data.decode())
    return got


RFC5424 = (r'^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) (rampartd|rampartctl) (\d+) '
           r'(\S+) \[rampart-audit@32473 ((?:[a-z_]+="(?:[^"\\\]]|\\.)*" ?)+)\] (\{.*\})$')


def test_audit_records_are_forwarded_to_syslog_rfc5424(own):
    import re
    import socket
    from admin_client import AdminClient
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    s = own(extra='\n[audit]\nsyslog = "udp://127.0.0.1:%d"\n' % udp.getsockname()[1])
    assert s.ctl("role", "grant", "nobody@localhost", "auditor").returncode == 1
    token = s.ctl("token", "create", "auditor@localhost").stdout.strip()
    assert AdminClient(s.admin_port, token=token).get("/api/v1/users").status == 403
    messages = syslog_until(udp, lambda got: any('"user.list"' in m for m in got))
    udp.close()
    records = []
    for m in messages:
        match = re.match(RFC5424, m)
        assert match, m
        pri, _, _, app, _, msgid, sd, body = match.groups()
        record = json.loads(body)
        assert msgid == record["action"]
        assert int(pri) == 10 * 8 + (5 if record["result"] == "success" else 4)
        assert 'seq="%d"' % record["seq"] in sd and 'actor="' in sd
        records.append((app, record))
    actions = [(app, r["action"], r["result"]) for app, r in records]
    assert ("rampartd", "service.start", "success") in actions, actions
    # rampartctl's break-glass writes reach the SIEM too.
    assert ("rampartctl", "role.grant", "failure") in actions, actions
    assert ("rampartd", "user.list", "denied") in actions, actions


def test_audit_syslog_over_tcp_uses_octet_counting(own):
    """RFC 6587 3.4.1: each message is preceded by its length and a space."""
    import re
    import socket
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(20)
    s = own(extra='\n[audit]\nsyslog = "tcp://127.0.0.1:%d"\n' % srv.getsockname()[1])
    conn, _ = srv.accept()
    conn.settimeout(20)
    buf = b""
    while not re.match(rb"^(\d+) ", buf) or len(buf) < int(buf.split(b" ", 1)[0]) + \
            len(buf.split(b" ", 1)[0]) + 1:
        chunk = conn.recv(65536)
        assert chunk, "connection closed"
        buf += chunk
    length, rest = buf.split(b" ", 1)
    message = rest[:int(length)].decode()
    assert re.match(RFC5424, message), message
    assert json.loads(message[message.index("] ") + 2:])["action"] == "service.start"
    conn.close()
    srv.close()
    assert s.running()


def config_changes(data_dir, want):
    """The config.change records, once `want` of them are there (they are written by the
    start-up checks, a moment after the listeners open)."""
    import time as _time
    deadline = _time.monotonic() + 20
    while True:
        changes = [r for r in tail(data_dir, 200) if r["action"] == "config.change"]
        if len(changes) >= want or _time.monotonic() > deadline:
            return changes
        _time.sleep(0.2)


def test_configuration_changes_are_audited_at_start(own):
    s = own()
    changes = config_changes(s.data_dir, 1)
    assert len(changes) == 1 and changes[0]["details"]["previous"] == "none", changes
    assert s.stop() == 0
    s.start()
    # The start-up checks write certificate changes right after; none for an unchanged file.
    assert len(config_changes(s.data_dir, 1)) == 1
    assert s.stop() == 0
    s.config_file.write_text(s.config_file.read_text() + "\n# edited\n")
    s.start()
    changes = config_changes(s.data_dir, 2)
    assert len(changes) == 2 and changes[1]["details"]["previous"] == \
        changes[0]["details"]["sha256"], changes
