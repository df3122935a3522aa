"""A person's rights over their data (PIPL arts. 44-47, GDPR arts. 15-20): `rampartctl user
export` writes everything stored about an account as a ZIP of JSON files and the uploaded
files, checked here against what the test created; `rampartctl user erase` removes it all,
leaves tombstones where its messages were in other people's and rooms' archives, destroys its
keys, and prints what was removed. Both are audited."""
import io
import json
import secrets
import zipfile

import pytest

from raw_xmpp import NS_CLIENT, RawStream, account_password, q
from test_account_center import AccountClient
from test_config_hosts import ConfigServer, write_config
from test_encryption import (ROOM_SERVICE, key_status, leaks, login, make_persistent, on,
                             room_join, text_of, upload)
from test_history import archive_query, result_bodies
from test_residency import stream
from test_upload import NS_UPLOAD, http_request, slot_urls

ROSTER = "jabber:iq:roster"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy")
    # A rule that refuses uploaded text with 绝密 ("top secret"): the refused file is kept as
    # evidence naming its uploader.
    path, data = write_config(tmp, "[account_security]\nreset_questions = true\n"
                              "[[content_security.rules]]\nname = \"top-secret\"\n"
                              "keywords = [\"绝密\"]\naction = \"block\"\n")
    # carol is a person of another tenant on this server; alice may write to her.
    path.write_text(path.read_text().replace(
        'log_level = "info"', 'log_level = "info"\ncross_host_traffic = true', 1))
    srv = ConfigServer(data, path, "a.test").start()
    try:
        for jid in ("alice@a.test", "bob@a.test", "dave@a.test", "carol@b.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        m = {k: "PR%s%s" % (k, secrets.token_hex(5)) for k in
             ("chat", "reply", "vcard", "private", "room", "file", "question", "contact",
              "undelivered", "abroad", "abroad_undelivered", "evidence")}
        room = "rights%d@%s" % (secrets.randbelow(10 ** 6), ROOM_SERVICE)
        with login(srv, "alice") as a, login(srv, "bob") as b:
            a.send("<presence/>")
            b.send("<presence/>")
            r = a.iq("<query xmlns='%s'><item jid='bob@a.test' name='%s'><group>Work</group></item>"
                     "</query>" % (ROSTER, m["contact"]), type_="set")
            assert r.get("type") == "result"
            a.send("<message to='bob@a.test' type='chat'><body>%s</body></message>" % m["chat"])
            b.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                     e.find(q(NS_CLIENT, "body")) is not None)
            b.send("<message to='alice@a.test' type='chat'><body>%s</body></message>" % m["reply"])
            a.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                     e.find(q(NS_CLIENT, "body")) is not None and
                     e.find(q(NS_CLIENT, "body")).text == m["reply"])
            assert a.iq("<vCard xmlns='vcard-temp'><FN>%s</FN></vCard>" % m["vcard"],
                        type_="set").get("type") == "result"
            assert a.iq("<query xmlns='jabber:iq:private'><n xmlns='urn:test:p'>%s</n></query>"
                        % m["private"], type_="set").get("type") == "result"
            # bob's persistent room; alice talks in it.
            room_join(b, room, "bob")
            make_persistent(b, room)
            room_join(a, room, "Alice Liddell")
            a.send("<message to='%s' type='groupchat'><body>%s</body></message>" % (room, m["room"]))
            b.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("type") == "groupchat" and
                     e.find(q(NS_CLIENT, "body")) is not None and
                     e.find(q(NS_CLIENT, "body")).text == m["room"])
            # To dave, who is not signed in (it waits in his offline queue); to carol of b.test,
            # once while she is signed in (it is in her archive) and once while she is not.
            a.send("<message to='dave@a.test' type='chat'><body>%s</body></message>"
                   % m["undelivered"])
            with stream(srv, "carol@b.test") as c:
                c.send("<presence/>")
                a.send("<message to='carol@b.test' type='chat'><body>%s</body></message>"
                       % m["abroad"])
                c.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                         e.find(q(NS_CLIENT, "body")) is not None and
                         e.find(q(NS_CLIENT, "body")).text == m["abroad"])
            a.send("<message to='carol@b.test' type='chat'><body>%s</body></message>"
                   % m["abroad_undelivered"])
            content = ("%s\n" % m["file"]).encode() * 20
            url = upload(a, "alice notes.txt", content)
            refused = ("绝密 %s\n" % m["evidence"]).encode() * 5
            reply = a.iq("<request xmlns='%s' filename='plans.txt' size='%d' content-type='text/plain'/>"
                         % (NS_UPLOAD, len(refused)), to="a.test")
            put, _ = slot_urls(reply)
            status, _, _ = http_request("PUT", put, refused, {"Content-Type": "text/plain"})
            assert status == 422, status  # refused by the rule (content-policy)
            a.iq("<ping xmlns='urn:xmpp:ping'/>")
        c = AccountClient(srv)
        assert c.sign_in("alice@a.test", account_password("alice@a.test")).status == 201
        items = [{"question": "%s?" % m["question"], "answer": "zq-answer-one"},
                 {"question": "Second?", "answer": "two"}, {"question": "Third?", "answer": "three"}]
        assert c.put("/security-questions", {"items": items}).status == 200
    except BaseException:
        srv.stop()  # a failed set-up leaves no server running
        raise
    yield {"srv": srv, "m": m, "room": room, "url": url, "content": content, "tmp": tmp}
    srv.stop()


def test_export_holds_everything_the_account_created(world):
    srv, m = world["srv"], world["m"]
    out = world["tmp"] / "alice-export.zip"
    r = srv.ctl("user", "export", "alice@a.test", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    z = zipfile.ZipFile(out)
    names = set(z.namelist())
    for f in ("manifest.json", "account.json", "roster.json", "documents.json", "archive.json",
              "room-messages.json", "offline.json", "logins.json", "devices.json", "files.json"):
        assert f in names, names
    load = lambda n: json.loads(z.read(n))
    manifest = load("manifest.json")
    assert manifest["format"] == "rampart-personal-data-export" and manifest["version"] == 1
    assert manifest["account"] == "alice@a.test"
    assert set(manifest["contents"]) <= names
    archive = load("archive.json")
    stanzas = " ".join(i["stanza"] for i in archive)
    assert m["chat"] in stanzas and m["reply"] in stanzas
    # The conversations with bob, dave and carol (and the server's notices, e.g. about a new
    # sign-in).
    assert len([i for i in archive if i["with"] == "bob@a.test"]) == 2
    assert len([i for i in archive if i["with"] == "carol@b.test"]) == 2
    assert {i["with"] for i in archive} <= {"bob@a.test", "dave@a.test", "carol@b.test", "a.test"}
    docs = json.dumps(load("documents.json"), ensure_ascii=False)
    assert m["vcard"] in docs and m["private"] in docs
    rooms = load("room-messages.json")
    assert [i["room"] for i in rooms] == [world["room"]] and m["room"] in rooms[0]["stanza"]
    roster = load("roster.json")
    assert roster[0]["jid"] == "bob@a.test" and roster[0]["name"] == m["contact"]
    assert roster[0]["groups"] == ["Work"]
    account = load("account.json")
    assert account["jid"] == "alice@a.test"
    assert account["security_questions"][0] == "%s?" % m["question"]
    assert "zq-answer-one" not in json.dumps(account)  # answers are never exported (only their hashes exist)
    logins = load("logins.json")
    assert logins and {l["result"] for l in logins} == {"success"}
    assert {l["protocol"] for l in logins} >= {"xmpp", "web"}
    files = load("files.json")
    assert [f["name"] for f in files] == ["alice notes.txt"]
    assert z.read(files[0]["file"]) == world["content"]
    assert manifest["counts"]["files"] == 1 and manifest["counts"]["archived_messages"] == len(archive)
    # Audited, with the file it went to.
    r = srv.ctl("audit", "tail", "-n", "20", "--json")
    rec = [json.loads(l) for l in r.stdout.splitlines() if '"user.export"' in l]
    assert rec and rec[-1]["object"] == "alice@a.test" and rec[-1]["result"] == "success"
    # An unknown account: an error, nothing written.
    missing = world["tmp"] / "nobody.zip"
    r = srv.ctl("user", "export", "nobody@a.test", "--out", str(missing))
    assert r.returncode == 1 and not missing.exists()
    assert srv.ctl("user", "export", "alice@a.test").returncode == 2  # --out is required


def test_erasure_removes_everything_and_reports_it(world):
    srv, m = world["srv"], world["m"]
    before = key_status(srv, "a.test")["tenants"][0]
    keys_before = sum(v["account_keys"] for v in before["versions"])
    r = srv.ctl("user", "erase", "alice@a.test", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    removed = report["removed"]
    assert report["account"] == "alice@a.test" and removed["account"] == 1
    assert removed["archived_messages"] >= 2 and removed["files"] == 1
    assert removed["file_bytes"] > len(world["content"])  # sealed: the ciphertext on disk
    assert removed["room_messages_redacted"] == 1
    # bob's archive, carol's (another tenant) and dave's (archived on arrival, like carol's
    # second message, though never delivered).
    assert removed["messages_redacted_in_other_archives"] == 4
    # What still waited for dave and carol is gone, not delivered later.
    assert removed["undelivered_messages_to_others"] == 2
    # The refused upload kept as evidence, with its description naming alice.
    assert removed["evidence_files"] == 1
    assert list((srv.data_dir / "evidence" / "a.test").iterdir()) == []
    assert removed["login_records"] >= 2 and removed["roster_items"] == 1
    assert removed["documents"] >= 2
    assert report["keys"].startswith("destroyed")
    assert any("audit" in k["data"] for k in report["kept"])
    after = key_status(srv, "a.test")["tenants"][0]
    assert sum(v["account_keys"] for v in after["versions"]) < keys_before
    # The account is gone; so is its file.
    with RawStream(srv.c2s_port, host="a.test") as s:
        with pytest.raises(Exception):
            s.login("alice", account_password("alice@a.test"), "r")
    status, _, body = http_request("GET", on(srv, world["url"]))
    assert status == 404 and world["content"] not in body
    # bob's archive and the room's: tombstones where alice's messages were, no marker left.
    with login(srv, "bob") as b:
        results, fin = archive_query(b)
        everything = " ".join(text_of(x) for x in results)
        assert m["chat"] not in everything and m["reply"] in everything
        assert "removed at its author's request" in everything
        assert "urn:xmpp:message-retract:1" in everything
        results, fin = archive_query(b, to=world["room"])
        everything = " ".join(text_of(x) for x in results)
        assert fin.get("type") == "result"
        assert m["room"] not in everything and "Alice Liddell" not in everything
        assert "alice@a.test" not in everything
        assert "removed at its author's request" in everything
        # Nor can alice's words be found by searching.
        results, fin = archive_query(b, {"{urn:xmpp:fulltext:0}fulltext": m["chat"]})
        assert result_bodies(results) == []
    # dave and carol find tombstones in their archives, and nothing waiting from alice.
    for jid in ("dave@a.test", "carol@b.test"):
        with stream(srv, jid) as s:
            # Offline messages come after the initial presence, before the ping's answer.
            s.send("<presence/><iq type='get' id='after-offline'><ping xmlns='urn:xmpp:ping'/>"
                   "</iq>")
            arrived = []
            while True:
                el = s.next()
                if el.get("id") == "after-offline":
                    break
                arrived.append(text_of(el))
            results, fin = archive_query(s)
            everything = " ".join(text_of(x) for x in results)
            assert fin.get("type") == "result"
            assert "removed at its author's request" in everything
            for k in ("undelivered", "abroad", "abroad_undelivered"):
                assert m[k] not in everything and m[k] not in " ".join(arrived)
    # No trace of any marker in any byte of the data directory.
    assert leaks(srv.data_dir, list(m.values()) + ["Alice Liddell"]) == []
    # Audited; erasing again is an error.
    r = srv.ctl("audit", "tail", "-n", "20", "--json")
    assert any('"user.erase"' in l and '"success"' in l for l in r.stdout.splitlines())
    assert srv.ctl("user", "erase", "alice@a.test").returncode == 1


def test_legal_hold_suspends_retention_deletion_and_erasure(tmp_path):
    import sqlite3
    import time
    path, data = write_config(tmp_path, "[modules.mam]\nretention_days = 1\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        for jid in ("alice@a.test", "bob@a.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        with login(srv, "alice") as a:
            a.send("<message to='bob@a.test' type='chat'><body>held words</body></message>")
            a.iq("<ping xmlns='urn:xmpp:ping'/>")
            time.sleep(0.3)  # the archive's group commit (50 ms window)
        assert srv.ctl("hold", "set", "alice@a.test").returncode == 2  # a reason is required
        r = srv.ctl("hold", "set", "alice@a.test", "--reason", "litigation 2026-17")
        assert r.returncode == 0, r.stderr
        r = srv.ctl("hold", "set", "case@%s" % ROOM_SERVICE, "--reason", "litigation 2026-17")
        assert r.returncode == 0, r.stderr
        holds = json.loads(srv.ctl("hold", "list", "--json").stdout)
        assert {(h["jid"], h["kind"]) for h in holds} == {
            ("alice@a.test", "account"), ("case@%s" % ROOM_SERVICE, "room")}
        assert all(h["reason"] == "litigation 2026-17" and h["set_by"].startswith("local:")
                   for h in holds)
        # Neither deleted nor erased while held.
        r = srv.ctl("user", "erase", "alice@a.test")
        assert r.returncode == 1 and "legal hold" in r.stderr
        r = srv.ctl("user", "del", "alice@a.test")
        assert r.returncode == 1 and "legal hold" in r.stderr
        srv.stop()
        # Both copies of the message aged past the retention period.
        db = sqlite3.connect(str(data / "rampart.db"))
        db.execute("UPDATE archive SET ts = ts - 172800000000")
        db.commit()
        db.close()
        srv.start()
        deadline = time.monotonic() + 10
        while True:
            db = sqlite3.connect(str(data / "rampart.db"))
            owners = sorted(o for (o,) in db.execute(
                "SELECT owner FROM archive WHERE host = 'a.test' AND with_bare != 'a.test'"))
            db.close()
            if owners == ["alice"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert owners == ["alice"]  # bob's copy expired; alice's is held
        # The auditor's view of it, and the audit records.
        r = srv.ctl("audit", "tail", "-n", "30", "--json")
        actions = [json.loads(l)["action"] for l in r.stdout.splitlines() if l.strip()]
        assert actions.count("hold.set") == 2
        # Cleared: erasure works again.
        assert srv.ctl("hold", "clear", "alice@a.test").returncode == 0
        assert srv.ctl("hold", "clear", "alice@a.test").returncode == 1  # no hold any more
        r = srv.ctl("user", "erase", "alice@a.test")
        assert r.returncode == 0, r.stderr
        assert "erased alice@a.test" in r.stdout and "removed:" in r.stdout
        assert [h["jid"] for h in json.loads(srv.ctl("hold", "list", "--json").stdout)] == [
            "case@%s" % ROOM_SERVICE]
    finally:
        srv.stop()
