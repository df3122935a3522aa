"""Uploads (XEP-0363) checked before they can be downloaded: a real clamd from Debian's
clamav-daemon, started here with a signature database this test writes (the EICAR test file
as an MD5 .hdb entry), scans every file over INSTREAM on its Unix socket; libmagic's real type
is checked against the announced one and the tenant's forbidden types; text files go through
the DLP rules. Refused files are never served: the uploader gets problem+json and an XMPP
notice, the file is kept in the evidence area, the refusal is audited and alerted."""
import hashlib
import json
import os
import signal
import subprocess
import time

import pytest

from admin_client import AdminClient
from raw_xmpp import RawStream, account_password, q
from test_config_hosts import ConfigServer, write_config
from test_upload import http_request, slot_urls

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
NS = "urn:rampart:content:0"


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    d = tmp_path_factory.mktemp("clamd")
    (d / "db").mkdir()
    (d / "db" / "rampart-test.hdb").write_text(
        "%s:%d:Rampart.Test.EICAR\n" % (hashlib.md5(EICAR).hexdigest(), len(EICAR)))
    sock = d / "clamd.sock"
    (d / "clamd.conf").write_text(
        "LocalSocket %s\nDatabaseDirectory %s\nForeground yes\nLogFile %s\nTemporaryDirectory %s\n"
        "PidFile %s\n" % (sock, d / "db", d / "clamd.log", d, d / "clamd.pid"))
    proc = subprocess.Popen(["/usr/sbin/clamd", "-c", str(d / "clamd.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not sock.exists():
        assert proc.poll() is None, (d / "clamd.log").read_text()
        assert time.monotonic() < deadline, "clamd did not open its socket"
        time.sleep(0.05)
    yield {"socket": str(sock), "proc": proc}
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(10)


@pytest.fixture(scope="module")
def srv(tmp_path_factory, clamd):
    tmp = tmp_path_factory.mktemp("scanning")
    (tmp / "blocked.txt").write_text("evil.example\n")
    path, data = write_config(tmp, extra="""
[content_security]
clamd_socket = "%s"
link_blocklists = ["%s"]

[[content_security.rules]]
name = "top-secret"
keywords = ["绝密"]
action = "block"
""" % (clamd["socket"], tmp / "blocked.txt"))
    s = ConfigServer(data, path, "a.test").start()
    r = s.ctl("user", "add", "alice@a.test", account_password("alice@a.test"))
    assert r.returncode == 0, r.stderr
    yield s
    if s.running():
        s.stop()


def upload(srv, name, body, ctype):
    """PUT through a slot; (status, headers, body, get url, the notices the uploader got)."""
    with RawStream(srv.c2s_port, host="a.test") as st:
        st.login("alice", account_password("alice@a.test"), "r")
        st.send("<presence/>")
        put, get = slot_urls(st.iq("<request xmlns='urn:xmpp:http:upload:0' filename='%s' "
                                   "size='%d' content-type='%s'/>" % (name, len(body), ctype),
                                   to="a.test"))
        status, headers, reply = http_request("PUT", put, body, {"Content-Type": ctype})
        notice = None
        if status != 201:
            notice = st.expect(lambda e: e.find(q(NS, "upload-refused")) is not None, timeout=10)
        return status, headers, reply, get, notice


def problem(reply):
    doc = json.loads(reply)
    return doc["type"], doc["detail"]


def test_eicar_is_refused_kept_as_evidence_audited_and_alerted(srv):
    status, headers, reply, get, notice = upload(srv, "report.txt", EICAR, "text/plain")
    assert status == 422 and headers["content-type"] == "application/problem+json"
    kind, detail = problem(reply)
    assert kind == "urn:rampart:problem:upload-malware" and "Rampart.Test.EICAR" in detail
    assert http_request("GET", get)[0] == 404
    refused = notice.find(q(NS, "upload-refused"))
    assert refused.get("reason") == "malware" and "Rampart.Test.EICAR" in refused.get("detail")
    assert "report.txt" in notice.findtext("{jabber:client}body")
    evidence = srv.data_dir / "evidence" / "a.test"
    kept = [p for p in evidence.iterdir() if not p.name.endswith(".json")]
    assert len(kept) == 1 and kept[0].read_bytes() == EICAR
    meta = json.loads((evidence / (kept[0].name + ".json")).read_text())
    assert meta["reason"] == "malware" and meta["file_name"] == "report.txt"
    assert oct((srv.data_dir / "evidence").stat().st_mode & 0o777) == "0o700"
    records = [json.loads(l) for l in srv.ctl("audit", "tail", "-n", "20", "--json")
               .stdout.splitlines()]
    assert any(r["action"] == "upload.refused" and r["actor"] == "alice@a.test" and
               r["reason"] == "malware" for r in records), records[-3:]
    token = srv.ctl("token", "create", "secadmin@a.test").stdout.strip()
    alerts = AdminClient(srv.admin_port, token=token).get("/api/v1/alerts").json()["items"]
    assert any(a["rule"] == "malware-detected" and a["severity"] == "critical" for a in alerts)


def test_clean_file_is_stored_and_served(srv):
    body = "会议纪要：下周一开会。\n".encode()
    status, _, _, get, _ = upload(srv, "notes.txt", body, "text/plain")
    assert status == 201
    status, _, got = http_request("GET", get)
    assert status == 200 and got == body


def test_forbidden_type_and_type_mismatch(srv):
    exe = b"MZ" + b"\0" * 126
    status, _, reply, get, notice = upload(srv, "cat.png", exe, "image/png")
    assert status == 422
    assert problem(reply)[0] == "urn:rampart:problem:upload-forbidden-type"
    assert notice.find(q(NS, "upload-refused")).get("detail") == "application/x-dosexec"
    assert http_request("GET", get)[0] == 404
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    status, _, reply, _, _ = upload(srv, "photo.png", pdf, "image/png")
    assert status == 422
    kind, detail = problem(reply)
    assert kind == "urn:rampart:problem:upload-type-mismatch" and "application/pdf" in detail


def test_text_upload_goes_through_the_dlp_rules(srv):
    status, _, reply, _, _ = upload(srv, "plan.txt", "这是绝密计划\n".encode(), "text/plain")
    assert status == 422
    kind, detail = problem(reply)
    assert kind == "urn:rampart:problem:upload-content-policy" and "top-secret" in detail


def test_qr_code_pointing_at_a_blocked_address_is_refused(srv, tmp_path):
    bad, good = tmp_path / "bad.png", tmp_path / "good.png"
    subprocess.run(["qrencode", "-o", str(bad), "-s", "6", "HTTPS://pay.EVIL.example/scan?x=1"],
                   check=True)
    subprocess.run(["qrencode", "-o", str(good), "-s", "6", "https://ok.example/menu"], check=True)
    status, _, reply, get, notice = upload(srv, "扫码.png", bad.read_bytes(), "image/png")
    assert status == 422, reply
    kind, detail = problem(reply)
    assert kind == "urn:rampart:problem:upload-blocked-link" and "QR code" in detail
    assert notice.find(q(NS, "upload-refused")).get("reason") == "blocked-link"
    assert http_request("GET", get)[0] == 404
    status, _, _, get, _ = upload(srv, "menu.png", good.read_bytes(), "image/png")
    assert status == 201
    assert http_request("GET", get)[2] == good.read_bytes()


def test_scan_status(srv, clamd):
    r = srv.ctl("scan", "status", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    row = [x for x in rows if x["socket"] == clamd["socket"]][0]
    assert row["reachable"] is True and row["engine"].startswith("ClamAV ")
    assert "a.test" in row["tenants"]
    r = srv.ctl("scan", "status")
    assert "is reachable" in r.stdout


def test_unreachable_scanner_refuses_uploads(srv, clamd):
    """Fail closed: with clamd gone no file is stored unscanned (503, try again later)."""
    os.kill(clamd["proc"].pid, signal.SIGTERM)
    clamd["proc"].wait(10)
    status, _, reply, _, _ = upload(srv, "later.txt", b"hello\n", "text/plain")
    assert status == 503
    assert problem(reply)[0] == "urn:rampart:problem:upload-scanner-unavailable"
    r = srv.ctl("scan", "status", "--json")
    assert r.returncode == 1
    assert any(json.loads(l)["reachable"] is False for l in r.stdout.splitlines())
