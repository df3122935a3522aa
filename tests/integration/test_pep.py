"""XEP-0163 personal eventing with XEP-0115 caps-driven notifications: slixmpp for the real-
client path, raw streams for the exact protocol and the errors."""
import asyncio
import base64
import hashlib

import pytest

from raw_xmpp import NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run, wait_for

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_EVENT = "http://jabber.org/protocol/pubsub#event"
NS_OWNER = "http://jabber.org/protocol/pubsub#owner"
NS_ERRORS = "http://jabber.org/protocol/pubsub#errors"
NS_CAPS = "http://jabber.org/protocol/caps"
NS_INFO = "http://jabber.org/protocol/disco#info"
DEVICES = "urn:xmpp:omemo:2:devices"


def caps_ver(features):
    s = "client/pc//test<" + "".join(f + "<" for f in sorted(features))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


def available_with_caps(s, features, expect_query=None):
    """Sends presence with caps and answers the server's disco#info query for them. A 'ver'
    the server has verified before is not asked again: expect_query=True/False asserts which
    case this is, None accepts both."""
    ver = caps_ver(features)
    s.send("<presence><c xmlns='%s' hash='sha-1' node='https://test.example' ver='%s'/>"
           "</presence>" % (NS_CAPS, ver))
    # Everything the server sends up to a ping answer: the caps query comes before it if at all.
    s.send("<iq type='get' id='caps-ping' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    seen = []
    while True:
        el = s.next()
        if el.get("id") == "caps-ping":
            break
        seen.append(el)
    queries = [e for e in seen if e.tag == q(NS_CLIENT, "iq") and e.get("type") == "get"
               and e.find(q(NS_INFO, "query")) is not None]
    s.queue[:0] = [e for e in seen if e not in queries]
    if expect_query is not None:
        assert bool(queries) == expect_query, \
            "caps query expected" if expect_query else "a verified ver must not be queried again"
    if not queries:
        return
    query = queries[0]
    node = query.find(q(NS_INFO, "query")).get("node")
    assert node == "https://test.example#" + ver
    feats = "".join("<feature var='%s'/>" % f for f in features)
    s.send("<iq type='result' id='%s' to='%s'><query xmlns='%s' node='%s'>"
           "<identity category='client' type='pc' name='test'/>%s</query></iq>"
           % (query.get("id"), query.get("from"), NS_INFO, node, feats))
    # The server has taken the answer in once a later ping on this stream comes back.
    s.send("<iq type='get' id='caps-done' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    seen = []
    while True:
        el = s.next()
        if el.get("id") == "caps-done":
            break
        seen.append(el)
    s.queue[:0] = seen


def publish(s, node, item_id, payload, options=None):
    opts = ""
    if options:
        opts = ("<publish-options><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE' type='hidden'><value>%s#publish-options</value></field>"
                % NS_PUBSUB)
        for k, v in options.items():
            opts += "<field var='pubsub#%s'><value>%s</value></field>" % (k, v)
        opts += "</x></publish-options>"
    return s.iq("<pubsub xmlns='%s'><publish node='%s'><item id='%s'>%s</item></publish>%s"
                "</pubsub>" % (NS_PUBSUB, node, item_id, payload, opts), type_="set")


def events(s, node, timeout=5):
    m = s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                 e.find(q(NS_EVENT, "event")) is not None, timeout=timeout)
    items = m.find("%s/%s" % (q(NS_EVENT, "event"), q(NS_EVENT, "items")))
    assert items is not None and items.get("node") == node, m
    return m, items


def befriend(server, a_acc, b_acc):
    async def body():
        async with Clients(server) as cs:
            a = await cs.start(a_acc, "setup")
            b = await cs.start(b_acc, "setup")
            from test_im import subscribe_mutually
            await subscribe_mutually(a, a_acc, b, b_acc)
    run(body(), 30)


def test_publish_notifies_contacts_with_notify_caps_and_items_can_be_read(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    befriend(server, alice, bob)
    payload = "<devices xmlns='%s'><device id='12345'/></devices>" % DEVICES
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b, \
            RawStream(server.c2s_port) as c:
        a.login(alice.local, alice.password, "phone")
        b.login(bob.local, bob.password, "desk")
        c.login(carol.local, carol.password, "desk")
        available_with_caps(a, [NS_INFO, DEVICES + "+notify"])
        available_with_caps(b, [NS_INFO, DEVICES + "+notify"], expect_query=False)
        available_with_caps(c, [NS_INFO, DEVICES + "+notify"], expect_query=False)
        b.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        res = publish(a, DEVICES, "current", payload, {"access_model": "open", "max_items": "max"})
        assert res.get("type") == "result", res
        assert res.find(".//%s" % q(NS_PUBSUB, "item")).get("id") == "current"
        # Bob (a contact) and alice's own session are notified; carol (no subscription) is not.
        for s in (a, b):
            m, items = events(s, DEVICES)
            assert m.get("from") == alice.jid and m.get("type") == "headline"
            item = items.find(q(NS_EVENT, "item"))
            assert item.get("id") == "current"
            assert item.find("{%s}devices/{%s}device" % (DEVICES, DEVICES)).get("id") == "12345"
        try:
            el = c.next(timeout=1.0)
            assert el.find(q(NS_EVENT, "event")) is None, "carol is not subscribed"
        except TimeoutError:
            pass
        # Open node: carol may still fetch the items.
        got = c.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, DEVICES),
                   to=alice.jid)
        assert got.get("type") == "result"
        assert [i.get("id") for i in got.iter(q(NS_PUBSUB, "item"))] == ["current"]


def test_presence_access_model_and_errors(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    befriend(server, alice, bob)
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as c, \
            RawStream(server.c2s_port) as b:
        a.login(alice.local, alice.password, "r")
        b.login(bob.local, bob.password, "r")
        c.login(carol.local, carol.password, "r")
        node = "urn:xmpp:avatar:metadata"
        assert publish(a, node, "h1", "<metadata xmlns='%s'/>" % node).get("type") == "result"
        ok = b.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, node),
                  to=alice.jid)
        assert ok.get("type") == "result"
        denied = c.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, node),
                      to=alice.jid)
        assert stanza_error_condition(denied) == "not-authorized"
        assert denied.find(".//{%s}presence-subscription-required" % NS_ERRORS) is not None
        # Publishing with options the node does not have: precondition-not-met, unchanged.
        conflict = publish(a, node, "h2", "<metadata xmlns='%s'/>" % node,
                           {"access_model": "open"})
        assert stanza_error_condition(conflict) == "conflict"
        assert conflict.find(".//{%s}precondition-not-met" % NS_ERRORS) is not None
        # Someone else's PEP, a missing node, a missing payload.
        assert stanza_error_condition(c.iq(
            "<pubsub xmlns='%s'><publish node='x'><item><x xmlns='y'/></item></publish></pubsub>"
            % NS_PUBSUB, type_="set", to=alice.jid)) == "forbidden"
        assert stanza_error_condition(a.iq(
            "<pubsub xmlns='%s'><items node='nope'/></pubsub>" % NS_PUBSUB)) == "item-not-found"
        empty = a.iq("<pubsub xmlns='%s'><publish node='x'><item id='1'/></publish></pubsub>"
                     % NS_PUBSUB, type_="set")
        assert stanza_error_condition(empty) == "bad-request"
        assert empty.find(".//{%s}payload-required" % NS_ERRORS) is not None
        # The owner changes the access model through node configuration.
        cfg = a.iq("<pubsub xmlns='%s'><configure node='%s'/></pubsub>" % (NS_OWNER, node))
        fields = {f.get("var"): f.find("{jabber:x:data}value").text
                  for f in cfg.iter("{jabber:x:data}field")
                  if f.find("{jabber:x:data}value") is not None}
        assert fields["pubsub#access_model"] == "presence"
        done = a.iq("<pubsub xmlns='%s'><configure node='%s'><x xmlns='jabber:x:data' "
                    "type='submit'><field var='pubsub#access_model'><value>open</value></field>"
                    "</x></configure></pubsub>" % (NS_OWNER, node), type_="set")
        assert done.get("type") == "result"
        assert c.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, node),
                    to=alice.jid).get("type") == "result"


def test_last_item_is_sent_when_a_contact_comes_online_and_retract_delete(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    befriend(server, alice, bob)
    node = "urn:xmpp:bookmarks:1"
    with RawStream(server.c2s_port) as a:
        a.login(alice.local, alice.password, "r")
        for i in range(3):
            publish(a, node, "room%d@conference.localhost" % i,
                    "<conference xmlns='%s' name='r%d'/>" % (node, i), {"max_items": "max"})
        with RawStream(server.c2s_port) as b:
            b.login(bob.local, bob.password, "r")
            available_with_caps(b, [NS_INFO, node + "+notify"])
            _, items = events(b, node)
            assert [i.get("id") for i in items.findall(q(NS_EVENT, "item"))] == \
                ["room2@conference.localhost"], "only the last item on login"
            available_with_caps(a, [NS_INFO, node + "+notify"], expect_query=False)
            events(a, node)  # alice's own last item
            r = a.iq("<pubsub xmlns='%s'><retract node='%s' notify='true'><item id='%s'/>"
                     "</retract></pubsub>" % (NS_PUBSUB, node, "room1@conference.localhost"),
                     type_="set")
            assert r.get("type") == "result"
            _, items = events(b, node)
            assert items.find(q(NS_EVENT, "retract")).get("id") == "room1@conference.localhost"
            got = a.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, node))
            assert [i.get("id") for i in got.iter(q(NS_PUBSUB, "item"))] == \
                ["room0@conference.localhost", "room2@conference.localhost"]
            d = a.iq("<pubsub xmlns='%s'><delete node='%s'/></pubsub>" % (NS_OWNER, node),
                     type_="set")
            assert d.get("type") == "result"
            m = b.expect(lambda e: e.find(".//" + q(NS_EVENT, "delete")) is not None)
            assert m.find(".//" + q(NS_EVENT, "delete")).get("node") == node
            assert stanza_error_condition(a.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>"
                                               % (NS_PUBSUB, node))) == "item-not-found"


def test_slixmpp_pep_with_caps_interest(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    befriend(server, alice, bob)
    node = "urn:xmpp:tune"

    async def body():
        async with Clients(server) as cs:
            b = cs.make(bob, "listener")
            for p in ("xep_0115", "xep_0163", "xep_0060"):
                b.register_plugin(p)
            b["xep_0163"].add_interest(node)
            got = []
            b.add_event_handler("pubsub_publish", got.append)
            await b.start()
            a = cs.make(alice, "pub")
            for p in ("xep_0115", "xep_0163", "xep_0060"):
                a.register_plugin(p)
            await a.start()
            await asyncio.sleep(0.5)  # the server learns bob's caps
            from slixmpp.xmlstream import ET
            payload = ET.fromstring("<tune xmlns='%s'><artist>Rampart</artist></tune>" % node)
            await a["xep_0060"].publish(alice.jid, node, id="t1", payload=payload)
            assert await wait_for(lambda: got, 10), "bob received the tune notification"
            assert got[0]["pubsub_event"]["items"]["item"]["id"] == "t1"
            info = await a["xep_0030"].get_info(jid=alice.jid, local=False)
            ids = [(i[0], i[1]) for i in info["disco_info"]["identities"]]
            assert ("pubsub", "pep") in ids

    run(body(), 40)


def test_whitelist_node_is_private_to_its_owner(server, users):
    """XEP-0223: private data in PEP (e.g. XEP-0402 bookmarks) with the whitelist model."""
    alice, bob = users.new("alice"), users.new("bob")
    befriend(server, alice, bob)
    node = "urn:xmpp:bookmarks:1"
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b:
        a.login(alice.local, alice.password, "r")
        b.login(bob.local, bob.password, "r")
        available_with_caps(b, [NS_INFO, node + "+notify"])
        res = publish(a, node, "room@conference.localhost",
                      "<conference xmlns='%s' name='secret plans' autojoin='true'/>" % node,
                      {"access_model": "whitelist", "persist_items": "true", "max_items": "max"})
        assert res.get("type") == "result"
        mine = a.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, node))
        assert [i.get("id") for i in mine.iter(q(NS_PUBSUB, "item"))] == \
            ["room@conference.localhost"]
        denied = b.iq("<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, node),
                      to=alice.jid)
        assert stanza_error_condition(denied) == "not-authorized"
        assert denied.find(".//{%s}closed-node" % NS_ERRORS) is not None
        # Even a subscribed contact with +notify heard nothing about it.
        b.send("<iq type='get' id='wl-ping' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        seen = []
        while True:
            el = b.next()
            if el.get("id") == "wl-ping":
                break
            seen.append(el)
        assert not [e for e in seen if e.find(".//" + q(NS_EVENT, "event")) is not None]


def test_blocked_contact_gets_no_notifications(server, users):
    """XEP-0191: once bob blocks alice, alice's PEP events no longer reach him (live and as
    last items at his next login); alice's own sessions still see them."""
    alice, bob = users.new("alice"), users.new("bob")
    befriend(server, alice, bob)
    node = "urn:xmpp:avatar:metadata"
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b:
        a.login(alice.local, alice.password, "phone")
        b.login(bob.local, bob.password, "desk")
        available_with_caps(a, [NS_INFO, node + "+notify"])
        available_with_caps(b, [NS_INFO, node + "+notify"], expect_query=False)
        assert b.iq("<block xmlns='urn:xmpp:blocking'><item jid='%s'/></block>" % alice.jid,
                    type_="set").get("type") == "result"
        assert publish(a, node, "h1", "<metadata xmlns='%s'/>" % node).get("type") == "result"
        events(a, node)  # the owner's own session is notified
        with pytest.raises(TimeoutError):
            while True:
                el = b.next(timeout=1.5)
                assert el.find(q(NS_EVENT, "event")) is None, "a blocked contact's event arrived"
    with RawStream(server.c2s_port) as b2:
        b2.login(bob.local, bob.password, "laptop")
        available_with_caps(b2, [NS_INFO, node + "+notify"], expect_query=False)
        with pytest.raises(TimeoutError):
            while True:
                el = b2.next(timeout=1.5)
                assert el.find(q(NS_EVENT, "event")) is None, "last item of a blocked contact"
