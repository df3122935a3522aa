"""XEP-0198 stream management (acks, resumption, nothing lost across a dropped connection) and
XEP-0352 client state indication, over real TLS streams."""
import socket
import time

from raw_xmpp import account_password, NS_CLIENT, NS_STREAM, RawStream, q, local_name
from xmpp_helpers import Clients, run, wait_for

NS_SM = "urn:xmpp:sm:3"
NS_CSI = "urn:xmpp:csi:0"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def is_msg(e):
    return e.tag == q(NS_CLIENT, "message")


def body_of(e):
    b = e.find(q(NS_CLIENT, "body"))
    return b.text if b is not None else None


def drop(stream):
    """The client vanishes: no </stream:stream>, the TCP connection is just gone."""
    try:
        stream.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    stream.sock.close()
    stream.eof = True


def sm_login(server, account, resource="phone", resume=True, presence=False):
    """Signs in and enables stream management; with presence=True the client is available
    first (its own presence comes back before SM counting starts)."""
    s = RawStream(server.c2s_port)
    s.login(account.local, account.password, resource)
    assert s.features.find(q(NS_SM, "sm")) is not None, "XEP-0198 is offered after SASL"
    if presence:
        s.send("<presence/>")
        s.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
    s.send("<enable xmlns='%s'%s/>" % (NS_SM, " resume='true'" if resume else ""))
    enabled = s.expect(q(NS_SM, "enabled"))
    return s, enabled


def test_enable_ack_and_request(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    s, enabled = sm_login(server, alice)
    with s, RawStream(server.c2s_port) as b:
        assert enabled.get("resume") in ("true", "1") and enabled.get("id")
        assert int(enabled.get("max")) > 0
        s.send("<presence/>")
        b.login(bob.local, bob.password, "r")
        for i in range(3):
            b.send("<message to='%s' type='chat'><body>n%d</body></message>" % (alice.jid, i))
        got = [s.expect(is_msg) for _ in range(3)]
        assert [body_of(m) for m in got] == ["n0", "n1", "n2"]
        # The server asks for an ack after sending stanzas.
        s.expect(q(NS_SM, "r"))
        # Our count: the presence we sent is the one stanza the server handled.
        s.send("<r xmlns='%s'/>" % NS_SM)
        a = s.expect(q(NS_SM, "a"))
        assert a.get("h") == "1"
        s.send("<a xmlns='%s' h='3'/>" % NS_SM)
        assert s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost").get("type") == "result"


def test_enable_before_bind_and_twice_fail(server, users):
    alice = users.new("alice")
    with RawStream(server.c2s_port) as s:
        s.secure()
        s.auth(alice.local, alice.password)
        s.send("<enable xmlns='%s'/>" % NS_SM)
        failed = s.expect(q(NS_SM, "failed"))
        assert failed.find(q(NS_STANZAS, "unexpected-request")) is not None
        s.bind("r")
        s.send("<enable xmlns='%s'/>" % NS_SM)
        s.expect(q(NS_SM, "enabled"))
        s.send("<enable xmlns='%s'/>" % NS_SM)
        failed = s.expect(q(NS_SM, "failed"))
        assert failed.find(q(NS_STANZAS, "unexpected-request")) is not None


def test_ack_above_what_was_sent_is_a_stream_error(server, users):
    alice = users.new("alice")
    s, _ = sm_login(server, alice, resume=False)
    with s:
        s.send("<a xmlns='%s' h='5'/>" % NS_SM)
        cond, _, err = s.stream_error()
        assert cond == "undefined-condition"
        # XEP-0198 section 5: the application-specific condition with both counts.
        detail = err.find(q(NS_SM, "handled-count-too-high"))
        assert detail is not None and detail.get("h") == "5" and detail.get("send-count") == "0"


def test_resume_after_a_dropped_connection_loses_nothing(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    s, enabled = sm_login(server, alice, presence=True)
    previd = enabled.get("id")
    s.send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    s.expect(lambda e: e.get("id") == "p1")
    with RawStream(server.c2s_port) as b:
        b.login(bob.local, bob.password, "r")
        b.send("<message to='%s/phone' type='chat'><body>before 0</body></message>" % alice.jid)
        b.send("<message to='%s/phone' type='chat'><body>before 1</body></message>" % alice.jid)
        got = [s.expect(is_msg) for _ in range(2)]
        assert [body_of(m) for m in got] == ["before 0", "before 1"]
        # We handled only the first one when the connection dies.
        drop(s)
        time.sleep(0.3)
        for i in range(3):
            b.send("<message to='%s/phone' type='chat'><body>while away %d</body></message>"
                   % (alice.jid, i))
        assert b.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost").get("type") == "result"
        # The session is still there: nothing bounced back to bob.
        errors = [e for e in b.queue if e.get("type") == "error"]
        assert errors == []

        r = RawStream(server.c2s_port)
        with r:
            r.secure()
            r.auth(alice.local, alice.password)
            # Handled: the ping reply and "before 0".
            r.send("<resume xmlns='%s' previd='%s' h='2'/>" % (NS_SM, previd))
            resumed = r.expect(q(NS_SM, "resumed"))
            assert resumed.get("previd") == previd
            assert resumed.get("h") == "1", "the server handled our one ping"
            bodies = [body_of(r.expect(is_msg)) for _ in range(4)]
            assert bodies == ["before 1", "while away 0", "while away 1", "while away 2"]
            # Still the same resource, still available: bob's next message arrives directly.
            b.send("<message to='%s/phone' type='chat'><body>after</body></message>" % alice.jid)
            assert body_of(r.expect(is_msg)) == "after"


def test_resume_of_a_live_session_closes_the_old_stream_with_conflict(server, users):
    alice = users.new("alice")
    old, enabled = sm_login(server, alice)
    with old, RawStream(server.c2s_port) as r:
        r.secure()
        r.auth(alice.local, alice.password)
        r.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS_SM, enabled.get("id")))
        r.expect(q(NS_SM, "resumed"))
        cond, _, _ = old.stream_error()
        assert cond == "conflict"
        assert r.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost").get("type") == "result"


def test_resume_failures_leave_binding_possible(server, users):
    alice, mallory = users.new("alice"), users.new("mallory")
    victim, enabled = sm_login(server, alice)
    with victim:
        with RawStream(server.c2s_port) as s:
            s.secure()
            s.auth(mallory.local, mallory.password)
            # Another account cannot take alice's session even with the right id.
            s.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS_SM, enabled.get("id")))
            failed = s.expect(q(NS_SM, "failed"))
            assert failed.find(q(NS_STANZAS, "item-not-found")) is not None
            s.send("<resume xmlns='%s' previd='no-such-session' h='0'/>" % NS_SM)
            failed = s.expect(q(NS_SM, "failed"))
            assert failed.find(q(NS_STANZAS, "item-not-found")) is not None
            assert s.bind("desk") == mallory.jid + "/desk"
        # Alice's session was not disturbed.
        assert victim.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost").get("type") == "result"


def test_unacked_messages_go_offline_when_the_session_cannot_resume(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    s, _ = sm_login(server, alice, resume=False, presence=True)
    with RawStream(server.c2s_port) as b:
        b.login(bob.local, bob.password, "r")
        for i in range(3):
            b.send("<message to='%s' type='chat'><body>u%d</body></message>" % (alice.jid, i))
        got = [s.expect(is_msg) for _ in range(3)]
        assert len(got) == 3
        s.send("<a xmlns='%s' h='1'/>" % NS_SM)  # only the first one was handled
        s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        drop(s)
        time.sleep(0.5)
    with RawStream(server.c2s_port) as again:
        again.login(alice.local, alice.password, "laptop")
        again.send("<presence/>")
        bodies = [body_of(again.expect(is_msg)) for _ in range(2)]
        assert bodies == ["u1", "u2"]


def test_slixmpp_stream_management_and_resumption(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = cs.make(alice, "sm")
            a.register_plugin("xep_0198")
            enabled = []
            a.add_event_handler("sm_enabled", enabled.append)
            await a.start()
            assert await wait_for(lambda: enabled)
            assert a["xep_0198"].sm_id, "slixmpp got a resumable session"
            b = await cs.start(bob, "r")
            b.send_message(mto=alice.jid, mbody="sm hello", mtype="chat")
            assert await wait_for(lambda: "sm hello" in a.bodies())

    run(body(), 30)


def test_csi_holds_presence_until_something_important(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "r")
            b = await cs.start(bob, "r")
            from test_im import subscribe_mutually
            await subscribe_mutually(a, alice, b, bob)

    run(body(), 30)
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b:
        a.login(alice.local, alice.password, "phone")
        a.send("<presence/>")
        b.login(bob.local, bob.password, "desk")
        b.send("<presence/>")
        a.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                 e.get("from", "").startswith(bob.jid))
        a.send("<inactive xmlns='%s'/>" % NS_CSI)
        a.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        for status in ("away 1", "away 2", "away 3"):
            b.send("<presence><show>away</show><status>%s</status></presence>" % status)
        b.send("<message to='%s' type='chat'><composing xmlns="
               "'http://jabber.org/protocol/chatstates'/></message>" % alice.jid)
        b.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        # Nothing arrives while inactive and nothing is important.
        try:
            el = a.next(timeout=1.0)
            raise AssertionError("an inactive client got %s" % el.tag)
        except TimeoutError:
            pass
        b.send("<message to='%s' type='chat'><body>wake up</body></message>" % alice.jid)
        got = []
        while not got or not is_msg(got[-1]) or body_of(got[-1]) != "wake up":
            got.append(a.next())
        presences = [e for e in got if e.tag == q(NS_CLIENT, "presence")]
        assert len(presences) == 1, "only the latest presence of a contact is kept"
        assert presences[0].find(q(NS_CLIENT, "status")).text == "away 3"
        assert got.index(presences[0]) < len(got) - 1, "held stanzas come first, in order"
        # Active again: presence flows at once.
        a.send("<active xmlns='%s'/>" % NS_CSI)
        b.send("<presence><status>back</status></presence>")
        p = a.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
        assert p.find(q(NS_CLIENT, "status")).text == "back"


def test_session_not_resumed_in_time_ends_and_unacked_messages_go_offline(tmp_path):
    from test_config_hosts import ConfigServer, write_config
    path, data = write_config(tmp_path, "[c2s]\nresume_timeout = 1\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        for jid in ("alice@a.test", "bob@a.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        s = RawStream(srv.c2s_port, host="a.test")
        s.login("alice", account_password("pw-alice@a.test"), "phone")
        s.send("<presence/>")
        s.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
        s.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
        assert s.expect(q(NS_SM, "enabled")).get("max") == "1"
        with RawStream(srv.c2s_port, host="a.test") as b:
            b.login("bob", account_password("pw-bob@a.test"), "r")
            b.send("<message to='alice@a.test/phone' type='chat'><body>kept</body></message>")
            assert body_of(s.expect(is_msg)) == "kept"
            drop(s)
            time.sleep(2.5)
        with RawStream(srv.c2s_port, host="a.test") as again:
            again.login("alice", account_password("pw-alice@a.test"), "laptop")
            again.send("<presence/>")
            m = again.expect(is_msg)
            assert body_of(m) == "kept"
            assert m.find("{urn:xmpp:delay}delay") is not None, "stored offline, with a delay"
    finally:
        srv.stop()


def test_messages_beyond_max_unacked_of_a_waiting_session_go_offline(tmp_path):
    """A dropped session keeps max_unacked stanzas for its client; messages beyond that are
    stored offline rather than lost."""
    from test_config_hosts import ConfigServer, write_config
    path, data = write_config(tmp_path, "[c2s]\nresume_timeout = 2\nmax_unacked = 100\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        for jid in ("alice@a.test", "bob@a.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        s = RawStream(srv.c2s_port, host="a.test")
        s.login("alice", account_password("pw-alice@a.test"), "phone")
        s.send("<presence/>")
        s.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
        s.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
        s.expect(q(NS_SM, "enabled"))
        drop(s)
        time.sleep(0.5)
        n = 150
        with RawStream(srv.c2s_port, host="a.test") as b:
            b.login("bob", account_password("pw-bob@a.test"), "r")
            b.send("".join("<message to='alice@a.test' type='chat'><body>w%03d</body></message>"
                           % i for i in range(n)))
            assert b.iq("<ping xmlns='urn:xmpp:ping'/>").get("type") == "result"
            time.sleep(3.5)  # the waiting session ends; what it kept goes offline too
        got = []
        with RawStream(srv.c2s_port, host="a.test") as again:
            again.login("alice", account_password("pw-alice@a.test"), "laptop")
            again.send("<presence/>")
            while len(got) < n:
                got.append(body_of(again.expect(is_msg, timeout=15)))
        assert sorted(got) == ["w%03d" % i for i in range(n)]
    finally:
        srv.stop()
