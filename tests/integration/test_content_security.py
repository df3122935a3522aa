"""Content security on the message path, through real clients (slixmpp over TLS): the DLP
detectors with valid and invalid numbers, each action end to end (mask, warn and override,
block, quarantine with approval and rejection), the content reviewer's queue over the admin
API and rampartctl, the sender's false-positive report, and the end-to-end encryption
policies of three tenants."""
import asyncio
import json
import xml.etree.ElementTree as ET

import pytest

from admin_client import AdminClient
from raw_xmpp import account_password
from test_config_hosts import ConfigServer, write_config
from xmpp_helpers import Client, Clients, run, wait_for

NS = "urn:rampart:content:0"

CONFIG = """
[[hosts]]
name = "c.test"

[content_security.actions]
cn_id = "mask"
uscc = "mask"
cn_mobile = "mask"
bank_card = "mask"
passport = "mask"
hk_macau_permit = "mask"
email = "mask"

[[content_security.rules]]
name = "secret-project"
keywords = ["猎鹰计划", "Project Falcon"]
action = "block"

[[content_security.rules]]
name = "pricing"
keywords = ["内部价格"]
action = "warn"

[[content_security.rules]]
name = "payroll"
keywords = ["工资单"]
patterns = ["payroll-[0-9]{4}"]
action = "quarantine"
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("content")
    path, data = write_config(tmp)
    text = path.read_text()
    # Per-tenant E2EE policies: a.test internal only, b.test refused, c.test allowed.
    text = text.replace('[[hosts]]\nname = "a.test"',
                        '[[hosts]]\nname = "a.test"\ncontent_security = { e2ee = "internal" }')
    text = text.replace('[[hosts]]\nname = "b.test"',
                        '[[hosts]]\nname = "b.test"\ncontent_security = { e2ee = "refuse" }')
    text = text.replace("[server]\n", "[server]\ncross_host_traffic = true\n", 1)
    (tmp / "blocked.txt").write_text("# local list\nevil.example\nphish.example/login/\n")
    (tmp / "urlhaus.csv").write_text(
        "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
        '"3021","2026-11-30 10:00:00","http://198.51.100.7/bins/mozi.m","online","",'
        '"malware_download","elf","https://urlhaus.abuse.ch/url/3021/","x"\n')
    links = ('link_blocklists = ["%s", "%s"]\nlink_allowlist = ["corp.example"]\n'
             % (tmp / "blocked.txt", tmp / "urlhaus.csv"))
    path.write_text(text + CONFIG.replace("[content_security.actions]",
                                          "[content_security]\n" + links +
                                          "\n[content_security.actions]"))
    s = ConfigServer(data, path, "a.test").start()
    for jid in ("alice@a.test", "bob@a.test", "carol@b.test", "dave@b.test", "erin@c.test",
                "frank@c.test", "rev@a.test", "revb@b.test", "sec@a.test"):
        r = s.ctl("user", "add", jid, account_password(jid))
        assert r.returncode == 0, (r.stdout, r.stderr)
    for jid, role, tenant in (("rev@a.test", "reviewer", "a.test"),
                              ("revb@b.test", "reviewer", "b.test"),
                              ("sec@a.test", "secadmin", "a.test")):
        r = s.ctl("role", "grant", jid, role, "--tenant", tenant)
        assert r.returncode == 0, (r.stdout, r.stderr)
    yield s
    if s.running():
        s.stop()


class Acct:
    def __init__(self, jid):
        self.jid = jid
        self.local = jid.split("@")[0]
        self.password = account_password(jid)


def api(srv, jid):
    r = srv.ctl("token", "create", jid)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return AdminClient(srv.admin_port, token=r.stdout.strip())


def send(client, to, body, extra=None, mtype="chat"):
    m = client.make_message(mto=to, mbody=body, mtype=mtype)
    for x in extra or []:
        m.xml.append(ET.fromstring(x))
    m.send()
    return m


def error_parts(stanza):
    """(condition, rampart element name, rule) of a stanza error (an ElementTree element)."""
    err = stanza.find("{jabber:client}error")
    assert err is not None, stanza
    cond = [c.tag.split("}")[1] for c in err
            if c.tag.startswith("{urn:ietf:params:xml:ns:xmpp-stanzas}") and
            not c.tag.endswith("}text")]
    app = [c for c in err if c.tag.startswith("{%s}" % NS)]
    return (cond[0] if cond else None, app[0].tag.split("}")[1] if app else None,
            app[0].get("rule") if app else None)


def content_error(m):
    """(condition, rampart element name, rule) of a message error."""
    return error_parts(m.xml)


def notices(client, kind):
    """Content-policy notices from the host carrying <kind xmlns=NS/>."""
    return [m for m in client.messages
            if m.xml.find("{%s}%s" % (NS, kind)) is not None]


def audit(srv, n=60):
    r = srv.ctl("audit", "tail", "-n", str(n), "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]


async def pair(cs, a="alice@a.test", b="bob@a.test"):
    sender = await cs.start(Acct(a), "desk")
    receiver = await cs.start(Acct(b), "phone")
    return sender, receiver


# ---- detectors: valid numbers are masked for the recipient, invalid ones pass ------------

DETECTOR_CASES = [
    # (valid text, masked form the recipient sees, invalid text left alone)
    ("身份证 11010519491231002X", "身份证 110105********002X", "身份证 11010519491231002Y"),
    ("信用代码 91350100M000100Y43", "信用代码 91350100********43", "信用代码 91350100M000100Y44"),
    ("手机 13812345678", "手机 138****5678", "手机 12812345678"),
    ("银行卡 6222021234567890128", "银行卡 622202*********0128", "银行卡 6222021234567890127"),
    ("护照 E12345678", "护照 E*****678", "护照 X12345678"),
    ("通行证 C12345678", "通行证 C*****678", "通行证 Z12345678"),
    ("邮箱 zhang.san@example.com", "邮箱 z***@example.com", "邮箱 zhang.san@localhost"),
]


def test_each_detector_masks_valid_and_ignores_invalid_numbers(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            for valid, masked, invalid in DETECTOR_CASES:
                send(alice, "bob@a.test", valid)
                send(alice, "bob@a.test", invalid)
            await alice.sync()
            assert await wait_for(lambda: len(bob.bodies()) >= 2 * len(DETECTOR_CASES))
            got = bob.bodies()
            for i, (valid, masked, invalid) in enumerate(DETECTOR_CASES):
                assert got[2 * i] == masked, (valid, got[2 * i])
                assert got[2 * i + 1] == invalid, (invalid, got[2 * i + 1])
            assert not alice.message_errors
    run(go())


def test_dlp_test_command_prints_findings_and_action(srv):
    r = srv.ctl("dlp", "test", "a.test", "卡号 6222021234567890128，猎鹰计划")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["action"] == "block" and out["rule"] == "secret-project", out
    rules = {f["rule"]: f for f in out["findings"]}
    assert rules["bank_card"]["match"] == "6222021234567890128"
    assert rules["bank_card"]["confidence"] == "high" and rules["bank_card"]["action"] == "mask"
    r = srv.ctl("dlp", "test", "a.test", "卡号 6222021234567890127")
    assert json.loads(r.stdout)["findings"] == []
    r = srv.ctl("dlp", "test", "a.test", "手机 13812345678")
    assert json.loads(r.stdout)["delivered_as"] == "手机 138****5678"


# ---- block, warn and override ------------------------------------------------------------

def test_block_names_the_policy_and_delivers_nothing(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            m = send(alice, "bob@a.test", "关于猎鹰计划的进度")
            # File names and URLs a message carries are inspected too.
            send(alice, "bob@a.test", "see link",
                 ["<x xmlns='jabber:x:oob'><url>https://files.example/Project%20Falcon.pdf"
                  "</url><desc>x</desc></x>".replace("Project%20Falcon", "Project Falcon")])
            assert await wait_for(lambda: len(alice.message_errors) >= 2)
            assert content_error(alice.message_errors[0]) == (
                "policy-violation", "blocked", "secret-project")
            assert alice.message_errors[0]["id"] == m["id"]
            assert "content policy" in alice.message_errors[0]["error"]["text"]
            await bob.sync()
            assert bob.bodies() == []
    run(go())
    records = audit(srv)
    assert any(r["action"] == "content.block" and r["actor"] == "alice@a.test" and
               r["object"] == "bob@a.test" for r in records), records[-5:]
    # The audit record names the rule, never the message.
    assert not any("猎鹰" in json.dumps(r, ensure_ascii=False) for r in records)


def test_warn_then_send_anyway_with_a_justification(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "内部价格 见附件")
            assert await wait_for(lambda: len(alice.message_errors) == 1)
            assert content_error(alice.message_errors[0]) == ("policy-violation", "warning",
                                                              "pricing")
            await bob.sync()
            assert bob.bodies() == []
            send(alice, "bob@a.test", "内部价格 见附件",
                 ["<justification xmlns='%s'>客户已签保密协议</justification>" % NS])
            assert await wait_for(lambda: bob.bodies() == ["内部价格 见附件"])
            # The justification is the server's record, not part of what bob gets.
            assert bob.messages[-1].xml.find("{%s}justification" % NS) is None
    run(go())
    records = audit(srv)
    assert any(r["action"] == "content.warn" and r["actor"] == "alice@a.test"
               for r in records)
    assert any(r["action"] == "content.override" and r["reason"] == "客户已签保密协议"
               for r in records), records[-5:]


# ---- quarantine: reviewer's view and decisions ---------------------------------------------

def test_quarantine_approve_delivers_with_original_time(srv):
    reviewer = api(srv, "rev@a.test")

    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "附件是 payroll-2024 的明细")
            assert await wait_for(lambda: notices(alice, "held"))
            held = notices(alice, "held")[0].xml.find("{%s}held" % NS)
            item_id = held.get("id")
            assert held.get("rule") == "payroll"
            await bob.sync()
            assert bob.bodies() == []
            listed = reviewer.get("/api/v1/quarantine?status=pending")
            assert listed.status == 200, listed
            body = listed.json()
            item = [i for i in body["items"] if str(i["id"]) == item_id][0]
            assert item["sender"].startswith("alice@a.test/") and item["recipient"] == "bob@a.test"
            assert item["rule"] == "payroll" and "text" not in item and "fields" not in item
            assert body["counts"]["pending"] >= 1
            assert body["counts"]["oldest_pending_age_seconds"] is not None
            view = reviewer.get("/api/v1/quarantine/" + item_id)
            assert view.status == 200, view
            fields = view.json()["fields"]
            assert fields[0]["name"] == "body"
            assert fields[0]["segments"] == [
                {"text": "附件是 "},
                {"text": "payroll-2024", "rule": "payroll", "confidence": "high"},
                {"text": " 的明细"}]
            ok = reviewer.post("/api/v1/quarantine/%s/approve" % item_id, {})
            assert ok.status == 204, ok
            assert await wait_for(lambda: bob.bodies() == ["附件是 payroll-2024 的明细"])
            delay = bob.messages[-1].xml.find("{urn:xmpp:delay}delay")
            assert delay is not None and delay.get("stamp", "").endswith("Z")
            assert await wait_for(lambda: notices(alice, "approved"))
            again = reviewer.post("/api/v1/quarantine/%s/reject" % item_id, {"reason": "late"})
            assert again.status == 409, again
            return item_id
    item_id = run(go())
    records = audit(srv)
    assert any(r["action"] == "quarantine.view" and r["actor"] == "rev@a.test" and
               r["object"] == "quarantine:" + item_id for r in records)
    assert any(r["action"] == "quarantine.approve" and r["object"] == "quarantine:" + item_id
               for r in records)
    assert any(r["action"] == "content.quarantine" and r["actor"] == "alice@a.test"
               for r in records)


def test_quarantine_report_and_reject(srv):
    reviewer = api(srv, "rev@a.test")

    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "本月工资单")
            assert await wait_for(lambda: notices(alice, "held"))
            item_id = notices(alice, "held")[0].xml.find("{%s}held" % NS).get("id")
            # The sender disputes the hold.
            iq = alice.make_iq_set(ito="a.test")
            iq.xml.append(ET.fromstring("<report xmlns='%s' id='%s'>这是模板，不含数据</report>"
                                        % (NS, item_id)))
            await iq.send(timeout=10)
            # Nobody else can report on it.
            other = alice.make_iq_set(ito="a.test")
            other.xml.append(ET.fromstring("<report xmlns='%s' id='999999'>x</report>" % NS))
            with pytest.raises(Exception):
                await other.send(timeout=10)
            item = reviewer.get("/api/v1/quarantine/" + item_id).json()
            assert item["reported"] is True and item["report"] == "这是模板，不含数据"
            bad = reviewer.post("/api/v1/quarantine/%s/reject" % item_id, {})
            assert bad.status == 422, bad
            r = reviewer.post("/api/v1/quarantine/%s/reject" % item_id,
                              {"reason": "含员工薪资"})
            assert r.status == 204, r
            assert await wait_for(lambda: notices(alice, "rejected"))
            rejected = notices(alice, "rejected")[0]
            assert rejected.xml.find("{%s}rejected" % NS).get("reason") == "含员工薪资"
            await bob.sync()
            assert bob.bodies() == []
            return item_id
    item_id = run(go())
    # Kept as evidence.
    r = srv.ctl("quarantine", "list", "a.test", "--status", "rejected", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert any(str(row["id"]) == item_id and row["reported"] and row["reason"] == "含员工薪资"
               for row in rows), rows


def test_rampartctl_approves(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "payroll-2025 draft")
            assert await wait_for(lambda: notices(alice, "held"))
            item_id = notices(alice, "held")[0].xml.find("{%s}held" % NS).get("id")
            r = srv.ctl("quarantine", "list", "a.test", "--json")
            assert any(str(json.loads(l)["id"]) == item_id and json.loads(l)["status"] == "pending"
                       for l in r.stdout.splitlines())
            r = srv.ctl("quarantine", "approve", item_id)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert await wait_for(lambda: bob.bodies() == ["payroll-2025 draft"])
            r = srv.ctl("quarantine", "reject", item_id)
            assert r.returncode == 2  # --reason is required
    run(go())


def test_reviewer_sees_only_the_queue_and_only_its_tenant(srv):
    reviewer = api(srv, "rev@a.test")
    assert reviewer.get("/api/v1/users?tenant=a.test").status == 403
    assert reviewer.get("/api/v1/audit/events").status == 403
    secadmin = api(srv, "sec@a.test")
    assert secadmin.get("/api/v1/quarantine").status == 403
    other = api(srv, "revb@b.test")
    items = reviewer.get("/api/v1/quarantine").json()["items"]
    assert items, "earlier tests held messages of a.test"
    assert all(i["tenant"] == "a.test" for i in items)
    assert other.get("/api/v1/quarantine").json()["items"] == []
    r = other.get("/api/v1/quarantine/%d" % items[0]["id"])
    assert r.status in (403, 404) and r.headers["content-type"].startswith(
        "application/problem+json")
    assert other.post("/api/v1/quarantine/%d/approve" % items[0]["id"], {}).status in (403, 404)


# ---- end-to-end encryption policy ----------------------------------------------------------

OMEMO = ("<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AAAA</iv>"
         "</header><payload>AAAA</payload></encrypted>")


def test_e2ee_policies(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            carol, dave = await pair(cs, "carol@b.test", "dave@b.test")
            erin, frank = await pair(cs, "erin@c.test", "frank@c.test")
            # a.test: only between its own users. What is in clear beside the encrypted
            # payload (the fallback body) is still inspected: an encryption element is no way
            # round the rules.
            send(alice, "bob@a.test", "OMEMO 11010519491231002X", [OMEMO])
            assert await wait_for(lambda: bob.bodies() == ["OMEMO 110105********002X"])
            send(alice, "carol@b.test", "OMEMO", [OMEMO])
            assert await wait_for(lambda: alice.message_errors)
            assert content_error(alice.message_errors[0]) == ("policy-violation",
                                                              "e2ee-refused", "e2ee")
            # b.test: refused, even between its own users.
            send(carol, "dave@b.test", "OMEMO", [OMEMO])
            assert await wait_for(lambda: carol.message_errors)
            assert content_error(carol.message_errors[0])[1] == "e2ee-refused"
            assert "not allowed" in carol.message_errors[0]["error"]["text"]
            # c.test: allowed, to anyone.
            send(erin, "frank@c.test", "OMEMO", [OMEMO])
            send(erin, "alice@a.test", "OMEMO", [OMEMO])
            assert await wait_for(lambda: frank.bodies() == ["OMEMO"])
            assert await wait_for(lambda: "OMEMO" in alice.bodies())
            await dave.sync()
            assert dave.bodies() == [] and carol.bodies() == []
            assert not erin.message_errors
    run(go())
    assert any(r["action"] == "content.e2ee_refused" for r in audit(srv))


# ---- masking in the log -------------------------------------------------------------------

def test_log_lines_are_masked(srv):
    """A sign-in attempt for an account named like a phone number, from a client address: the
    log has both masked. (Every test server's log is also checked for any unmasked personal
    data when it stops: conftest.RampartServer.stop.)"""
    from raw_xmpp import RawStream
    with RawStream(srv.tls_port, direct_tls=True, host="a.test") as st:
        st.open_stream()
        st.auth("13812345678", "wrong-password-1")
    log = (srv.data_dir / "stdout.log").read_text(errors="replace") + \
        (srv.data_dir / "stderr.log").read_text(errors="replace")
    lines = [l for l in log.splitlines() if "auth_failed" in l and "138****5678" in l]
    assert lines, log[-2000:]
    assert "13812345678" not in log
    assert "peer=127.0.*.*" in lines[-1], lines[-1]


# ---- links ----------------------------------------------------------------------------------

def test_blocked_links_in_any_spelling_and_the_allow_list(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            for text in ("点这里 HTTP://Login.EVIL.example./a%2Fb", "http://3325256711/bins/mozi.m",
                         "see https://phish.example/login/verify.php?u=1"):
                send(alice, "bob@a.test", text)
            send(alice, "bob@a.test", "file",
                 ["<x xmlns='jabber:x:oob'><url>http://evil.example/x.apk</url></x>"])
            assert await wait_for(lambda: len(alice.message_errors) == 4)
            assert all(content_error(m) == ("policy-violation", "blocked", "link_blocklist")
                       for m in alice.message_errors)
            fine = ["https://docs.corp.example/a", "http://phish.example/about",
                    "https://evil.example.org/"]
            for text in fine:
                send(alice, "bob@a.test", text)
            assert await wait_for(lambda: bob.bodies() == fine)
            assert not [m for m in bob.messages if m.xml.find("{%s}link-warning" % NS) is not None]
    run(go())


def test_fraud_cues_flag_a_link_for_the_recipient(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "客服说要退款，请点 https://refund-help.example/r?id=7 填写验证码")
            send(alice, "bob@a.test", "Wiki: https://refund-help.example/about")
            assert await wait_for(lambda: len(bob.bodies()) == 2)
            warned, plain = bob.messages[-2], bob.messages[-1]
            w = warned.xml.find("{%s}link-warning" % NS)
            assert w is not None and w.get("rule") == "fraud_link"
            assert w.get("reason") == "fraud-cues"
            assert w.get("url") == "https://refund-help.example/r?id=7"
            assert plain.xml.find("{%s}link-warning" % NS) is None
    run(go())


def test_server_elements_are_never_taken_from_a_sender(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "just a note",
                 ["<link-warning xmlns='%s' url='https://safe.example/' rule='fraud_link' "
                  "reason='fraud-cues'/>" % NS, "<held xmlns='%s' id='1' rule='x'/>" % NS])
            assert await wait_for(lambda: bob.bodies() == ["just a note"])
            m = bob.messages[-1].xml
            assert m.find("{%s}link-warning" % NS) is None and m.find("{%s}held" % NS) is None
    run(go())


XHTML = "http://jabber.org/protocol/xhtml-im"


def test_the_xhtml_copy_is_read_in_order_with_its_links(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            # An identity number split over formatting elements is still one number; the
            # formatted copy is dropped when anything was masked.
            send(alice, "bob@a.test", "证件见下",
                 ["<html xmlns='%s'><body xmlns='http://www.w3.org/1999/xhtml'><p>1101<b>05"
                  "</b>19491231002X</p></body></html>" % XHTML])
            assert await wait_for(lambda: len(bob.bodies()) == 1)
            assert bob.messages[-1].xml.find("{%s}html" % XHTML) is None
            # A listed link only in an <a href> of the formatted copy.
            send(alice, "bob@a.test", "the document",
                 ["<html xmlns='%s'><body xmlns='http://www.w3.org/1999/xhtml'><a href="
                  "'http://evil.example/x'>the document</a></body></html>" % XHTML])
            assert await wait_for(lambda: alice.message_errors)
            assert content_error(alice.message_errors[0]) == ("policy-violation", "blocked",
                                                              "link_blocklist")
    run(go())


# ---- forwarded messages, profiles and room configuration -----------------------------------

FWD = "urn:xmpp:forward:0"


def forwarded(body):
    return ("<forwarded xmlns='%s'><message xmlns='jabber:client' from='zoe@a.test/x' "
            "to='alice@a.test' type='chat'><body>%s</body></message></forwarded>" % (FWD, body))


def test_forwarded_messages_are_inspected(srv):
    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "fyi", [forwarded("手机 13812345678")])
            assert await wait_for(lambda: len(bob.bodies()) == 1)
            inner = bob.messages[-1].xml.find("{%s}forwarded/{jabber:client}message/"
                                              "{jabber:client}body" % FWD)
            assert inner is not None and inner.text == "手机 138****5678", inner
            send(alice, "bob@a.test", "fyi", [forwarded("猎鹰计划的预算")])
            assert await wait_for(lambda: alice.message_errors)
            assert content_error(alice.message_errors[0]) == ("policy-violation", "blocked",
                                                              "secret-project")
            await bob.sync()
            assert len(bob.bodies()) == 1
    run(go())


def test_server_elements_are_stripped_from_forwarded_messages_at_any_depth(srv):
    """A sender cannot make a recipient's client show a server warning by hiding one inside a
    forwarded message, nested or in another namespace, or on an error message."""
    forged = ("<link-warning xmlns='%s' url='https://bank.example/' rule='fraud_link' "
              "reason='fraud-cues'/>" % NS)
    nested = ("<forwarded xmlns='%s'><message xmlns='jabber:client'><body>a</body>"
              "<forwarded xmlns='%s'><message xmlns='jabber:server'><body>b</body>%s"
              "</message></forwarded></message></forwarded>" % (FWD, FWD, forged))

    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            send(alice, "bob@a.test", "fyi", [nested])
            assert await wait_for(lambda: len(bob.bodies()) == 1)
            got = bob.messages[-1].xml
            assert not list(got.iter("{%s}link-warning" % NS)), ET.tostring(got)
            assert [b.text for b in got.iter("{jabber:server}body")] == ["b"], ET.tostring(got)
            # A blocked term in a nested forward is found too.
            send(alice, "bob@a.test", "fyi", [
                "<forwarded xmlns='%s'><message xmlns='jabber:client'><forwarded xmlns='%s'>"
                "<message xmlns='jabber:client'><body>猎鹰计划</body></message></forwarded>"
                "</message></forwarded>" % (FWD, FWD)])
            assert await wait_for(lambda: len(alice.message_errors) == 1)
            assert content_error(alice.message_errors[0]) == ("policy-violation", "blocked",
                                                              "secret-project")
            await bob.sync()
            assert len(bob.bodies()) == 1
    run(go())


def iq_error(exc):
    return error_parts(exc.iq.xml)


def test_vcards_are_masked_or_refused(srv):
    from slixmpp.exceptions import IqError

    async def go():
        async with Clients(srv) as cs:
            alice, bob = await pair(cs)
            iq = alice.make_iq_set()
            iq.append(ET.fromstring(
                "<vCard xmlns='vcard-temp'><FN>Alice</FN><TEL><WORK/><NUMBER>13812345678"
                "</NUMBER></TEL><NOTE>身份证 11010519491231002X</NOTE></vCard>"))
            await iq.send(timeout=10)
            get = bob.make_iq_get(ito="alice@a.test")
            get.append(ET.fromstring("<vCard xmlns='vcard-temp'/>"))
            card = (await get.send(timeout=10)).xml.find("{vcard-temp}vCard")
            assert card.find("{vcard-temp}FN").text == "Alice"
            assert card.find("{vcard-temp}TEL/{vcard-temp}NUMBER").text == "138****5678"
            assert card.find("{vcard-temp}NOTE").text == "身份证 110105********002X"
            bad = alice.make_iq_set()
            bad.append(ET.fromstring("<vCard xmlns='vcard-temp'><FN>Alice</FN>"
                                     "<TITLE>Project Falcon lead</TITLE></vCard>"))
            with pytest.raises(IqError) as refused:
                await bad.send(timeout=10)
            assert iq_error(refused.value) == ("policy-violation", "blocked", "secret-project")
            # The refused card was not stored.
            get = bob.make_iq_get(ito="alice@a.test")
            get.append(ET.fromstring("<vCard xmlns='vcard-temp'/>"))
            card = (await get.send(timeout=10)).xml.find("{vcard-temp}vCard")
            assert card.find("{vcard-temp}TITLE") is None
            # Text beside child elements that would need masking, and a vCard with more
            # fields than are read, are refused rather than stored unread or half masked.
            for card, rule in (("<NOTE>13812345678<X/></NOTE>", "cn_mobile"),
                               ("<X>a</X>" * 600 + "<DESC>13812345678</DESC>", "unreadable")):
                odd = alice.make_iq_set()
                odd.append(ET.fromstring("<vCard xmlns='vcard-temp'>%s</vCard>" % card))
                with pytest.raises(IqError) as refused:
                    await odd.send(timeout=10)
                assert iq_error(refused.value) == ("policy-violation", "blocked", rule)
            # A vCard4 published to its PEP node (XEP-0292) is read the same way.
            pep = alice.make_iq_set()
            pep.append(ET.fromstring(
                "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish "
                "node='urn:xmpp:vcard4'><item id='current'><vcard xmlns='urn:ietf:params:xml:ns:"
                "vcard-4.0'><note><text>Project Falcon</text></note></vcard></item></publish>"
                "</pubsub>"))
            with pytest.raises(IqError) as refused:
                await pep.send(timeout=10)
            assert iq_error(refused.value) == ("policy-violation", "blocked", "secret-project")
    run(go())
    assert any(r["action"] == "content.block" and r["actor"] == "alice@a.test" and
               r.get("reason") == "vCard" for r in audit(srv))


def test_room_configuration_is_inspected(srv):
    from slixmpp.exceptions import IqError
    room = "falcon-room@conference.a.test"

    async def go():
        async with Clients(srv) as cs:
            alice = await cs.start(Acct("alice@a.test"), "rooms")
            joined = asyncio.get_running_loop().create_future()

            def on_presence(p):
                if p["from"].bare == room and not joined.done():
                    joined.set_result(p)
            alice.add_event_handler("presence", on_presence)
            p = alice.make_presence(pto=room + "/alice")
            p.xml.append(ET.fromstring("<x xmlns='http://jabber.org/protocol/muc'/>"))
            p.send()
            await asyncio.wait_for(joined, 10)

            def form(name, desc):
                iq = alice.make_iq_set(ito=room)
                iq.append(ET.fromstring(
                    "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                    "<x xmlns='jabber:x:data' type='submit'>"
                    "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
                    "</value></field><field var='muc#roomconfig_roomname'><value>%s</value>"
                    "</field><field var='muc#roomconfig_roomdesc'><value>%s</value></field>"
                    "</x></query>" % (name, desc)))
                return iq
            with pytest.raises(IqError) as refused:
                await form("Falcon", "猎鹰计划 war room").send(timeout=10)
            assert iq_error(refused.value) == ("policy-violation", "blocked", "secret-project")
            await form("Falcon", "call 13812345678").send(timeout=10)
            info = alice.make_iq_get(ito=room)
            info.append(ET.fromstring("<query xmlns='http://jabber.org/protocol/disco#info'/>"))
            reply = await info.send(timeout=10)
            values = [v.text for v in reply.xml.iter("{jabber:x:data}value")]
            assert "call 138****5678" in values, values
            assert not any("猎鹰" in (v or "") for v in values)
    run(go())
