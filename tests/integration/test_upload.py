"""XEP-0363 HTTP file upload: slots over XMPP (slixmpp and raw), PUT and GET over HTTPS with a
real HTTP client, size limit, quota, forged and expired slots, safe serving headers."""
import http.client
import ssl
import time
import urllib.parse

from raw_xmpp import account_password, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run

NS_UPLOAD = "urn:xmpp:http:upload:0"
NS_INFO = "http://jabber.org/protocol/disco#info"


def http_request(method, url, body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", u.port, context=ctx, timeout=15)
    try:
        conn.request(method, u.path, body=body, headers=dict(headers or {}, Host=u.netloc))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def request_slot(s, name, size, ctype="application/octet-stream"):
    return s.iq("<request xmlns='%s' filename='%s' size='%d' content-type='%s'/>"
                % (NS_UPLOAD, name, size, ctype), to="localhost")


def slot_urls(reply):
    slot = reply.find(q(NS_UPLOAD, "slot"))
    return slot.find(q(NS_UPLOAD, "put")).get("url"), slot.find(q(NS_UPLOAD, "get")).get("url")


def test_discovery_and_slixmpp_slot_then_put_and_get(server, users):
    alice = users.new("alice")
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

    async def body():
        async with Clients(server) as cs:
            c = cs.make(alice, "r")
            c.register_plugin("xep_0363")
            await c.start()
            info = await c["xep_0030"].get_info(jid="localhost", local=False)
            assert NS_UPLOAD in info["disco_info"]["features"]
            form = info.xml.find(".//{jabber:x:data}x")
            limit = [f.find("{jabber:x:data}value").text
                     for f in form.findall("{jabber:x:data}field") if f.get("var") == "max-file-size"]
            assert int(limit[0]) == 16 * 1024 * 1024
            slot = await c["xep_0363"].request_slot(jid="localhost", filename="photo 1.png",
                                                    size=len(data), content_type="image/png")
            return slot["http_upload_slot"]["put"]["url"], slot["http_upload_slot"]["get"]["url"]

    put, get = run(body(), 30)
    assert put == get and put.startswith("https://localhost:%d/upload/localhost/" % server.https_port)
    status, headers, _ = http_request("PUT", put, data, {"Content-Type": "image/png"})
    assert status == 201, status
    status, headers, got = http_request("GET", get)
    assert status == 200 and got == data
    assert headers["content-type"] == "image/png"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-disposition"].startswith("inline; filename*=UTF-8''photo%201.png")
    assert "sandbox" in headers["content-security-policy"]
    # The slot was used: a second PUT is refused and changes nothing.
    status, headers, body = http_request("PUT", put, b"x" * len(data), {"Content-Type": "image/png"})
    assert status == 403 and headers["content-type"] == "application/problem+json"
    assert http_request("GET", get)[2] == data


def test_active_content_is_served_as_an_attachment(server, users):
    alice = users.new("alice")
    page = b"<html><script>alert(1)</script></html>"
    with RawStream(server.c2s_port) as s:
        s.login(alice.local, alice.password, "r")
        put, get = slot_urls(request_slot(s, "evil.html", len(page), "text/html"))
    assert http_request("PUT", put, page, {"Content-Type": "text/html"})[0] == 201
    status, headers, got = http_request("GET", get)
    assert status == 200 and got == page
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;")


def test_slot_errors_and_forged_or_mismatched_uploads(server, users):
    alice = users.new("alice")
    with RawStream(server.c2s_port) as s:
        s.login(alice.local, alice.password, "r")
        big = request_slot(s, "big.bin", 17 * 1024 * 1024)
        assert stanza_error_condition(big) == "not-acceptable"
        assert big.find(".//%s/%s" % (q(NS_UPLOAD, "file-too-large"),
                                      q(NS_UPLOAD, "max-file-size"))).text == str(16 * 1024 * 1024)
        assert stanza_error_condition(request_slot(s, "../etc/passwd", 10)) == "bad-request"
        assert stanza_error_condition(request_slot(s, "zero", 0)) == "not-acceptable"
        put, get = slot_urls(request_slot(s, "note.txt", 5, "text/plain"))
    base = put.rsplit("/", 2)[0]
    # A forged token, a wrong name, a wrong size, a wrong type: all refused.
    forged = base + "/" + "A" * 32 + "/note.txt"
    assert http_request("PUT", forged, b"hello", {"Content-Type": "text/plain"})[0] == 403
    assert http_request("PUT", put.rsplit("/", 1)[0] + "/other.txt", b"hello",
                        {"Content-Type": "text/plain"})[0] == 403
    assert http_request("PUT", put, b"hello!", {"Content-Type": "text/plain"})[0] == 400
    assert http_request("PUT", put, b"hello", {"Content-Type": "image/png"})[0] == 400
    assert http_request("GET", get)[0] == 404, "nothing was stored"
    assert http_request("PUT", put, b"hello", {"Content-Type": "text/plain"})[0] == 201
    assert http_request("GET", get)[2] == b"hello"
    assert http_request("GET", base + "/not-a-token/x")[0] == 404
    assert http_request("DELETE", get)[0] == 405


def test_quota_per_account(tmp_path):
    from test_config_hosts import ConfigServer, write_config
    path, data = write_config(tmp_path, "[modules.upload]\nquota_bytes = 2000\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        assert srv.ctl("user", "add", "alice@a.test", account_password("pw-alice@a.test")).returncode == 0
        with RawStream(srv.c2s_port, host="a.test") as s:
            s.login("alice", account_password("pw-alice@a.test"), "r")
            put, _ = slot_urls(s.iq("<request xmlns='%s' filename='a' size='1500'/>" % NS_UPLOAD,
                                    to="a.test"))
            assert put.startswith("https://a.test:")
            status, _, _ = http_request("PUT", put, b"x" * 1500)
            assert status == 201
            over = s.iq("<request xmlns='%s' filename='b' size='600'/>" % NS_UPLOAD, to="a.test")
            assert stanza_error_condition(over) == "resource-constraint"
            ok = s.iq("<request xmlns='%s' filename='c' size='500'/>" % NS_UPLOAD, to="a.test")
            assert ok.get("type") == "result"
            # Two slots granted against the same free space: only one upload fits.
            put_d, get_d = slot_urls(s.iq("<request xmlns='%s' filename='d' size='400'/>"
                                          % NS_UPLOAD, to="a.test"))
            put_e, get_e = slot_urls(s.iq("<request xmlns='%s' filename='e' size='400'/>"
                                          % NS_UPLOAD, to="a.test"))
            assert http_request("PUT", put_d, b"d" * 400)[0] == 201
            status, headers, _ = http_request("PUT", put_e, b"e" * 400)
            assert status == 507 and headers["content-type"] == "application/problem+json"
            assert http_request("GET", get_e)[0] == 404
    finally:
        srv.stop()


def test_limits_are_per_tenant(tmp_path):
    """[hosts.modules.upload] in a host's table overrides [modules.upload] for that tenant."""
    from test_config_hosts import ConfigServer, write_config
    # Appended after the [[hosts]] entries: these tables belong to the last one, b.test.
    path, data = write_config(tmp_path, "[modules.upload]\nmax_file_size = 4096\n"
                                        "[hosts.modules.upload]\nmax_file_size = 2048\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        for jid in ("alice@a.test", "carol@b.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        limits = {}
        for local, host in (("alice", "a.test"), ("carol", "b.test")):
            with RawStream(srv.c2s_port, host=host) as s:
                s.login(local, account_password("%s@%s" % (local, host)), "r")
                info = s.iq("<query xmlns='%s'/>" % NS_INFO, to=host)
                field = [f for f in info.iter("{jabber:x:data}field")
                         if f.get("var") == "max-file-size"][0]
                limits[host] = int(field.find("{jabber:x:data}value").text)
                too_big = s.iq("<request xmlns='%s' filename='f' size='3000'/>" % NS_UPLOAD,
                               to=host)
                limits[host + " 3000"] = too_big.get("type")
        assert limits == {"a.test": 4096, "b.test": 2048,
                          "a.test 3000": "result", "b.test 3000": "error"}
    finally:
        srv.stop()


def test_stored_files_expire_after_the_retention_period(tmp_path):
    """A file older than retention_days is deleted (GET 404, gone from disk) and its bytes
    count no more against its owner's quota; a newer file stays."""
    import sqlite3
    from test_config_hosts import ConfigServer, write_config
    # The upload record (with its time) is edited in the database below, so this server keeps
    # it in clear; with encryption on it is sealed (test_encryption.py).
    path, data = write_config(tmp_path, "[modules.upload]\nquota_bytes = 3000\n"
                                        "retention_days = 1\n[encryption]\nenabled = false\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        assert srv.ctl("user", "add", "alice@a.test", account_password("pw-alice@a.test")).returncode == 0
        urls = {}
        with RawStream(srv.c2s_port, host="a.test") as s:
            s.login("alice", account_password("pw-alice@a.test"), "r")
            for name in ("old.bin", "new.bin"):
                put, get = slot_urls(s.iq("<request xmlns='%s' filename='%s' size='1400'/>"
                                          % (NS_UPLOAD, name), to="a.test"))
                assert http_request("PUT", put, b"y" * 1400)[0] == 201
                urls[name] = get
            full = s.iq("<request xmlns='%s' filename='c' size='1400'/>" % NS_UPLOAD, to="a.test")
            assert stanza_error_condition(full) == "resource-constraint"
        srv.stop()
        # Age one file by two days, as if it had been uploaded then.
        old_token = urls["old.bin"].rsplit("/", 2)[1]
        db = sqlite3.connect(str(data / "rampart.db"))
        (value,) = db.execute("SELECT value FROM kv WHERE store='uploads' AND key=?",
                              (old_token,)).fetchone()
        value = value.decode() if isinstance(value, bytes) else value
        aged = value.replace(value.split("created='")[1].split("'")[0], "2020-01-01T00:00:00Z")
        assert aged != value
        db.execute("UPDATE kv SET value=? WHERE store='uploads' AND key=?", (aged, old_token))
        db.commit()
        db.close()
        assert (data / "uploads" / "a.test" / old_token).exists()
        srv.start()
        # The restarted server listens on new ports.
        for name, url in urls.items():
            u = urllib.parse.urlsplit(url)
            urls[name] = u._replace(netloc="a.test:%d" % srv.https_port).geturl()
        deadline = time.time() + 10
        while http_request("GET", urls["old.bin"])[0] != 404 and time.time() < deadline:
            time.sleep(0.2)
        assert http_request("GET", urls["old.bin"])[0] == 404
        assert not (data / "uploads" / "a.test" / old_token).exists()
        assert http_request("GET", urls["new.bin"])[2] == b"y" * 1400
        with RawStream(srv.c2s_port, host="a.test") as s:
            s.login("alice", account_password("pw-alice@a.test"), "r")
            ok = s.iq("<request xmlns='%s' filename='c' size='1400'/>" % NS_UPLOAD, to="a.test")
            assert ok.get("type") == "result", "the expired file's bytes were given back"
    finally:
        srv.stop()


def test_large_file_streams_in_and_out_and_head_gives_its_length(server, users):
    """A file at the size limit (16 MiB) goes to disk and comes back intact; HEAD answers with
    the length and no body; a body beyond the limit gets 413 and leaves no file behind."""
    import hashlib
    alice = users.new("alice")
    size = 16 * 1024 * 1024
    data = hashlib.sha256(b"seed").digest() * (size // 32)
    with RawStream(server.c2s_port) as s:
        s.login(alice.local, alice.password, "r")
        put, get = slot_urls(request_slot(s, "big.bin", size))
        put2, _ = slot_urls(request_slot(s, "over.bin", 2048))
    assert http_request("PUT", put, data, {"Content-Type": "application/octet-stream"})[0] == 201
    status, headers, got = http_request("GET", get)
    assert status == 200 and len(got) == size and got == data
    status, headers, got = http_request("HEAD", get)
    assert status == 200 and headers["content-length"] == str(size) and got == b""
    spool = server.data_dir / "uploads" / "localhost" / ".incoming"
    # The announced length alone is refused, before any of the body is sent.
    u = urllib.parse.urlsplit(put2)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", u.port, context=ctx, timeout=15)
    conn.putrequest("PUT", u.path, skip_host=True)
    conn.putheader("Host", u.netloc)
    conn.putheader("Content-Length", str(size + 1))
    conn.endheaders()
    r = conn.getresponse()
    assert r.status == 413 and r.getheader("Content-Type") == "application/problem+json"
    conn.close()
    assert list(spool.iterdir()) == [], "the refused body was not kept"
