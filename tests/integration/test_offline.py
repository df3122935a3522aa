"""Offline storage (delivered at the next login, in order, with XEP-0203 delay), a 1,000-message
burst to an online recipient, and durability across kill -9."""
import asyncio
import time

from conftest import Account, Users
from raw_xmpp import account_password, NS_CLIENT, RawStream, q
from xmpp_helpers import Clients, run, wait_for

NS_DELAY = "urn:xmpp:delay"
NS_SM = "urn:xmpp:sm:3"


def delay_of(msg):
    return msg.xml.find("{%s}delay" % NS_DELAY)


def test_offline_messages_delivered_in_order_with_delay(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    bodies = ["offline %d" % i for i in range(5)]

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            for text in bodies:
                a.send_message(mto=bob.jid, mbody=text, mtype="chat")
            await a.sync()
            assert a.message_errors == [], "storing for a known offline user must not fail"
            await asyncio.sleep(0.5)  # storage runs on its own thread

            b = await cs.start(bob, "b")
            assert await wait_for(lambda: len(b.bodies()) >= len(bodies), 15), b.bodies()
            await asyncio.sleep(0.3)
            assert b.bodies() == bodies, "offline messages must arrive once each, in order"
            for m in b.messages:
                assert m["from"].full == alice.jid + "/a"
                d = delay_of(m)
                assert d is not None, "an offline message carries <delay xmlns='urn:xmpp:delay'/>"
                assert d.get("from") == "localhost"
                assert d.get("stamp", "").endswith("Z") and "T" in d.get("stamp", "")
            await b.stop()

            # Delivered means removed: a second login gets nothing again.
            b2 = await cs.start(bob, "b2")
            await asyncio.sleep(1.0)
            assert b2.bodies() == []

    run(body(), 60)


def test_offline_not_delivered_before_presence(server, users):
    """Stored messages wait for the initial presence, not just for a bound session."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            a.send_message(mto=bob.jid, mbody="wait for presence", mtype="chat")
            await a.sync()
            await asyncio.sleep(0.5)
            b = await cs.start(bob, "b", presence=False)
            await b.get_roster(timeout=10)
            await asyncio.sleep(0.7)
            assert b.bodies() == []
            b.send_presence()
            assert await wait_for(lambda: b.bodies() == ["wait for presence"], 10)

    run(body(), 40)


def test_burst_of_1000_messages_complete_and_in_order(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    n = 1000

    async def body():
        async with Clients(server) as cs:
            b = await cs.start(bob, "b")
            a = await cs.start(alice, "a")
            for i in range(n):
                a.send_message(mto=bob.jid + "/b", mbody="burst %04d" % i, mtype="chat")
            ok = await wait_for(lambda: len(b.bodies()) >= n, 90, interval=0.1)
            got = b.bodies()
            assert ok, "only %d of %d messages arrived" % (len(got), n)
            await asyncio.sleep(0.3)
            got = b.bodies()
            assert len(got) == n, "duplicates: %d messages for %d sent" % (len(got), n)
            assert got == ["burst %04d" % i for i in range(n)], "out of order"

    run(body(), 120)


def test_offline_message_survives_kill_9(fresh_server):
    users = Users(fresh_server)
    alice, bob = users.new("alice"), users.new("bob")

    async def send():
        async with Clients(fresh_server) as cs:
            a = await cs.start(alice, "a")
            a.send_message(mto=bob.jid, mbody="survives a crash", mtype="chat")
            await a.sync()
            assert a.message_errors == []
            await asyncio.sleep(1.0)

    run(send(), 40)
    time.sleep(0.2)
    fresh_server.kill9()
    fresh_server.start()

    async def receive():
        async with Clients(fresh_server) as cs:
            b = await cs.start(bob, "b")
            assert await wait_for(lambda: b.bodies() == ["survives a crash"], 15), b.bodies()
            assert delay_of(b.messages[0]) is not None

    run(receive(), 40)


def test_offline_message_to_unknown_user_is_not_stored(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "a")
        s.send("<message to='ghost-offline@localhost' id='g1' type='chat'><body>x</body>"
               "</message>")
        err = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "g1")
        assert err.get("type") == "error"
    time.sleep(0.3)  # archive writes are group-committed within 50 ms
    # Creating that account later must not reveal the message.
    ghost = Account("ghost-offline", "ghost-offline@localhost", account_password("pw-ghost"))
    server.add_user(ghost.jid, ghost.password)

    async def body():
        async with Clients(server) as cs:
            g = await cs.start(ghost, "g")
            await asyncio.sleep(1.0)
            assert g.bodies() == []

    run(body(), 30)
    # Nor archived under that name (XEP-0313): the new account's archive is empty.
    with RawStream(server.c2s_port) as s:
        s.login(ghost.local, ghost.password, "m")
        s.send("<iq type='set' id='mq'><query xmlns='urn:xmpp:mam:2' queryid='gq'/></iq>")
        seen = []
        while True:
            e = s.next(timeout=10)
            if e.tag == q(NS_CLIENT, "iq") and e.get("id") == "mq":
                break
            seen.append(e)
        assert e.get("type") == "result"
        assert [x for x in seen if x.find("{urn:xmpp:mam:2}result") is not None] == []


def test_offline_more_than_one_batch_in_order(server, users):
    """More stored messages than one delivery batch: all arrive, once, in order."""
    alice, bob = users.new("alice"), users.new("bob")
    n = 1100

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            for i in range(n):
                a.send_message(mto=bob.jid, mbody="stored %04d" % i, mtype="chat")
            await a.sync()
            await asyncio.sleep(2.0)
            assert a.message_errors == []
            b = await cs.start(bob, "b")
            ok = await wait_for(lambda: len(b.bodies()) >= n, 60, interval=0.1)
            assert ok, "only %d of %d stored messages arrived" % (len(b.bodies()), n)
            await asyncio.sleep(0.5)
            got = b.bodies()
            assert len(got) == n, "duplicates: %d for %d" % (len(got), n)
            assert got == ["stored %04d" % i for i in range(n)]

    run(body(), 120)


def test_messages_acknowledged_with_stream_management_survive_kill_9(fresh_server):
    """XEP-0198: <a h='N'/> counts a message as handled only once it is stored, so killing
    the server right after the answer loses none of the N."""
    users = Users(fresh_server)
    alice, bob = users.new("alice"), users.new("bob")
    n = 2000
    with RawStream(fresh_server.c2s_port) as s:
        s.login(alice.local, alice.password, "a")
        s.send("<enable xmlns='urn:xmpp:sm:3'/>")
        s.expect(lambda e: e.tag == q(NS_SM, "enabled"))
        s.send("".join("<message to='%s' type='chat' id='k%d'><body>acked %04d</body></message>"
                       % (bob.jid, i, i) for i in range(n)) + "<r xmlns='%s'/>" % NS_SM)
        a = s.expect(lambda e: e.tag == q(NS_SM, "a"), timeout=60)
        fresh_server.kill9()
    assert a.get("h") == str(n)
    fresh_server.start()
    got = []
    with RawStream(fresh_server.c2s_port) as s:
        s.login(bob.local, bob.password, "b")
        s.send("<presence/>")
        deadline = time.time() + 60
        while len(got) < n and time.time() < deadline:
            m = s.expect(lambda e: e.tag == q(NS_CLIENT, "message"), timeout=30)
            got.append(m.find(q(NS_CLIENT, "body")).text)
    assert got == ["acked %04d" % i for i in range(n)]
    # And the sender's archive (XEP-0313, group-committed) has every one of them too.
    with RawStream(fresh_server.c2s_port) as s:
        s.login(alice.local, alice.password, "m")
        fin = s.iq("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>"
                   "<max>0</max></set></query>", type_="set")
        count = fin.find(".//{http://jabber.org/protocol/rsm}count")
        assert count is not None and count.text == str(n)


def test_live_messages_do_not_overtake_stored_ones_at_login(server, users):
    """Messages arriving while the stored ones are being delivered at login come after them:
    the recipient sees one ordered sequence."""
    import threading
    alice, fay = users.new("alice"), users.new("fay")
    n = 3000
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b:
        a.login(alice.local, alice.password, "snd")
        b.login(fay.local, fay.password, "rcv")

        def sender():
            for i in range(0, n, 20):
                a.send("".join("<message to='%s' type='chat'><body>%d</body></message>"
                               % (fay.jid, i + k) for k in range(20)))
                time.sleep(0.002)

        t = threading.Thread(target=sender)
        t.start()
        time.sleep(0.3)  # some are stored, then fay becomes available while more arrive
        b.send("<presence/>")
        t.join()
        got = []
        deadline = time.time() + 60
        while len(got) < n and time.time() < deadline:
            m = b.expect(lambda e: e.tag == q(NS_CLIENT, "message"), timeout=30)
            got.append(int(m.find(q(NS_CLIENT, "body")).text))
    assert got == list(range(n))
