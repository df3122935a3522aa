"""RFC 6121 with a real client: roster get/set/push/remove, the subscription state machine,
presence broadcast and probes, and message routing for bare and full JIDs."""
import asyncio

from raw_xmpp import NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run, wait_for

NS_ROSTER = "jabber:iq:roster"


async def subscribe_mutually(a, a_acc, b, b_acc):
    """a subscribes to b, b approves, then b subscribes to a and a approves."""
    a.send_presence(pto=b_acc.jid, ptype="subscribe")
    assert await wait_for(lambda: any(p["from"].bare == a_acc.jid for p in b.subscriptions), 10)
    b.send_presence(pto=a_acc.jid, ptype="subscribed")
    b.send_presence(pto=a_acc.jid, ptype="subscribe")
    assert await wait_for(lambda: any(p["from"].bare == b_acc.jid for p in a.subscriptions), 10)
    a.send_presence(pto=b_acc.jid, ptype="subscribed")
    await a.sync()
    await b.sync()


# ---- roster -----------------------------------------------------------------------------

def test_roster_set_get_push_remove(server, users):
    alice, carol = users.new("alice"), users.new("carol")

    async def body():
        async with Clients(server) as cs:
            a1 = await cs.start(alice, "one")
            a2 = await cs.start(alice, "two")
            assert await a1.roster_items() == {}

            iq = a1.Iq()
            iq["type"] = "set"
            iq["roster"]["items"] = {carol.jid: {"name": "Carol C", "groups": ["Friends", "Work"],
                                                 "subscription": "none"}}
            result = await iq.send(timeout=10)
            assert result["type"] == "result"

            items = await a1.roster_items()
            assert set(items) == {carol.jid}
            assert items[carol.jid]["name"] == "Carol C"
            assert sorted(items[carol.jid]["groups"]) == ["Friends", "Work"]
            assert items[carol.jid]["subscription"] == "none"

            # Both interested resources get the push (RFC 6121 section 2.1.6).
            for c in (a1, a2):
                assert await wait_for(lambda c=c: len(c.roster_pushes) >= 1, 10), \
                    "%s got no roster push" % c.boundjid
                push = c.roster_pushes[-1]
                pushed = push["roster"]["items"]
                assert carol.jid in {str(j) for j in pushed}
                assert push["from"].full in ("", alice.jid), "a push comes from the account"

            # Update the name: the push carries the new one.
            iq = a2.Iq()
            iq["type"] = "set"
            iq["roster"]["items"] = {carol.jid: {"name": "Caroline", "groups": ["Friends"]}}
            await iq.send(timeout=10)
            assert await wait_for(lambda: len(a1.roster_pushes) >= 2, 10)
            items = await a1.roster_items()
            assert items[carol.jid]["name"] == "Caroline"
            assert items[carol.jid]["groups"] == ["Friends"]

            # Remove it: a push with subscription='remove' and an empty roster afterwards.
            iq = a1.Iq()
            iq["type"] = "set"
            iq["roster"]["items"] = {carol.jid: {"subscription": "remove"}}
            await iq.send(timeout=10)
            assert await wait_for(lambda: len(a2.roster_pushes) >= 3, 10)
            last = a2.roster_pushes[-1]["roster"]["items"]
            assert [dict(v)["subscription"] for v in last.values()] == ["remove"]
            assert await a1.roster_items() == {}
            assert await a2.roster_items() == {}

    run(body(), 60)


def test_roster_of_another_user_is_forbidden(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "r")
        reply = s.iq("<query xmlns='%s'/>" % NS_ROSTER, to=bob.jid)
        assert reply.get("type") == "error"
        assert stanza_error_condition(reply) in ("forbidden", "service-unavailable")


def test_roster_set_with_duplicate_or_empty_groups_is_refused(server, users):
    """RFC 6121 section 2.3.3: duplicate groups are <bad-request/>, an empty one
    <not-acceptable/>; neither changes the roster."""
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "r")
        dup = s.iq("<query xmlns='%s'><item jid='x@localhost'><group>A</group><group>A</group>"
                   "</item></query>" % NS_ROSTER, type_="set")
        assert stanza_error_condition(dup) == "bad-request"
        empty = s.iq("<query xmlns='%s'><item jid='x@localhost'><group></group></item></query>"
                     % NS_ROSTER, type_="set")
        assert stanza_error_condition(empty) == "not-acceptable"
        roster = s.iq("<query xmlns='%s'/>" % NS_ROSTER)
        assert roster.find(".//{%s}item" % NS_ROSTER) is None


# ---- subscriptions and presence ----------------------------------------------------------

def test_subscribe_request_reaches_contact_and_is_pending(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            a.send_presence(pto=bob.jid, ptype="subscribe")
            assert await wait_for(lambda: len(b.subscriptions) >= 1, 10), "bob got no subscribe"
            sub = b.subscriptions[0]
            assert sub["type"] == "subscribe"
            assert sub["from"].full == alice.jid, "subscription stanzas carry the bare JID"
            # alice's roster: none + ask=subscribe (pending out), pushed and returned by get.
            assert await wait_for(lambda: any(
                alice_item(p, bob.jid).get("ask") == "subscribe" for p in a.roster_pushes), 10)
            items = await a.roster_items()
            assert items[bob.jid]["subscription"] == "none"
            assert items[bob.jid]["ask"] == "subscribe"

    run(body(), 40)


def alice_item(push, jid):
    """The item for `jid` in a roster push, as a dict ({} when absent)."""
    for j, v in push["roster"]["items"].items():
        if str(j) == jid:
            return dict(v)
    return {}


def test_approval_gives_to_and_from(server, users):
    """RFC 6121 sections 3.1.5/3.1.6: after approval the user has 'to', the contact 'from'."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            a.send_presence(pto=bob.jid, ptype="subscribe")
            assert await wait_for(lambda: len(b.subscriptions) >= 1, 10), "bob got no subscribe"
            b.send_presence(pto=alice.jid, ptype="subscribed")
            await b.sync()
            assert await wait_for(
                lambda: any(p["from"].full == bob.jid + "/b" and p["type"] == "available"
                            for p in a.presences), 10), \
                "after approval alice must receive bob's current presence"
            # Pushes: alice gets subscription='to', bob gets subscription='from'.
            assert await wait_for(lambda: any(alice_item(p, bob.jid).get("subscription") == "to"
                                              for p in a.roster_pushes), 10)
            assert await wait_for(lambda: any(alice_item(p, alice.jid).get("subscription")
                                              == "from" for p in b.roster_pushes), 10), \
                "bob got no roster push with subscription='from'"
            ai = await a.roster_items()
            assert ai[bob.jid]["subscription"] == "to"
            assert not ai[bob.jid]["ask"]
            bi = await b.roster_items()
            assert alice.jid in bi, \
                "bob's roster (get) lacks alice after he approved her: %r" % bi
            assert bi[alice.jid]["subscription"] == "from"

    run(body(), 40)


def test_mutual_subscription_both_and_presence_broadcast(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            await subscribe_mutually(a, alice, b, bob)
            await asyncio.sleep(0.2)
            ai = await a.roster_items()
            bi = await b.roster_items()
            assert ai[bob.jid]["subscription"] == "both"
            assert bi[alice.jid]["subscription"] == "both"

            # Presence broadcast: bob's status change, then bob going unavailable.
            n = len(a.presences)
            b.send_presence(pstatus="in a meeting", pshow="dnd")
            assert await wait_for(lambda: any(p["status"] == "in a meeting"
                                              and p["show"] == "dnd"
                                              for p in a.presences[n:]), 10)
            m = len(b.presences)
            a.send_presence(pstatus="alice is back")
            assert await wait_for(lambda: any(p["status"] == "alice is back"
                                              for p in b.presences[m:]), 10)
            b.send_presence(ptype="unavailable")
            assert await wait_for(
                lambda: any(p["from"].full == bob.jid + "/b" and p["type"] == "unavailable"
                            for p in a.presences[n:]), 10), "alice did not see bob go offline"

    run(body(), 60)


def test_probe_delivers_presence_of_online_contacts_at_login(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            await subscribe_mutually(a, alice, b, bob)
            b.send_presence(pstatus="here already")
            await b.sync()
            await a.stop()

            # alice logs in again: the server probes bob for her and she sees him.
            a2 = await cs.start(alice, "again")
            assert await wait_for(lambda: any(p["from"].full == bob.jid + "/b"
                                              and p["type"] == "available"
                                              for p in a2.presences), 10), \
                "no presence from an online contact at login"
            seen = [p for p in a2.presences if p["from"].full == bob.jid + "/b"]
            assert seen[-1]["status"] == "here already"
            # And bob sees alice's new resource come online.
            assert await wait_for(lambda: any(p["from"].full == alice.jid + "/again"
                                              and p["type"] == "available"
                                              for p in b.presences), 10)

    run(body(), 60)


def test_unavailable_on_disconnect_without_presence(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            await subscribe_mutually(a, alice, b, bob)
            await asyncio.sleep(0.2)
            n = len(a.presences)
            # Drop the TCP connection without a goodbye.
            b.transport.abort()
            assert await wait_for(lambda: any(p["from"].full == bob.jid + "/b"
                                              and p["type"] == "unavailable"
                                              for p in a.presences[n:]), 10)

    run(body(), 60)


def test_no_presence_without_subscription(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            b.send_presence(pstatus="private")
            await b.sync()
            await asyncio.sleep(0.5)
            assert not any(p["from"].bare == bob.jid for p in a.presences)

    run(body(), 30)


# ---- message routing --------------------------------------------------------------------

def test_message_to_bare_jid_goes_to_highest_priority(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            high = await cs.start(bob, "high", priority=5)
            low = await cs.start(bob, "low", priority=1)
            a = await cs.start(alice, "a")
            a.send_message(mto=bob.jid, mbody="to the bare jid", mtype="chat")
            assert await wait_for(lambda: high.bodies() == ["to the bare jid"], 10)
            await asyncio.sleep(0.3)
            assert low.bodies() == [], "the lower-priority resource must not get it"
            # Swap priorities: now 'low' is the best one.
            low.send_presence(ppriority=10)
            await low.sync()
            a.send_message(mto=bob.jid, mbody="second", mtype="chat")
            assert await wait_for(lambda: low.bodies() == ["second"], 10)
            await asyncio.sleep(0.3)
            assert high.bodies() == ["to the bare jid"]

    run(body(), 60)


def test_message_to_full_jid_goes_to_that_resource(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            high = await cs.start(bob, "high", priority=5)
            low = await cs.start(bob, "low", priority=1)
            a = await cs.start(alice, "a")
            a.send_message(mto=bob.jid + "/low", mbody="just for low", mtype="chat")
            assert await wait_for(lambda: low.bodies() == ["just for low"], 10)
            m = low.messages[0]
            assert m["from"].full == alice.jid + "/a", "the server stamps the full sender JID"
            await asyncio.sleep(0.3)
            assert high.bodies() == []

    run(body(), 60)


def test_message_to_unknown_local_user_is_service_unavailable(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            a.send_message(mto="no-such-user@localhost", mbody="hello?", mtype="chat")
            assert await wait_for(lambda: len(a.message_errors) >= 1, 10), "no error came back"
            err = a.message_errors[0]
            assert err["type"] == "error"
            assert err["from"].bare == "no-such-user@localhost"
            assert err["error"]["condition"] == "service-unavailable"

    run(body(), 30)


def test_message_to_unknown_domain_is_remote_server_not_found(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            a.send_message(mto="someone@unknown.example", mbody="hello?", mtype="chat")
            assert await wait_for(lambda: len(a.message_errors) >= 1, 10), "no error came back"
            err = a.message_errors[0]
            assert err["from"].bare == "someone@unknown.example"
            assert err["error"]["condition"] == "remote-server-not-found"

    run(body(), 30)


def test_message_error_stanza_raw(server, users):
    """The same two errors on the wire, with the error type RFC 6120 section 8.3 gives."""
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "raw")
        s.send("<message to='ghost@localhost' id='u1' type='chat'><body>x</body></message>")
        s.send("<message to='x@nowhere.example' id='u2' type='chat'><body>x</body></message>")
        e1 = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "u1")
        e2 = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("id") == "u2")
        assert e1.get("type") == "error" and stanza_error_condition(e1) == "service-unavailable"
        assert e1.find(q(NS_CLIENT, "error")).get("type") == "cancel"
        assert e2.get("type") == "error" and stanza_error_condition(e2) == \
            "remote-server-not-found"
        assert e2.find(q(NS_CLIENT, "error")).get("type") == "cancel"


def test_message_to_unavailable_full_jid_goes_to_bare(server, users):
    """RFC 6121 section 8.5.3.2.1: chat/normal to an offline resource is treated as bare."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            b = await cs.start(bob, "online")
            a = await cs.start(alice, "a")
            a.send_message(mto=bob.jid + "/gone", mbody="to a gone resource", mtype="chat")
            assert await wait_for(lambda: b.bodies() == ["to a gone resource"], 10)

    run(body(), 30)


def test_negative_priority_resource_gets_no_bare_messages(server, users):
    """RFC 6121 section 8.5.2.1.1: only negative priorities -> as if offline (stored)."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            neg = await cs.start(bob, "neg", priority=-1)
            a = await cs.start(alice, "a")
            a.send_message(mto=bob.jid, mbody="kept for later", mtype="chat")
            await a.sync()
            await asyncio.sleep(0.7)
            assert neg.bodies() == [], "a negative-priority resource must not get bare messages"
            assert a.message_errors == []
            # Full-JID messages still reach it.
            a.send_message(mto=bob.jid + "/neg", mbody="direct", mtype="chat")
            assert await wait_for(lambda: neg.bodies() == ["direct"], 10)
            pos = await cs.start(bob, "pos", priority=1)
            assert await wait_for(lambda: pos.bodies() == ["kept for later"], 10), pos.bodies()

    run(body(), 40)


def test_directed_presence_and_unavailable_on_disconnect(server, users):
    """RFC 6121 section 4.6: directed presence, and its end when the sender disconnects."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            b = await cs.start(bob, "b")
            a = await cs.start(alice, "a")
            a.send_presence(pto=bob.jid + "/b", pstatus="just for you")
            assert await wait_for(lambda: any(p["status"] == "just for you"
                                              for p in b.presences), 10)
            n = len(b.presences)
            await a.stop()
            assert await wait_for(lambda: any(p["from"].full == alice.jid + "/a"
                                              and p["type"] == "unavailable"
                                              for p in b.presences[n:]), 10), \
                "no unavailable presence to the directed-presence target"

    run(body(), 30)


def test_directed_presence_without_initial_presence_ends_on_disconnect(server, users):
    """RFC 6121 4.6.3: the target of a directed presence gets unavailable when the sender's
    session ends, even if the sender never sent broadcast presence; letter case in 'to' does
    not matter."""
    alice, bob = users.new("alice"), users.new("bob")
    with RawStream(server.c2s_port) as b:
        b.login(bob.local, bob.password, "b")
        b.send("<presence/>")
        with RawStream(server.c2s_port) as a:
            a.login(alice.local, alice.password, "a")
            a.send("<presence to='%s/b'><status>only you</status></presence>" % bob.jid.upper()
                   .replace("@LOCALHOST", "@localhost"))
            b.expect(lambda e: e.tag == q(NS_CLIENT, "presence")
                     and e.get("from") == alice.jid + "/a" and e.get("type") is None)
        gone = b.expect(lambda e: e.tag == q(NS_CLIENT, "presence")
                        and e.get("from") == alice.jid + "/a", timeout=10)
        assert gone.get("type") == "unavailable"


def test_replaced_session_ends_with_unavailable_presence(server, users):
    """RFC 6121 4.5.2: a session ended by a resource conflict sends unavailable to contacts."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "c1")
            await subscribe_mutually(a, alice, b, bob)
            await asyncio.sleep(0.2)
            n = len(a.presences)
            # A second login with the same resource and no presence replaces the first.
            with RawStream(server.c2s_port) as s:
                s.login(bob.local, bob.password, "c1")
                assert await wait_for(lambda: any(p["from"].full == bob.jid + "/c1"
                                                  and p["type"] == "unavailable"
                                                  for p in a.presences[n:]), 10)

    run(body(), 60)


def test_new_resource_receives_presence_of_the_users_other_resources(server, users):
    """RFC 6121 4.2.2: a user is subscribed to their own presence."""
    alice = users.new("alice")
    with RawStream(server.c2s_port) as r1:
        r1.login(alice.local, alice.password, "r1")
        r1.send("<presence><show>away</show></presence>")
        r1.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))  # its own broadcast
        with RawStream(server.c2s_port) as r2:
            r2.login(alice.local, alice.password, "r2")
            r2.send("<presence/>")
            other = r2.expect(lambda e: e.tag == q(NS_CLIENT, "presence")
                              and e.get("from") == alice.jid + "/r1", timeout=10)
            assert other.findtext(q(NS_CLIENT, "show")) == "away"


def test_subscribe_to_unknown_user_is_answered_unsubscribed(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(alice.local, alice.password, "a")
        s.iq("<query xmlns='%s'/>" % NS_ROSTER)
        s.send("<presence/>")
        s.send("<presence to='nobody-here@localhost' type='subscribe'/>")
        el = s.expect(lambda e: e.tag == q(NS_CLIENT, "presence")
                      and e.get("from") == "nobody-here@localhost")
        assert el.get("type") == "unsubscribed"


def test_subscription_request_to_offline_contact_shown_at_login(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            a.send_presence(pto=bob.jid, ptype="subscribe")
            await a.sync()
            await asyncio.sleep(0.5)
            b = await cs.start(bob, "b")
            assert await wait_for(lambda: any(p["from"].bare == alice.jid
                                              for p in b.subscriptions), 10), \
                "a pending subscription request must be shown at the next login"
            b.send_presence(pto=alice.jid, ptype="subscribed")
            await b.sync()
            assert await wait_for(lambda: any(p["from"].full == bob.jid + "/b"
                                              for p in a.presences), 10)
            items = await a.roster_items()
            assert items[bob.jid]["subscription"] == "to"

    run(body(), 40)


def test_roster_remove_cancels_both_subscriptions(server, users):
    """RFC 6121 section 2.5.2: removing an item sends unsubscribe and unsubscribed."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            await subscribe_mutually(a, alice, b, bob)
            await asyncio.sleep(0.2)
            n = len(b.presences)
            iq = a.Iq()
            iq["type"] = "set"
            iq["roster"]["items"] = {bob.jid: {"subscription": "remove"}}
            await iq.send(timeout=10)
            # bob's item drops to none (it stays in his roster), alice's is gone.
            assert await wait_for(lambda: any(alice_item(p, alice.jid).get("subscription")
                                              == "none" for p in b.roster_pushes), 10)
            bi = await b.roster_items()
            assert bi.get(alice.jid, {}).get("subscription", "none") == "none", bi
            assert await a.roster_items() == {}
            # No presence flows any more, in either direction.
            m = len(a.presences)
            b.send_presence(pstatus="unseen")
            await b.sync()
            await asyncio.sleep(0.5)
            assert not any(p["from"].bare == bob.jid for p in a.presences[m:])
            # RFC 6121 section 3.2.2: cancelling bob's subscription ('unsubscribed') makes
            # alice's server send bob unavailable presence from each of her resources.
            assert any(p["from"].full == alice.jid + "/a" and p["type"] == "unavailable"
                       for p in b.presences[n:]), \
                "bob never got <presence type='unavailable' from='%s/a'/>: he still sees " \
                "alice online after she removed him" % alice.jid

    run(body(), 40)


def test_unsubscribed_sends_unavailable_to_former_subscriber(server, users):
    """RFC 6121 section 3.2.2, client-initiated: bob cancels alice's subscription to him."""
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "a")
            b = await cs.start(bob, "b")
            await subscribe_mutually(a, alice, b, bob)
            await asyncio.sleep(0.2)
            n = len(a.presences)
            b.send_presence(pto=alice.jid, ptype="unsubscribed")
            assert await wait_for(lambda: any(p["from"].full == bob.jid + "/b"
                                              and p["type"] == "unavailable"
                                              for p in a.presences[n:]), 10)
            await asyncio.sleep(0.3)
            ai = await a.roster_items()
            bi = await b.roster_items()
            assert ai[bob.jid]["subscription"] == "from"
            assert bi[alice.jid]["subscription"] == "to"

    run(body(), 40)
