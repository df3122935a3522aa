"""Data at rest: envelope encryption under the storage interfaces. Marker strings sent in
messages (1:1, offline, group chat), vCards, private XML, PEP items, uploaded files and personal
fields never appear in the bytes of the database, its WAL, the upload directory or any file of a
copy of the data directory; everything stays readable after two key rotations and a restart; a
flipped byte in a stored ciphertext is an error; and the master key can live in an HSM (SoftHSM2
through PKCS#11)."""
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import RAMPARTCTL
from raw_xmpp import NS_CLIENT, RawStream, account_password, q, stanza_error_condition
from test_account_center import AccountClient
from test_config_hosts import ConfigServer, write_config
from test_history import archive_query, result_bodies
from test_upload import http_request, slot_urls

NS_UPLOAD = "urn:xmpp:http:upload:0"
NS_MUC = "http://jabber.org/protocol/muc"
ROOM_SERVICE = "conference.a.test"


def marker(kind):
    # Latin and Chinese, so that both encodings of text are looked for.
    return "MK%s%s" % (kind, secrets.token_hex(6)), "标记%s%s" % (kind, secrets.token_hex(4))


def login(srv, local, resource="r"):
    s = RawStream(srv.c2s_port, host="a.test")
    s.login(local, account_password("%s@a.test" % local), resource)
    return s


def text_of(el):
    return ET.tostring(el, encoding="unicode")


def files_under(root):
    for dirpath, _, names in os.walk(root):
        for n in names:
            yield os.path.join(dirpath, n)


def leaks(root, needles):
    """(file, marker) for every marker found in the bytes of any file under root."""
    found = []
    encoded = [(m, m.encode()) for m in needles]
    for path in files_under(root):
        with open(path, "rb") as f:
            data = f.read()
        for m, b in encoded:
            if b in data:
                found.append((os.path.relpath(path, root), m))
    return found


def key_status(srv, *args):
    r = srv.ctl("key", "status", *args, "--json")
    assert r.returncode == 0, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def wait_reencrypted(srv, version, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        st = key_status(srv, "a.test")["tenants"][0]
        re = st["reencryption"]
        if st["current_version"] == version and re["state"] == "idle" and \
                re["progress_percent"] == 100 and re["failed"] == 0:
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.2)


def upload(s, name, content):
    reply = s.iq("<request xmlns='%s' filename='%s' size='%d' content-type='text/plain'/>"
                 % (NS_UPLOAD, name, len(content)), to="a.test")
    put, get = slot_urls(reply)
    status, _, _ = http_request("PUT", put, content, {"Content-Type": "text/plain"})
    assert status == 201
    return get


def on(srv, url):
    """The file URL with the port this start of the server listens on."""
    return url.replace(url.split("/")[2], "a.test:%d" % srv.https_port)


def room_join(s, room, nick):
    s.send("<presence to='%s/%s'><x xmlns='%s'/></presence>" % (room, nick, NS_MUC))
    s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
             e.find(q(NS_CLIENT, "subject")) is not None)


def make_persistent(owner, room):
    """The room's owner makes it persistent (XEP-0045 10.2), so it and its archive stay."""
    r = owner.iq("<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                 "type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/"
                 "muc#roomconfig</value></field><field var='muc#roomconfig_persistentroom'>"
                 "<value>1</value></field></x></query>", type_="set", to=room)
    assert r.get("type") == "result", text_of(r)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A server holding one marker in each kind of stored data, stopped; and the markers."""
    tmp = tmp_path_factory.mktemp("encryption")
    path, data = write_config(tmp, "[account_security]\nreset_questions = true\n")
    srv = ConfigServer(data, path, "a.test").start()
    for jid in ("alice@a.test", "bob@a.test"):
        assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
    m = {k: marker(k) for k in ("chat", "offline", "vcard", "private", "pep", "room", "file",
                                 "question", "agent")}
    with login(srv, "alice") as a:
        a.send("<presence/>")
        # 1:1, while bob is offline: alice's archive, bob's archive and bob's offline queue.
        for k in ("chat", "offline"):
            a.send("<message to='bob@a.test' type='chat' id='%s'><body>%s %s</body></message>"
                   % (k, *m[k]))
        # A vCard with a phone number and an e-mail address, private XML, a PEP item.
        r = a.iq("<vCard xmlns='vcard-temp'><FN>%s</FN><DESC>%s</DESC><TEL><NUMBER>+86 %s"
                 "</NUMBER></TEL><EMAIL><USERID>%s@mail.example</USERID></EMAIL></vCard>"
                 % (m["vcard"][0], m["vcard"][1], "139" + m["vcard"][0][-8:], m["vcard"][0]),
                 type_="set")
        assert r.get("type") == "result", text_of(r)
        r = a.iq("<query xmlns='jabber:iq:private'><note xmlns='urn:test:enc'>%s %s</note>"
                 "</query>" % m["private"], type_="set")
        assert r.get("type") == "result", text_of(r)
        r = a.iq("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:test:enc'>"
                 "<item id='i1'><entry xmlns='urn:test:enc'>%s %s</entry></item></publish>"
                 "</pubsub>" % m["pep"], type_="set")
        assert r.get("type") == "result", text_of(r)
        # A room's archive.
        room = "enc%d@%s" % (secrets.randbelow(10 ** 6), ROOM_SERVICE)
        room_join(a, room, "alice")
        make_persistent(a, room)
        a.send("<message to='%s' type='groupchat'><body>%s %s</body></message>" % (room, *m["room"]))
        a.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("type") == "groupchat"
                 and e.find(q(NS_CLIENT, "body")) is not None)
        # A file.
        content = ("%s %s\n" % m["file"]).encode() * 50
        get_url = upload(a, "notes.txt", content)
        a.iq("<ping xmlns='urn:xmpp:ping'/>")
    # A personal field: security questions (set in the account center), and a sign-in record
    # naming the browser (User-Agent).
    c = AccountClient(srv, agent="Mozilla/5.0 (%s)" % m["agent"][0])
    assert c.sign_in("alice@a.test", account_password("alice@a.test")).status == 201
    items = [{"question": "%s one" % m["question"][0], "answer": "first answer"},
             {"question": "%s two" % m["question"][1], "answer": "second answer"},
             {"question": "Third question?", "answer": "third answer"}]
    r = c.put("/security-questions", {"items": items})
    assert r.status == 200, r
    srv.stop()
    # The browser's name is also, by design, in the audit log and alerts (who signed in with
    # what) and the server's log: it is looked for in the sign-in records only.
    yield {"srv": srv, "markers": [x for k, pair in m.items() if k != "agent" for x in pair],
           "m": m,
           "room": room, "file": (get_url, content), "questions": [i["question"] for i in items]}


def check_readable(srv, st, offline=True):
    """Everything the fixture stored reads back as it was sent (the offline message only the
    first time: it is delivered then)."""
    m = st["m"]
    if offline:
        with login(srv, "bob") as b:
            b.send("<presence/>")
            got = b.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "offline")
            assert got.find(q(NS_CLIENT, "body")).text == "%s %s" % m["offline"]
    with login(srv, "alice") as a:
        results, fin = archive_query(a, {"with": "bob@a.test"})
        assert fin.get("type") == "result", text_of(fin)
        assert result_bodies(results) == ["%s %s" % m["chat"], "%s %s" % m["offline"]]
        vcard = text_of(a.iq("<vCard xmlns='vcard-temp'/>"))
        assert m["vcard"][0] in vcard and m["vcard"][1] in vcard
        private = text_of(a.iq("<query xmlns='jabber:iq:private'><note xmlns='urn:test:enc'/>"
                               "</query>"))
        assert "%s %s" % m["private"] in private
        pep = text_of(a.iq("<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                           "<items node='urn:test:enc'/></pubsub>", to="alice@a.test"))
        assert "%s %s" % m["pep"] in pep
        results, fin = archive_query(a, to=st["room"])
        assert fin.get("type") == "result", text_of(fin)
        assert "%s %s" % m["room"] in result_bodies(results)
        url, content = st["file"]
        status, _, body = http_request("GET", on(srv, url))
        assert status == 200 and body == content
    c = AccountClient(srv)
    assert c.sign_in("alice@a.test", account_password("alice@a.test")).status == 201
    r = c.get("/recovery")
    assert r.status == 200, r
    assert r.json()["questions"] == st["questions"]
    # The sign-in records read back: the browser the fixture signed in with.
    logins = c.get("/logins?limit=100").json()["items"]
    assert any(m["agent"][0] in (l["client"] or "") for l in logins), logins
    assert all(l["source"].startswith("127.") for l in logins), [l["source"] for l in logins]


def test_no_marker_in_any_stored_byte(stored, tmp_path):
    data = stored["srv"].data_dir
    # The database with its WAL (the server stopped with the WAL in place or checkpointed),
    # the upload directory, and everything else in a copy of the data directory.
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    assert (copy / "rampart.db").exists() and (copy / "uploads").is_dir()
    assert leaks(copy, stored["markers"]) == []
    # The database does hold the data: sealed, not missing.
    db = sqlite3.connect(str(copy / "rampart.db"))
    sealed = db.execute("SELECT count(*) FROM archive WHERE substr(stanza, 1, 4) = "
                        "CAST(x'00524501' AS BLOB)").fetchone()[0]
    total = db.execute("SELECT count(*) FROM archive").fetchone()[0]
    db.close()
    assert total >= 3 and sealed == total
    # Sign-in records: the address, browser, resource and place are sealed (TEXT columns hold
    # "rpe1:" and base64), the account and time are not.
    db = sqlite3.connect(str(copy / "rampart.db"))
    rows = db.execute("SELECT user, source, client, resource, city, latitude FROM logins").fetchall()
    db.close()
    assert any(r[0] == "alice" for r in rows)
    for user, source, client, resource, city, latitude in rows:
        # An empty field stays empty (an XMPP client that gave no name, no place found).
        for field in (source, client, resource, city):
            assert field == "" or field.startswith("rpe1:"), rows
        assert source and "127.0.0.1" not in source and latitude == 0
    assert [r for r in rows if r[2].startswith("rpe1:")], rows  # the browser's sign-ins
    assert not [r for r in rows if stored["m"]["agent"][0] in r[2]]


def test_readable_after_two_rotations_and_a_restart(stored):
    srv = stored["srv"]
    srv.start()
    try:
        first = key_status(srv, "a.test")["tenants"][0]
        assert first["current_version"] == 1 and first["versions"][0]["account_keys"] >= 2
        for version in (2, 3):
            r = srv.ctl("key", "rotate", "a.test")
            assert r.returncode == 0, r.stderr
            st = wait_reencrypted(srv, version)
            assert st["reencryption"]["resealed"] >= 10, st
        assert [v["state"] for v in st["versions"]] == ["retired", "retired", "current"]
        text = srv.ctl("key", "status").stdout
        assert "tenant a.test: current version 3" in text
        check_readable(srv, stored)
    finally:
        srv.stop()
    # Every stored value now names version 3.
    db = sqlite3.connect(str(srv.data_dir / "rampart.db"))
    versions = {row[0] for row in db.execute("SELECT substr(stanza, 6, 4) FROM archive")}
    db.close()
    assert versions == {b"\x00\x00\x00\x03"}
    # So does every uploaded file: sealed again under the new key, not only readable with the
    # old one.
    uploads = srv.data_dir / "uploads" / "a.test"
    files = [f for f in uploads.iterdir() if f.is_file()]
    assert files and all(f.read_bytes()[5:9] == b"\x00\x00\x00\x03" for f in files), files
    assert not [f for f in uploads.iterdir() if f.name.endswith(".sealing")]
    srv.start()
    try:
        check_readable(srv, stored, offline=False)
        # The rotations are in the audit log.
        r = srv.ctl("audit", "tail", "-n", "50", "--json")
        actions = [json.loads(line)["action"] for line in r.stdout.splitlines() if line.strip()]
        assert actions.count("key.rotate") == 2, actions
    finally:
        srv.stop()


def test_a_flipped_byte_is_an_error(stored, tmp_path):
    # On a copy, so that the other tests keep their data.
    data = tmp_path / "data"
    shutil.copytree(stored["srv"].data_dir, data)
    config = tmp_path / "rampart.toml"
    config.write_text(stored["srv"].config_file.read_text().replace(
        str(stored["srv"].data_dir), str(data)))
    db = sqlite3.connect(str(data / "rampart.db"))
    seq, blob = db.execute("SELECT seq, stanza FROM archive WHERE host='a.test' AND owner='alice' "
                           "ORDER BY seq LIMIT 1").fetchone()
    flipped = bytearray(blob)
    flipped[len(flipped) // 2] ^= 0x01
    db.execute("UPDATE archive SET stanza=? WHERE seq=?", (bytes(flipped), seq))
    db.commit()
    db.close()
    url, content = stored["file"]
    token = url.rsplit("/", 2)[1]
    path = data / "uploads" / "a.test" / token
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0x80
    path.write_bytes(bytes(raw))
    srv = ConfigServer(data, config, "a.test").start()
    try:
        with login(srv, "alice") as a:
            results, fin = archive_query(a, {"with": "bob@a.test"})
            assert fin.get("type") == "error", text_of(fin)
            assert stanza_error_condition(fin) == "internal-server-error"
            assert result_bodies(results) == []
        status, _, body = http_request("GET", on(srv, url))
        assert status == 500 and content not in body
        # Nothing else is affected: bob's archive reads.
        with login(srv, "bob") as b:
            results, fin = archive_query(b)
            assert fin.get("type") == "result"
    finally:
        srv.stop()


def test_master_key_in_softhsm(tmp_path, monkeypatch):
    util = shutil.which("softhsm2-util")
    assert util, "softhsm2 is installed by scripts/install-deps.sh --test"
    module = next(p for p in ("/usr/lib/softhsm/libsofthsm2.so",
                              "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                              "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
                  if os.path.exists(p))
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
                    % tokens)
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run([util, "--init-token", "--free", "--label", "rampart-test", "--pin", "4711",
                    "--so-pin", "9876"], check=True, capture_output=True)
    pin = tmp_path / "pin"
    pin.write_text("4711\n")
    pin.chmod(0o600)
    path, data = write_config(tmp_path, '[encryption]\nkey_provider = "pkcs11"\n'
                                        'pkcs11_module = "%s"\npkcs11_token = "rampart-test"\n'
                                        'pkcs11_pin_file = "%s"\n' % (module, pin))
    srv = ConfigServer(data, path, "a.test").start()
    word = marker("hsm")[0]
    try:
        for jid in ("alice@a.test", "bob@a.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        with login(srv, "alice") as a:
            a.send("<message to='bob@a.test' type='chat'><body>%s</body></message>" % word)
            a.iq("<ping xmlns='urn:xmpp:ping'/>")
        st = key_status(srv, "a.test")
        assert st["provider"] == "pkcs11"
        assert st["tenants"][0]["versions"][0]["wrapped_by"] == "provider:pkcs11"
    finally:
        srv.stop()
    assert not (data / "master.key").exists()
    assert leaks(data, [word]) == []
    srv.start()
    try:
        with login(srv, "bob") as b:
            results, fin = archive_query(b)
            assert fin.get("type") == "result" and result_bodies(results) == [word]
    finally:
        srv.stop()
    # Without the token's key the data stays closed: another token of the same label.
    shutil.rmtree(tokens)
    tokens.mkdir()
    subprocess.run([util, "--init-token", "--free", "--label", "rampart-test", "--pin", "4711",
                    "--so-pin", "9876"], check=True, capture_output=True)
    srv.start()
    try:
        with login(srv, "bob") as b:
            results, fin = archive_query(b)
            assert fin.get("type") == "error" and result_bodies(results) == []
    finally:
        srv.stop()


def test_privacy_inventory_lists_where_personal_data_is_and_its_key(tmp_path):
    path, data = write_config(tmp_path)
    r = subprocess.run([RAMPARTCTL, "--config", str(path),
                        "privacy", "inventory", "--json"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    fields = json.loads(r.stdout)
    where = {(f["database"], f["table"], c): f for f in fields for c in f["columns"]}
    for table, column in (("archive", "stanza"), ("offline", "stanza"), ("kv", "value"),
                          ("account_state", "phone"), ("account_state", "security_questions"),
                          ("quarantine", "stanza")):
        f = where[("rampart.db", table, column)]
        assert "AES-256-GCM" in f["protection"], f
        assert f["purpose"] and f["retention"] and f["data"]
    assert "AES-256-GCM" in where[("uploads", "files", "content")]["protection"]
    # Identifiers the server looks up by stay in clear, and say so.
    assert where[("rampart.db", "accounts", "user")]["protection"] == "clear"
    assert all(f["location"] for f in fields)
    text = subprocess.run([RAMPARTCTL, "--config", str(path),
                           "privacy", "inventory"], capture_output=True, text=True, timeout=30)
    assert "rampart.db:archive (stanza)" in text.stdout


def test_full_text_search_in_latin_and_chinese_over_a_blind_index(tmp_path):
    """XEP-0431: the archive finds messages by their words, Latin and Chinese (bigrams), in 1:1
    and room archives, while the database holds neither the words nor their plain digests."""
    path, data = write_config(tmp_path)
    srv = ConfigServer(data, path, "a.test").start()
    fulltext = "{urn:xmpp:fulltext:0}fulltext"
    texts = ["Quarterly ENCRYPTION review at noon", "lunch menu: noodles",
             "明天下午三点在会议室讨论加密方案", "会议取消了", "The encryption plan, 加密 v2"]
    try:
        for jid in ("alice@a.test", "bob@a.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        with login(srv, "alice") as a, login(srv, "bob") as b:
            a.send("<presence/>")
            b.send("<presence/>")
            info = a.iq("<query xmlns='http://jabber.org/protocol/disco#info'/>",
                        to="alice@a.test")
            assert "urn:xmpp:fulltext:0" in {f.get("var") for f in info.iter(
                "{http://jabber.org/protocol/disco#info}feature")}
            form = text_of(a.iq("<query xmlns='urn:xmpp:mam:2'/>"))
            assert fulltext in form
            for t in texts:
                a.send("<message to='bob@a.test' type='chat'><body>%s</body></message>" % t)
                b.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                         e.find(q(NS_CLIENT, "body")) is not None and
                         e.find(q(NS_CLIENT, "body")).text == t)
            room = "search@%s" % ROOM_SERVICE
            room_join(a, room, "alice")
            a.send("<message to='%s' type='groupchat'><body>保密会议纪要 minutes</body></message>"
                   % room)
            a.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("type") == "groupchat"
                     and e.find(q(NS_CLIENT, "body")) is not None)

            def search(s, words, to=None):
                results, fin = archive_query(s, {fulltext: words}, to=to)
                assert fin.get("type") == "result", text_of(fin)
                return result_bodies(results)

            for s in (a, b):  # each party's own archive
                assert search(s, "encryption") == [texts[0], texts[4]]
                assert search(s, "ENCRYPTION review") == [texts[0]]
                assert search(s, "noodles") == [texts[1]]
                assert search(s, "会议") == [texts[2], texts[3]]
                assert search(s, "加密") == [texts[2], texts[4]]
                assert search(s, "议室") == [texts[2]]          # across ICU's word boundary
                assert search(s, "加密方案") == [texts[2]]
                assert search(s, "会议 取消") == [texts[3]]
                assert search(s, "nothing-like-this") == []
            # Combined with the other filters and paging.
            results, fin = archive_query(a, {fulltext: "加密", "with": "bob@a.test"},
                                         rsm="<set xmlns='http://jabber.org/protocol/rsm'>"
                                             "<max>1</max></set>")
            assert result_bodies(results) == [texts[2]]
            assert fin.find("{urn:xmpp:mam:2}fin/{http://jabber.org/protocol/rsm}set/"
                            "{http://jabber.org/protocol/rsm}count").text == "2"
            # A room's archive.
            assert search(a, "会议", to=room) == ["保密会议纪要 minutes"]
            assert search(a, "minutes", to=room) == ["保密会议纪要 minutes"]
            assert search(a, "encryption", to=room) == []
    finally:
        srv.stop()
    # Neither the words nor their unkeyed digests are stored.
    import hashlib
    raw = b"".join(open(p, "rb").read() for p in files_under(data)
                   if os.path.basename(p).startswith("rampart.db"))
    for word in ("encryption", "noodles", "quarterly", "会议", "加密", "minutes"):
        assert word.encode() not in raw, word
        assert hashlib.sha256(word.encode()).digest()[:8] not in raw, word
