"""XEP-0388 SASL2 with XEP-0386 Bind 2 and XEP-0484 FAST, over real TLS against a real rampartd:
the stream feature, SCRAM inside SASL2 with the client's user agent, inline binding with the
client's tag, the features that follow <success/> without a stream restart, FAST tokens issued,
used (HT-SHA-256-NONE, with the server's proof), rotated and invalidated, a FAST token listed
and revoked like any device credential, failures in the SASL2 namespace, and offline messages
delivered to a session bound with Bind 2."""

import base64
import hashlib
import hmac
import itertools
import sqlite3
import xml.etree.ElementTree as ET

from conftest import Account
from raw_xmpp import NS_SASL, RawStream, ScramClient, account_password, q
from test_account_center import AccountClient, signed_in

NS_SASL2 = "urn:xmpp:sasl:2"
NS_BIND2 = "urn:xmpp:bind:0"
NS_FAST = "urn:xmpp:fast:0"
NS_STREAM = "http://etherx.jabber.org/streams"
NS_SM = "urn:xmpp:sm:3"
NS_CLIENT = "jabber:client"
FAST = "HT-SHA-256-NONE"
_names = itertools.count(1)


def new_account(server, prefix):
    local = "%s%d" % (prefix, next(_names))
    jid = "%s@%s" % (local, server.host)
    password = account_password(jid)
    server.add_user(jid, password)
    return Account(local, jid, password)


def b64(data):
    return base64.b64encode(data).decode()


def user_agent(software="Conversations", device="Pixel 9"):
    return ("<user-agent id='d3a1c5b2-8f1e-4a57-9a42-0e6a5d1b7c31'><software>%s</software>"
            "<device>%s</device></user-agent>" % (software, device))


def sasl2_scram(s, account, extra="", verify=True):
    """SCRAM-SHA-256 inside SASL2; the final element (success or failure)."""
    client = ScramClient("SCRAM-SHA-256", account.local, account.password)
    s.send("<authenticate xmlns='%s' mechanism='SCRAM-SHA-256'><initial-response>%s"
           "</initial-response>%s</authenticate>" % (NS_SASL2, b64(client.first()), extra))
    el = s.next()
    if el.tag != q(NS_SASL2, "challenge"):
        return el
    final = client.final(base64.b64decode(el.text or ""))
    s.send("<response xmlns='%s'>%s</response>" % (NS_SASL2, b64(final)))
    el = s.next()
    if el.tag == q(NS_SASL2, "success") and verify:
        data = el.find(q(NS_SASL2, "additional-data"))
        client.verify_server(base64.b64decode(data.text))
    return el


def fast_proof(token, label):
    return hmac.new(token.encode(), label, hashlib.sha256).digest()


def sasl2_fast(s, account, token, extra=""):
    initial = account.local.encode() + b"\0" + fast_proof(token, b"Initiator")
    s.send("<authenticate xmlns='%s' mechanism='%s'><initial-response>%s</initial-response>"
           "<fast xmlns='%s' count='1'/>%s</authenticate>"
           % (NS_SASL2, FAST, b64(initial), NS_FAST, extra))
    return s.next()


def stream(server):
    s = RawStream(server.tls_port, direct_tls=True, host=server.host)
    features = s.secure()
    return s, features


def features_after(s):
    el = s.next()
    assert el.tag == q(NS_STREAM, "features"), ET.tostring(el)
    return el


def test_feature_lists_mechanisms_and_inline_bind_and_fast(server):
    s, features = stream(server)
    with s:
        auth = features.find(q(NS_SASL2, "authentication"))
        assert auth is not None, ET.tostring(features)
        mechs = [m.text for m in auth.findall(q(NS_SASL2, "mechanism"))]
        assert "SCRAM-SHA-256" in mechs and "SCRAM-SHA-256-PLUS" in mechs, mechs
        inline = auth.find(q(NS_SASL2, "inline"))
        assert inline.find(q(NS_BIND2, "bind")) is not None
        fast = inline.find(q(NS_FAST, "fast"))
        assert [m.text for m in fast.findall(q(NS_FAST, "mechanism"))] == [FAST]
        # SASL1 is still offered alongside.
        assert features.find(q(NS_SASL, "mechanisms")) is not None


def test_scram_with_bind2_and_a_fast_token_then_fast_reconnects(server):
    a = new_account(server, "sasl2a")
    s, _ = stream(server)
    with s:
        ok = sasl2_scram(s, a, user_agent() + "<bind xmlns='%s'><tag>Conversations</tag></bind>"
                         "<request-token xmlns='%s' mechanism='%s'/>" % (NS_BIND2, NS_FAST, FAST))
        assert ok.tag == q(NS_SASL2, "success"), ET.tostring(ok)
        full = ok.find(q(NS_SASL2, "authorization-identifier")).text
        assert full.startswith(a.jid + "/Conversations."), full
        assert ok.find(q(NS_BIND2, "bound")) is not None
        token_el = ok.find(q(NS_FAST, "token"))
        token = token_el.get("token")
        assert token and len(token) >= 32 and token_el.get("expiry"), ET.tostring(ok)
        # Features follow without a stream restart: no bind (already bound), stream management.
        f = features_after(s)
        assert f.find(q(NS_SM, "sm")) is not None
        assert f.find(q("urn:ietf:params:xml:ns:xmpp-bind", "bind")) is None
        # The session works: an IQ to the own account is answered.
        s.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
        r = s.expect(lambda e: e.get("id") == "r1")
        assert r.get("type") == "result"
    # The next connection needs no password: FAST with the token, and the server proves it
    # holds the token too.
    s, _ = stream(server)
    with s:
        ok = sasl2_fast(s, a, token, user_agent() + "<request-token xmlns='%s' mechanism='%s'/>"
                        % (NS_FAST, FAST))
        assert ok.tag == q(NS_SASL2, "success"), ET.tostring(ok)
        data = base64.b64decode(ok.find(q(NS_SASL2, "additional-data")).text)
        assert data == fast_proof(token, b"Responder")
        assert ok.find(q(NS_SASL2, "authorization-identifier")).text == a.jid
        rotated = ok.find(q(NS_FAST, "token")).get("token")
        assert rotated and rotated != token
        f = features_after(s)
        assert f.find(q("urn:ietf:params:xml:ns:xmpp-bind", "bind")) is not None
        assert s.bind("phone").startswith(a.jid + "/phone")
    # The rotated token works; after that the old one no longer does.
    s, _ = stream(server)
    with s:
        assert sasl2_fast(s, a, rotated, user_agent()).tag == q(NS_SASL2, "success")
    s, _ = stream(server)
    with s:
        el = sasl2_fast(s, a, token)
        assert el.tag == q(NS_SASL2, "failure"), ET.tostring(el)
        assert el.find(q(NS_SASL, "not-authorized")) is not None
    # The sign-ins are recorded with the client's name and the FAST credential.
    c = signed_in(server, a)
    records = c.get("/logins?limit=20").json()["items"]
    fast = [r for r in records if r["credential"].startswith("fast:") and r["result"] == "success"]
    assert len(fast) == 2, records
    assert all(r["client"] == "Conversations on Pixel 9" for r in fast), fast
    # The token is a device credential the person sees, named after the client.
    devices = c.get("/devices").json()["items"]
    tokens = [d for d in devices if d["kind"] == "fast"]
    assert len(tokens) == 1 and tokens[0]["name"] == "Conversations on Pixel 9", devices
    assert tokens[0]["last_used"] is not None
    # The database keeps a seed, not the token: a copy of it without the server's FAST key
    # (0600, beside it) opens no session.
    db = sqlite3.connect(str(server.data_dir / "rampart.db"), timeout=10)
    try:
        stored = db.execute("SELECT secret_hash, previous_hash FROM devices WHERE kind = 'fast' "
                            "AND user = ?", (a.local,)).fetchall()
    finally:
        db.close()
    text = [x.decode() if isinstance(x, bytes) else x for row in stored for x in row]
    assert stored and text[0] and rotated not in text and token not in text, stored
    key = server.data_dir / "fast-token.key"
    assert key.stat().st_size == 32 and key.stat().st_mode & 0o777 == 0o600


def test_revoking_a_fast_token_ends_its_session_and_it_signs_in_no_more(server):
    a = new_account(server, "sasl2r")
    s, _ = stream(server)
    with s:
        ok = sasl2_scram(s, a, user_agent("Monal", "iPhone") + "<request-token xmlns='%s' "
                         "mechanism='%s'/>" % (NS_FAST, FAST))
        token = ok.find(q(NS_FAST, "token")).get("token")
    s, _ = stream(server)
    with s:
        ok = sasl2_fast(s, a, token, "<bind xmlns='%s'><tag>Monal</tag></bind>" % NS_BIND2)
        assert ok.tag == q(NS_SASL2, "success"), ET.tostring(ok)
        features_after(s)
        c = signed_in(server, a)
        [dev] = [d for d in c.get("/devices").json()["items"] if d["kind"] == "fast"]
        assert c.delete("/devices/" + dev["id"]).status == 204
        assert s.wait_closed(5), "the session signed in with the revoked token is still open"
    s, _ = stream(server)
    with s:
        assert sasl2_fast(s, a, token).tag == q(NS_SASL2, "failure")


def test_invalidate_forgets_the_token_used(server):
    a = new_account(server, "sasl2i")
    s, _ = stream(server)
    with s:
        ok = sasl2_scram(s, a, "<request-token xmlns='%s' mechanism='%s'/>" % (NS_FAST, FAST))
        token = ok.find(q(NS_FAST, "token")).get("token")
    s, _ = stream(server)
    with s:
        initial = a.local.encode() + b"\0" + fast_proof(token, b"Initiator")
        s.send("<authenticate xmlns='%s' mechanism='%s'><initial-response>%s</initial-response>"
               "<fast xmlns='%s' invalidate='true'/></authenticate>"
               % (NS_SASL2, FAST, b64(initial), NS_FAST))
        assert s.next().tag == q(NS_SASL2, "success")
    s, _ = stream(server)
    with s:
        assert sasl2_fast(s, a, token).tag == q(NS_SASL2, "failure")


def test_failures_are_sasl2_failures(server):
    a = new_account(server, "sasl2f")
    s, _ = stream(server)
    with s:
        wrong = Account(a.local, a.jid, a.password + "x")
        el = sasl2_scram(s, wrong, verify=False)
        assert el.tag == q(NS_SASL2, "failure"), ET.tostring(el)
        assert el.find(q(NS_SASL, "not-authorized")) is not None
        # Malformed FAST data and an unknown mechanism.
        s.send("<authenticate xmlns='%s' mechanism='%s'><initial-response>%s</initial-response>"
               "</authenticate>" % (NS_SASL2, FAST, b64(b"no-separator")))
        el = s.next()
        assert el.find(q(NS_SASL, "malformed-request")) is not None, ET.tostring(el)
        s.send("<authenticate xmlns='%s' mechanism='X-NOPE'/>" % NS_SASL2)
        el = s.next()
        assert el.find(q(NS_SASL, "invalid-mechanism")) is not None, ET.tostring(el)
        # The right password still works on the same stream.
        ok = sasl2_scram(s, a)
        assert ok.tag == q(NS_SASL2, "success")
        assert ok.find(q(NS_SASL2, "authorization-identifier")).text == a.jid


def test_fast_is_not_a_sasl1_mechanism(server):
    a = new_account(server, "sasl2o")
    s, features = stream(server)
    with s:
        mechs = [m.text for m in features.find(q(NS_SASL, "mechanisms"))]
        assert FAST not in mechs
        initial = a.local.encode() + b"\0" + b"\0" * 32
        s.send("<auth xmlns='%s' mechanism='%s'>%s</auth>" % (NS_SASL, FAST, b64(initial)))
        assert s.next().find(q(NS_SASL, "invalid-mechanism")) is not None


def test_bind2_session_gets_offline_messages(server):
    a = new_account(server, "sasl2m")
    b = new_account(server, "sasl2n")
    sender = RawStream(server.tls_port, direct_tls=True, host=server.host)
    with sender:
        sender.login(b.local, b.password, "desk")
        sender.send("<message to='%s' type='chat' id='off1'><body>while you were away</body>"
                    "</message>" % a.jid)
        # A round trip makes sure the message was routed (stored offline) before going on.
        sender.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
        sender.expect(lambda e: e.get("id") == "p1")
    s, _ = stream(server)
    with s:
        ok = sasl2_scram(s, a, "<bind xmlns='%s'><tag>Gajim</tag></bind>" % NS_BIND2)
        assert ok.find(q(NS_BIND2, "bound")) is not None
        features_after(s)
        s.send("<presence/>")
        m = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                     e.findtext(q(NS_CLIENT, "body")) == "while you were away")
        assert m.get("from").startswith(b.jid)


def test_only_response_or_abort_during_sasl2(server):
    a = new_account(server, "sasl2p")
    s, _ = stream(server)
    with s:
        client = ScramClient("SCRAM-SHA-256", a.local, a.password)
        s.send("<authenticate xmlns='%s' mechanism='SCRAM-SHA-256'><initial-response>%s"
               "</initial-response></authenticate>" % (NS_SASL2, b64(client.first())))
        assert s.next().tag == q(NS_SASL2, "challenge")
        s.send("<message to='%s'><body>too early</body></message>" % a.jid)
        condition, _, _ = s.stream_error()
        assert condition == "policy-violation"


NS_CAM = "urn:xmpp:cam:0"


def test_client_access_management_lists_and_revokes(server):
    a = new_account(server, "cam")
    c = signed_in(server, a)
    app = c.post("/devices", {"name": "Old tablet"}).json()
    s, _ = stream(server)
    with s:
        ok = sasl2_scram(s, a, user_agent() + "<request-token xmlns='%s' mechanism='%s'/>"
                         % (NS_FAST, FAST))
        token = ok.find(q(NS_FAST, "token")).get("token")
    phone, _ = stream(server)
    main = RawStream(server.tls_port, direct_tls=True, host=server.host)
    with phone, main:
        ok = sasl2_fast(phone, a, token, user_agent() + "<bind xmlns='%s'><tag>Conv</tag></bind>"
                        % NS_BIND2)
        assert ok.find(q(NS_BIND2, "bound")) is not None
        features_after(phone)
        main.login(a.local, a.password, "desk")
        main.send("<iq type='get' id='cam1'><list xmlns='%s'/></iq>" % NS_CAM)
        r = main.expect(lambda e: e.get("id") == "cam1")
        assert r.get("type") == "result", ET.tostring(r)
        clients = {c_.get("id"): c_ for c_ in r.find(q(NS_CAM, "clients"))}
        tablet = clients[app["id"]]
        assert tablet.get("connected") == "false" and tablet.get("type") == "access"
        assert tablet.find("%s/%s" % (q(NS_CAM, "auth"), q(NS_CAM, "password"))) is not None
        assert tablet.find(q(NS_CAM, "permission")).get("status") == "normal"
        [fast] = [c_ for c_ in clients.values()
                  if c_.find("%s/%s" % (q(NS_CAM, "auth"), q(NS_CAM, "fast"))) is not None]
        assert fast.get("connected") == "true" and fast.get("type") == "session"
        # The software as the client last named itself (SASL2 <user-agent/>).
        assert fast.findtext("%s/%s" % (q(NS_CAM, "user-agent"), q(NS_CAM, "software"))) == \
            "Conversations on Pixel 9"
        assert fast.find(q(NS_CAM, "last-seen")) is not None
        desk = clients["session:desk"]
        assert desk.find(q(NS_CAM, "permission")).get("status") == "unrestricted"
        # A password session can only be shut out with a new password.
        main.send("<iq type='set' id='cam2'><revoke xmlns='%s' id='session:desk'/></iq>" % NS_CAM)
        err = main.expect(lambda e: e.get("id") == "cam2")
        assert err.get("type") == "error"
        e = err.find(q(NS_CLIENT, "error"))
        assert e.find(q("urn:ietf:params:xml:ns:xmpp-stanzas", "service-unavailable")) is not None
        assert e.find(q(NS_CAM, "password-reset-required")) is not None
        main.send("<iq type='set' id='cam3'><revoke xmlns='%s' id='no-such-id'/></iq>" % NS_CAM)
        err = main.expect(lambda e: e.get("id") == "cam3")
        assert err.find(q(NS_CLIENT, "error")).find(
            q("urn:ietf:params:xml:ns:xmpp-stanzas", "item-not-found")) is not None
        # Revoking the FAST client ends its session at once; the password session stays.
        main.send("<iq type='set' id='cam4'><revoke xmlns='%s' id='%s'/></iq>"
                  % (NS_CAM, fast.get("id")))
        assert main.expect(lambda e: e.get("id") == "cam4").get("type") == "result"
        assert phone.wait_closed(5), "the revoked client's session is still open"
        main.send("<iq type='get' id='cam5'><list xmlns='%s'/></iq>" % NS_CAM)
        ids = {c_.get("id") for c_ in main.expect(lambda e: e.get("id") == "cam5")
               .find(q(NS_CAM, "clients"))}
        assert fast.get("id") not in ids and app["id"] in ids
    s, _ = stream(server)
    with s:
        assert sasl2_fast(s, a, token).tag == q(NS_SASL2, "failure")


def test_bind2_enables_stream_management_inline_and_the_session_resumes(server):
    """XEP-0198 inside Bind 2: <enabled/> comes in <bound/>, the features that follow offer no
    second <sm/>, acknowledgements count from there, and the session resumes after a drop."""
    a = new_account(server, "sasl2sm")
    b = new_account(server, "sasl2sb")
    s, features = stream(server)
    inline = features.find(q(NS_SASL2, "authentication")).find(q(NS_SASL2, "inline"))
    offered = inline.find(q(NS_BIND2, "bind")).find(q(NS_BIND2, "inline"))
    assert NS_SM in [f.get("var") for f in offered.findall(q(NS_BIND2, "feature"))]
    ok = sasl2_scram(s, a, user_agent() + "<bind xmlns='%s'><tag>Monal</tag>"
                     "<enable xmlns='%s' resume='true'/></bind>" % (NS_BIND2, NS_SM))
    assert ok.tag == q(NS_SASL2, "success"), ET.tostring(ok)
    enabled = ok.find(q(NS_BIND2, "bound")).find(q(NS_SM, "enabled"))
    assert enabled is not None and enabled.get("resume") == "true" and enabled.get("id"), \
        ET.tostring(ok)
    full = ok.find(q(NS_SASL2, "authorization-identifier")).text
    after = features_after(s)
    assert after.find(q(NS_SM, "sm")) is None, ET.tostring(after)
    s.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    s.expect(lambda e: e.get("id") == "p1")
    s.send("<r xmlns='%s'/>" % NS_SM)
    assert s.expect(q(NS_SM, "a")).get("h") == "1"
    # The connection drops; a message sent meanwhile waits for the resumed session.
    from test_stream_management import drop
    drop(s)
    with RawStream(server.tls_port, direct_tls=True, host=server.host) as sender:
        sender.login(b.local, b.password, "desk")
        sender.send("<message to='%s' type='chat'><body>kept for you</body></message>" % full)
        assert sender.iq("<ping xmlns='urn:xmpp:ping'/>", to=server.host).get("type") == "result"
        r = RawStream(server.tls_port, direct_tls=True, host=server.host)
        with r:
            r.secure()
            r.auth(a.local, a.password)
            r.send("<resume xmlns='%s' previd='%s' h='1'/>" % (NS_SM, enabled.get("id")))
            assert r.expect(q(NS_SM, "resumed")).get("h") == "1"
            m = r.expect(lambda e: e.tag == q(NS_CLIENT, "message"))
            assert m.findtext(q(NS_CLIENT, "body")) == "kept for you"
