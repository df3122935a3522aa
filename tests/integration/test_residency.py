"""Data residency: each tenant's data lives in its region's storage location, a database file and
an upload directory of its own ([residency.regions], [[hosts]] region). Checked by reading the
databases and directories a running server writes: a.test's accounts, messages, documents and
files only in the north region's, b.test's only in the south's, nothing of either in the
server's home database. Personal data sent to another region (a push notification to an app
server of a tenant elsewhere) is refused or allowed as [residency] cross_region says, and every
such transfer is audited (data.transfer)."""
import json
import sqlite3
import time

import pytest

from raw_xmpp import NS_CLIENT, RawStream, account_password, q
from test_config_hosts import ConfigServer, write_config
from test_encryption import upload, wait_reencrypted
from test_push import enable, next_push

USERS = ("alice@a.test", "bob@a.test", "carol@b.test", "pushapp@b.test")


def residency_config(tmp, policy):
    path, data = write_config(tmp, """
[residency]
cross_region = "%s"
[residency.regions.north]
data_dir = "%s"
[residency.regions.south]
data_dir = "%s"

[modules.push]
allowed_services = "b.test"
""" % (policy, tmp / "north", tmp / "south"))
    text = path.read_text()
    text = text.replace('log_level = "info"', 'log_level = "info"\ncross_host_traffic = true', 1)
    text = text.replace('name = "a.test"', 'name = "a.test"\nregion = "north"', 1)
    text = text.replace('name = "b.test"', 'name = "b.test"\nregion = "south"', 1)
    path.write_text(text)
    return path, data


def stream(srv, jid, resource="r"):
    local, host = jid.split("@")
    s = RawStream(srv.c2s_port, host=host)
    s.login(local, account_password(jid), resource)
    return s


def rows(db, sql):
    con = sqlite3.connect(str(db))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def audit(srv, n=60):
    r = srv.ctl("audit", "tail", "-n", str(n), "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("residency")
    path, data = residency_config(tmp, "refuse")
    srv = ConfigServer(data, path, "a.test").start()
    for jid in USERS:
        assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
    with stream(srv, "alice@a.test") as a, stream(srv, "bob@a.test") as b, \
            stream(srv, "carol@b.test") as c:
        for s in (a, b, c):
            s.send("<presence/>")
        a.send("<message to='bob@a.test' type='chat'><body>north words</body></message>")
        c.send("<message to='pushapp@b.test' type='chat'><body>south words</body></message>")
        assert a.iq("<vCard xmlns='vcard-temp'><FN>Alice North</FN></vCard>",
                    type_="set").get("type") == "result"
        url = upload(a, "north.txt", b"north file\n" * 10)
        for s in (a, c):
            s.iq("<ping xmlns='urn:xmpp:ping'/>")
    time.sleep(0.3)
    yield {"srv": srv, "tmp": tmp, "data": data, "path": path, "url": url}
    srv.stop()


def test_each_tenant_lives_in_its_region(world):
    tmp, data = world["tmp"], world["data"]
    north, south, home = tmp / "north" / "rampart.db", tmp / "south" / "rampart.db", \
        data / "rampart.db"
    assert north.exists() and south.exists() and home.exists()
    north_accounts = {h for h, in rows(north, "SELECT DISTINCT host FROM accounts")}
    south_accounts = {h for h, in rows(south, "SELECT DISTINCT host FROM accounts")}
    assert north_accounts == {"a.test"}, north_accounts
    assert south_accounts == {"b.test"}, south_accounts
    assert rows(home, "SELECT count(*) FROM accounts") == [(0,)]
    for db, host in ((north, "a.test"), (south, "b.test")):
        hosts = {h for h, in rows(db, "SELECT DISTINCT host FROM archive")}
        assert hosts == {host}, (db, hosts)
        kv = {h for h, in rows(db, "SELECT DISTINCT host FROM kv")}
        assert all(h == host or h.endswith("." + host) for h in kv), (db, kv)
        assert kv or host == "b.test", (db, kv)  # alice's vCard and upload record
        logins = {h for h, in rows(db, "SELECT DISTINCT host FROM logins")}
        assert logins == {host}, (db, logins)
    for table in ("archive", "kv", "logins", "roster", "offline"):
        assert rows(home, "SELECT count(*) FROM %s" % table) == [(0,)], table


def test_uploads_live_in_the_regions_directory(world):
    tmp, data = world["tmp"], world["data"]
    token = world["url"].rstrip("/").split("/")[-2]
    assert (tmp / "north" / "uploads" / "a.test" / token).exists()
    assert not (data / "uploads" / "a.test").exists() or \
        not any((data / "uploads" / "a.test").iterdir())
    assert not (tmp / "south" / "uploads" / "a.test").exists()


def test_everything_reads_back_through_the_router(world):
    srv = world["srv"]
    with stream(srv, "alice@a.test") as a:
        v = a.iq("<vCard xmlns='vcard-temp'/>")
        assert v.find("{vcard-temp}vCard/{vcard-temp}FN").text == "Alice North"
    r = srv.ctl("user", "list", "b.test")
    assert sorted(r.stdout.split()) == ["carol@b.test", "pushapp@b.test"]
    r = srv.ctl("user", "export", "alice@a.test", "--out", str(world["tmp"] / "alice.zip"))
    assert r.returncode == 0, r.stderr


def test_a_key_rotation_reseals_the_regions_data(world):
    srv = world["srv"]
    r = srv.ctl("key", "rotate", "a.test")
    assert r.returncode == 0, r.stderr
    st = wait_reencrypted(srv, 2)
    assert st["reencryption"]["resealed"] >= 3, st  # north's archive, vCard, upload record
    with stream(srv, "alice@a.test") as a:
        v = a.iq("<vCard xmlns='vcard-temp'/>")
        assert v.find("{vcard-temp}vCard/{vcard-temp}FN").text == "Alice North"


def push_from_a_to_b(srv):
    """alice (north) registers the south app server, goes away, bob writes to her: returns the
    push the app server got, or None."""
    with stream(srv, "pushapp@b.test", "app") as app, stream(srv, "bob@a.test") as b:
        with stream(srv, "alice@a.test", "phone") as a:
            assert enable(a, "pushapp@b.test/app", "dev").get("type") == "result"
        time.sleep(0.3)
        b.send("<message to='alice@a.test' type='chat'><body>wake up</body></message>")
        b.iq("<ping xmlns='urn:xmpp:ping'/>")
        try:
            return next_push(app, timeout=3)
        except TimeoutError:
            return None


def test_a_push_to_another_region_is_refused_and_audited(world):
    srv = world["srv"]
    assert push_from_a_to_b(srv) is None
    refused = [e for e in audit(srv) if e["action"] == "data.transfer"]
    assert refused, "no data.transfer record"
    e = refused[-1]
    assert e["result"] == "denied" and e["object"] == "alice@a.test" and e["tenant"] == "a.test"
    assert e["details"]["purpose"] == "push"
    assert e["details"]["from_region"] == "north" and e["details"]["to_region"] == "south"
    assert e["details"]["destination"].startswith("pushapp@b.test")


def test_allowed_by_policy_it_is_sent_and_audited(world):
    srv, tmp = world["srv"], world["tmp"]
    srv.stop()
    residency_config(tmp, "allow")
    srv.start()
    assert push_from_a_to_b(srv) is not None
    sent = [e for e in audit(srv) if e["action"] == "data.transfer" and e["result"] == "success"]
    assert sent and sent[-1]["details"]["to_region"] == "south"


def test_a_region_must_be_defined(tmp_path):
    path, data = write_config(tmp_path)
    path.write_text(path.read_text().replace('name = "a.test"', 'name = "a.test"\nregion = "mars"'))
    r = ConfigServer(data, path, "a.test").ctl("retention", "show")
    assert r.returncode == 2 and "mars" in r.stderr
