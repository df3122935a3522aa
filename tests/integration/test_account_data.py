"""Per-account data with a real client: XEP-0049 private storage, XEP-0054 vCards and
XEP-0191 blocking, including the errors for requests that must change nothing."""
import asyncio

from raw_xmpp import NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run, wait_for
from slixmpp.xmlstream import ET

NS_PRIVATE = "jabber:iq:private"
NS_VCARD = "vcard-temp"
NS_BLOCKING = "urn:xmpp:blocking"


# ---- XEP-0049 ----------------------------------------------------------------------------

def test_private_storage_round_trip_with_slixmpp(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            c = cs.make(alice, "r")
            c.register_plugin("xep_0049")
            c.register_plugin("xep_0048")
            await c.start()
            bookmarks = c["xep_0048"].stanza.Bookmarks()
            bookmarks.add_conference("room@conference.localhost", "alice", name="Room",
                                     autojoin=True)
            await c["xep_0049"].store(bookmarks)
            got = await c["xep_0049"].retrieve("bookmarks")
            confs = got["private"]["bookmarks"]["conferences"]
            assert [str(x["jid"]) for x in confs] == ["room@conference.localhost"]
            assert confs[0]["nick"] == "alice"

    run(body(), 30)


def test_private_storage_empty_reserved_and_foreign(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    with RawStream(server.c2s_port) as s:
        s.login(alice.local, alice.password, "r")
        empty = s.iq("<query xmlns='%s'><prefs xmlns='ex:prefs'/></query>" % NS_PRIVATE)
        assert empty.get("type") == "result"
        assert empty.find("%s/{ex:prefs}prefs" % q(NS_PRIVATE, "query")) is not None
        stored = s.iq("<query xmlns='%s'><prefs xmlns='ex:prefs'><a>1 &amp; 2</a></prefs>"
                      "</query>" % NS_PRIVATE, type_="set")
        assert stored.get("type") == "result"
        got = s.iq("<query xmlns='%s'><prefs xmlns='ex:prefs'/></query>" % NS_PRIVATE)
        assert got.find(".//{ex:prefs}a").text == "1 & 2"
        reserved = s.iq("<query xmlns='%s'><x xmlns='jabber:client'/></query>" % NS_PRIVATE,
                        type_="set")
        assert stanza_error_condition(reserved) == "not-acceptable"
        foreign = s.iq("<query xmlns='%s'><prefs xmlns='ex:prefs'/></query>" % NS_PRIVATE,
                       to=bob.jid)
        assert stanza_error_condition(foreign) == "forbidden"
    with RawStream(server.c2s_port) as s:
        s.login(bob.local, bob.password, "r")
        got = s.iq("<query xmlns='%s'><prefs xmlns='ex:prefs'/></query>" % NS_PRIVATE)
        assert got.find(".//{ex:prefs}a") is None, "bob does not see alice's data"


# ---- XEP-0054 ----------------------------------------------------------------------------

def test_vcard_publish_and_read_by_others(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = cs.make(alice, "r")
            a.register_plugin("xep_0054")
            await a.start()
            b = cs.make(bob, "r")
            b.register_plugin("xep_0054")
            await b.start()
            card = a["xep_0054"].make_vcard()
            card["FN"] = "Alice Example"
            card["NICKNAME"] = "al"
            await a["xep_0054"].publish_vcard(card)
            got = await b["xep_0054"].get_vcard(alice.jid, local=False, cached=False)
            assert got["vcard_temp"]["FN"] == "Alice Example"
            none = await a["xep_0054"].get_vcard(bob.jid, local=False, cached=False)
            assert none["vcard_temp"]["FN"] == ""

    run(body(), 30)


def test_vcard_errors(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    with RawStream(server.c2s_port) as s:
        s.login(alice.local, alice.password, "r")
        forbidden = s.iq("<vCard xmlns='%s'><FN>Evil</FN></vCard>" % NS_VCARD, type_="set",
                         to=bob.jid)
        assert stanza_error_condition(forbidden) == "forbidden"
        unknown = s.iq("<vCard xmlns='%s'/>" % NS_VCARD, to="nobody-here@localhost")
        assert stanza_error_condition(unknown) == "service-unavailable"
    with RawStream(server.c2s_port) as s:
        s.login(bob.local, bob.password, "r")
        mine = s.iq("<vCard xmlns='%s'/>" % NS_VCARD)
        assert mine.find(".//{vcard-temp}FN") is None, "the forbidden set changed nothing"


# ---- XEP-0191 ----------------------------------------------------------------------------

def test_blocking_in_both_directions_with_pushes(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a1 = cs.make(alice, "one")
            a1.register_plugin("xep_0191")
            await a1.start()
            a2 = cs.make(alice, "two")
            a2.register_plugin("xep_0191")
            await a2.start()
            b = await cs.start(bob, "r")
            assert (await a2["xep_0191"].get_blocked())["blocklist"]["items"] == set()
            pushes = []
            a2.add_event_handler("blocked_jids", pushes.append)  # unused by some versions
            await a1["xep_0191"].block([bob.jid])
            got = await a1["xep_0191"].get_blocked()
            assert {str(j) for j in got["blocklist"]["items"]} == {bob.jid}

            # Bob's message is refused with service-unavailable and never reaches alice.
            b.send_message(mto=alice.jid, mbody="are you there?", mtype="chat")
            assert await wait_for(lambda: len(b.message_errors) == 1)
            assert b.message_errors[0]["error"]["condition"] == "service-unavailable"
            # Alice's message to bob is refused with not-acceptable + <blocked/>.
            a1.send_message(mto=bob.jid, mbody="hidden", mtype="chat")
            assert await wait_for(lambda: len(a1.message_errors) == 1)
            err = a1.message_errors[0]
            assert err["error"]["condition"] == "not-acceptable"
            assert err.xml.find(".//{urn:xmpp:blocking:errors}blocked") is not None
            await b.sync()
            assert "hidden" not in b.bodies()
            assert "are you there?" not in a1.bodies() + a2.bodies()

            await a1["xep_0191"].unblock([bob.jid])
            b.send_message(mto=alice.jid, mbody="now?", mtype="chat")
            assert await wait_for(lambda: "now?" in a1.bodies() or "now?" in a2.bodies())

    run(body(), 60)


def test_block_push_reaches_resources_that_asked(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    with RawStream(server.c2s_port) as one, RawStream(server.c2s_port) as two:
        one.login(alice.local, alice.password, "one")
        two.login(alice.local, alice.password, "two")
        got = two.iq("<blocklist xmlns='%s'/>" % NS_BLOCKING)
        assert got.find(q(NS_BLOCKING, "blocklist")) is not None
        reply = one.iq("<block xmlns='%s'><item jid='%s'/><item jid='%s'/></block>"
                       % (NS_BLOCKING, bob.jid, carol.jid), type_="set")
        assert reply.get("type") == "result"
        push = two.expect(lambda e: e.tag == q(NS_CLIENT, "iq") and e.get("type") == "set")
        assert {i.get("jid") for i in push.iter(q(NS_BLOCKING, "item"))} == {bob.jid, carol.jid}
        two.send("<iq type='result' id='%s'/>" % push.get("id"))
        # Unblock everything: a push with an empty <unblock/>.
        reply = one.iq("<unblock xmlns='%s'/>" % NS_BLOCKING, type_="set")
        assert reply.get("type") == "result"
        push = two.expect(lambda e: e.tag == q(NS_CLIENT, "iq") and e.get("type") == "set")
        assert push.find(q(NS_BLOCKING, "unblock")) is not None
        assert one.iq("<blocklist xmlns='%s'/>" % NS_BLOCKING).find(
            q(NS_BLOCKING, "blocklist")).findall(q(NS_BLOCKING, "item")) == []
        # Malformed commands change nothing.
        assert stanza_error_condition(one.iq("<block xmlns='%s'/>" % NS_BLOCKING,
                                             type_="set")) == "bad-request"
        assert stanza_error_condition(one.iq(
            "<block xmlns='%s'><item jid='@bad@'/></block>" % NS_BLOCKING,
            type_="set")) == "jid-malformed"


def test_block_sends_unavailable_and_hides_presence(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "r")
            b = await cs.start(bob, "r")
            from test_im import subscribe_mutually
            await subscribe_mutually(a, alice, b, bob)
            await asyncio.sleep(0.2)
            b.presences.clear()
            iq = a.Iq()
            iq["type"] = "set"
            iq.append(ET.fromstring("<block xmlns='%s'><item jid='%s'/></block>"
                                    % (NS_BLOCKING, bob.jid)))
            await iq.send(timeout=10)
            assert await wait_for(lambda: any(p["type"] == "unavailable"
                                              and p["from"].bare == alice.jid
                                              for p in b.presences))
            # Bob's presence updates no longer reach alice.
            a.presences.clear()
            b.send_presence(pstatus="hello?")
            await b.sync()
            await a.sync()
            assert not any(p["from"].bare == bob.jid for p in a.presences)

    run(body(), 60)
