"""Resource binding (RFC 6120 section 7) and the server's own services: XEP-0030 disco,
XEP-0199 ping, XEP-0092 version (off by default)."""
import pytest
from slixmpp.exceptions import IqError

from raw_xmpp import NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run

NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"


# ---- binding ----------------------------------------------------------------------------

def test_requested_resource_is_used(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        assert s.login(alice.local, alice.password, "Laptop 1") == alice.jid + "/Laptop 1"


def test_empty_bind_gets_server_generated_resource(server, users):
    alice = users.new("alice")
    jids = []
    for _ in range(2):
        with RawStream(server.tls_port, direct_tls=True) as s:
            jid = s.login(alice.local, alice.password, None)
            jids.append(jid)
    for jid in jids:
        bare, _, resource = jid.partition("/")
        assert bare == alice.jid
        assert resource, "the server must generate a non-empty resource"
    assert jids[0] != jids[1], "generated resources should be unique"


def test_slixmpp_without_resource_is_bound(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            c = await cs.start(alice, None)
            assert c.boundjid.bare == alice.jid
            assert c.boundjid.resource

    run(body(), 30)


def test_same_resource_twice_kicks_old_session_with_conflict(server, users):
    alice = users.new("alice")
    bob = users.new("bob")
    old = RawStream(server.tls_port, direct_tls=True)
    new = RawStream(server.c2s_port)
    try:
        assert old.login(alice.local, alice.password, "dup") == alice.jid + "/dup"
        assert new.login(alice.local, alice.password, "dup") == alice.jid + "/dup"
        cond, _, _ = old.stream_error()
        assert cond == "conflict"
        assert old.wait_closed(), "the replaced session's connection must be closed"
        # The new session owns the resource: a message to the full JID reaches it.
        with RawStream(server.tls_port, direct_tls=True) as b:
            b.login(bob.local, bob.password, "x")
            b.send("<message to='%s/dup' type='chat' id='m1'><body>to the new one</body>"
                   "</message>" % alice.jid)
        msg = new.expect(q(NS_CLIENT, "message"))
        assert msg.findtext(q(NS_CLIENT, "body")) == "to the new one"
    finally:
        old.close()
        new.close()


def test_invalid_resource_is_bad_request(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.secure()
        assert s.auth(alice.local, alice.password).tag.endswith("success")
        # RFC 7622 section 3.4: a resourcepart is at most 1023 bytes.
        s.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
               "<resource>%s</resource></bind></iq>" % ("r" * 1024))
        reply = s.expect(lambda e: e.get("id") == "b1")
        assert reply.get("type") == "error"
        assert stanza_error_condition(reply) == "bad-request"
        # The stream survives and a valid bind still works.
        assert s.bind("ok") == alice.jid + "/ok"


# ---- disco, ping, version --------------------------------------------------------------

def test_disco_info_on_server(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            c = await cs.start(alice, "disco")
            info = await c["xep_0030"].get_info(jid="localhost", timeout=10)
            features = set(info["disco_info"]["features"])
            assert "urn:xmpp:ping" in features
            assert NS_DISCO_INFO in features
            identities = info["disco_info"]["identities"]
            assert any(i[0] == "server" and i[1] == "im" for i in identities), identities
            assert "jabber:iq:version" not in features, "XEP-0092 is off by default"

    run(body(), 30)


def test_disco_info_raw(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "raw")
        reply = s.iq("<query xmlns='%s'/>" % NS_DISCO_INFO, to="localhost")
        assert reply.get("type") == "result"
        assert reply.get("from") == "localhost"
        query = reply.find(q(NS_DISCO_INFO, "query"))
        features = {f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))}
        assert {"urn:xmpp:ping", NS_DISCO_INFO} <= features


def test_ping_server(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            c = await cs.start(alice, "ping")
            rtt = await c["xep_0199"].ping("localhost", timeout=10)
            assert rtt is not None and rtt >= 0

    run(body(), 30)
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "rawping")
        reply = s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost", id_="p1")
        assert reply.get("type") == "result"
        assert len(list(reply)) == 0, "a ping result carries no payload"
        # With no 'to' (as Profanity's autoping sends it) and to one's own bare JID.
        assert s.iq("<ping xmlns='urn:xmpp:ping'/>", id_="p2").get("type") == "result"
        assert s.iq("<ping xmlns='urn:xmpp:ping'/>", to=alice.jid, id_="p3").get("type") == "result"


def test_version_is_service_unavailable_by_default(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            c = await cs.start(alice, "ver")
            with pytest.raises(IqError) as info:
                await c["xep_0092"].get_version("localhost", timeout=10)
            assert info.value.iq["error"]["condition"] == "service-unavailable"

    run(body(), 30)


def test_unknown_iq_namespace_is_service_unavailable(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "unk")
        reply = s.iq("<query xmlns='urn:example:nothing'/>", to="localhost")
        assert reply.get("type") == "error"
        assert stanza_error_condition(reply) == "service-unavailable"
