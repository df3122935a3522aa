"""Hostile and broken input on raw sockets: each gets the RFC 6120 stream error, the connection
is closed, and a fresh connection still works afterwards."""
import pytest

from raw_xmpp import NS_CLIENT, NS_SASL, RawStream, q

LOL = "".join("<!ENTITY lol%d \"%s\">" % (i, ("&lol%d;" % (i - 1)) * 10 if i else "lol")
              for i in range(10))
ENTITY_BOMB = "<!DOCTYPE lolz [%s]>" % LOL


@pytest.fixture
def account(users):
    return users.new("victim")


def logged_in(server, account, resource="bad"):
    s = RawStream(server.tls_port, direct_tls=True)
    s.login(account.local, account.password, resource)
    return s


def assert_stream_error(s, condition):
    cond, text, _ = s.stream_error()
    assert cond == condition, "expected <%s/>, got <%s/> (%s)" % (condition, cond, text)
    assert s.wait_closed(), "the server must close the connection after a stream error"


def assert_fresh_connection_works(server, account):
    with RawStream(server.c2s_port) as s:
        s.login(account.local, account.password, "fresh")
        reply = s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        assert reply.get("type") == "result"


def test_malformed_xml_not_well_formed(server, account):
    with logged_in(server, account) as s:
        s.send("<message to='%s'><body>unclosed</message>" % account.jid)
        assert_stream_error(s, "not-well-formed")
    assert_fresh_connection_works(server, account)


def test_garbage_bytes_not_well_formed(server, account):
    with logged_in(server, account) as s:
        s.send(b"<<<\x00\xff\xfe>>>")
        cond, _, _ = s.stream_error()
        assert cond in ("not-well-formed", "unsupported-encoding"), cond
        assert s.wait_closed()
    assert_fresh_connection_works(server, account)


def test_invalid_utf8_is_unsupported_encoding(server, account):
    """RFC 6120 section 4.9.3.22: bytes that violate UTF-8 are an encoding error."""
    with logged_in(server, account) as s:
        s.send(b"<message to='" + account.jid.encode()
               + b"'><body>caf\xc3 \xff\xfe</body></message>")
        assert_stream_error(s, "unsupported-encoding")
    assert_fresh_connection_works(server, account)


def test_oversized_stanza_policy_violation(server, account):
    with logged_in(server, account) as s:
        big = "<message to='%s' type='chat'><body>%s</body></message>" % (
            account.jid, "A" * (300 * 1024))
        assert len(big) > 256 * 1024
        s.send_until_answered(big)
        assert_stream_error(s, "policy-violation")
    assert_fresh_connection_works(server, account)


def test_oversized_stanza_many_children_policy_violation(server, account):
    """The limit counts the whole stanza, not just one text node."""
    with logged_in(server, account) as s:
        big = "<message to='%s' type='chat'>%s</message>" % (
            account.jid, "<x xmlns='urn:example:pad'>%s</x>" % ("B" * 1000) * 300)
        s.send_until_answered(big)
        assert_stream_error(s, "policy-violation")
    assert_fresh_connection_works(server, account)


def test_stanza_just_under_the_limit_is_accepted(server, account, users):
    bob = users.new("bob")
    with logged_in(server, bob, "rcv") as b, logged_in(server, account) as s:
        b.send("<presence/>")
        body = "C" * (200 * 1024)
        s.send("<message to='%s/rcv' type='chat' id='big'><body>%s</body></message>"
               % (bob.jid, body))
        msg = b.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "big")
        assert msg.findtext(q(NS_CLIENT, "body")) == body


def test_doctype_entity_bomb_restricted_xml(server, account):
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.send_header(prolog=ENTITY_BOMB)
        assert_stream_error(s, "restricted-xml")
    assert_fresh_connection_works(server, account)


def test_doctype_after_authentication_restricted_xml(server, account):
    """The stream restart after SASL starts a new document: the DOCTYPE check applies too."""
    with RawStream(server.c2s_port) as s:
        s.secure()
        result = s.auth(account.local, account.password, restart=False)
        assert result.tag == q(NS_SASL, "success")
        s.send_header(prolog=ENTITY_BOMB)
        assert_stream_error(s, "restricted-xml")
    assert_fresh_connection_works(server, account)


def test_undeclared_entity_reference_rejected(server, account):
    with logged_in(server, account) as s:
        s.send("<message to='%s'><body>&xxe;</body></message>" % account.jid)
        cond, _, _ = s.stream_error()
        assert cond in ("restricted-xml", "not-well-formed"), cond
        assert s.wait_closed()
    assert_fresh_connection_works(server, account)


def test_processing_instruction_restricted_xml(server, account):
    with logged_in(server, account) as s:
        s.send("<?evil instruction?>")
        assert_stream_error(s, "restricted-xml")
    assert_fresh_connection_works(server, account)


def test_spoofed_from_invalid_from(server, account, users):
    other = users.new("other")
    with logged_in(server, account) as s:
        s.send("<message from='%s/x' to='%s' type='chat'><body>spoof</body></message>"
               % (other.jid, account.jid))
        assert_stream_error(s, "invalid-from")
    assert_fresh_connection_works(server, account)


def test_own_bare_and_full_from_are_accepted(server, account):
    with logged_in(server, account, "me") as s:
        for frm in (account.jid, account.jid + "/me"):
            s.send("<iq type='get' id='f-%s' from='%s' to='localhost'>"
                   "<ping xmlns='urn:xmpp:ping'/></iq>" % (frm, frm))
            reply = s.expect(lambda e: e.get("id") == "f-" + frm)
            assert reply.get("type") == "result"


def test_stanza_before_auth_not_authorized(server, account):
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.open_stream()
        s.send("<message to='%s' type='chat'><body>too early</body></message>" % account.jid)
        assert_stream_error(s, "not-authorized")
    assert_fresh_connection_works(server, account)


def test_stanza_before_tls_not_authorized(server, account):
    with RawStream(server.c2s_port) as s:
        s.open_stream()
        s.send("<iq type='get' id='x'><ping xmlns='urn:xmpp:ping'/></iq>")
        assert_stream_error(s, "not-authorized")
    assert_fresh_connection_works(server, account)


def test_stanza_before_bind_not_authorized(server, account):
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.open_stream()
        assert s.auth(account.local, account.password).tag == q(NS_SASL, "success")
        s.send("<message to='%s' type='chat'><body>not bound</body></message>" % account.jid)
        assert_stream_error(s, "not-authorized")
    assert_fresh_connection_works(server, account)


@pytest.mark.parametrize("port_kind", ["starttls", "direct"])
def test_unknown_host_in_stream_header(server, account, port_kind):
    direct = port_kind == "direct"
    with RawStream(server.tls_port if direct else server.c2s_port, direct_tls=direct) as s:
        s.send_header(to="unknown.example")
        assert_stream_error(s, "host-unknown")
    assert_fresh_connection_works(server, account)


def test_wrong_stream_namespace_invalid_namespace(server, account):
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
               "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
        assert_stream_error(s, "invalid-namespace")
    assert_fresh_connection_works(server, account)


def test_deep_nesting_rejected(server, account):
    with logged_in(server, account) as s:
        depth = 200
        s.send("<message to='%s'>%s%s</message>" % (
            account.jid, "<a xmlns='urn:example:deep'>" * depth, "</a>" * depth))
        cond, _, _ = s.stream_error()
        assert cond in ("policy-violation", "not-well-formed", "restricted-xml"), cond
        assert s.wait_closed()
    assert_fresh_connection_works(server, account)


def test_iq_without_id_is_bad_request_and_stream_survives(server, account):
    with logged_in(server, account) as s:
        s.send("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        err = s.expect(lambda e: e.tag == q(NS_CLIENT, "iq"))
        assert err.get("type") == "error"
        reply = s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        assert reply.get("type") == "result", "the stream must survive a stanza error"
