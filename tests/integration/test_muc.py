"""XEP-0045 multi-user chat with slixmpp and raw streams: joining, history, subject, messages,
private messages, configuration, members-only and moderated rooms, invitations, kick and ban,
room archives (XEP-0313), XEP-0410 self-ping, persistence, and the errors that change nothing."""
import asyncio
import time

from raw_xmpp import NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run, wait_for

MUC = "conference.localhost"
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = "http://jabber.org/protocol/muc#user"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_OWNER = "http://jabber.org/protocol/muc#owner"
NS_MAM = "urn:xmpp:mam:2"
NS_SID = "urn:xmpp:sid:0"
NS_INFO = "http://jabber.org/protocol/disco#info"
NS_ITEMS = "http://jabber.org/protocol/disco#items"
NS_DELAY = "urn:xmpp:delay"

_rooms = iter(range(10 ** 6))


def new_room(prefix="room"):
    return "%s%d-%d@%s" % (prefix, next(_rooms), int(time.time() * 1000) % 100000, MUC)


def login(server, account, resource="r"):
    s = RawStream(server.c2s_port)
    s.login(account.local, account.password, resource)
    s.send("<presence/>")
    s.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
    return s


def codes(presence):
    x = presence.find(q(NS_USER, "x"))
    return {int(c.get("code")) for c in x.findall(q(NS_USER, "status"))} if x is not None else set()


def join(s, room, nick, extra="", expect_ok=True):
    s.send("<presence to='%s/%s'><x xmlns='%s'>%s</x></presence>" % (room, nick, NS_MUC, extra))
    if not expect_ok:
        return s.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                        e.get("type") == "error")
    # Everything up to and including the subject message.
    got = []
    while True:
        el = s.next()
        got.append(el)
        if el.tag == q(NS_CLIENT, "presence") and el.get("type") == "error":
            raise AssertionError("join refused: %s" % stanza_error_condition(el))
        if el.tag == q(NS_CLIENT, "message") and el.find(q(NS_CLIENT, "subject")) is not None:
            return got


def self_presence(got, room, nick):
    for el in got:
        if el.tag == q(NS_CLIENT, "presence") and el.get("from") == "%s/%s" % (room, nick) \
                and 110 in codes(el):
            return el
    raise AssertionError("no self-presence in %r" % got)


def say(s, room, body):
    s.send("<message to='%s' type='groupchat'><body>%s</body></message>" % (room, body))


def groupchat(s, body=None):
    return s.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("type") == "groupchat"
                    and e.find(q(NS_CLIENT, "body")) is not None
                    and (body is None or e.find(q(NS_CLIENT, "body")).text == body))


def configure(s, room, fields):
    form = "".join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items())
    return s.iq("<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value>"
                "</field>%s</x></query>" % (NS_OWNER, form), type_="set", to=room)


def test_join_talk_history_and_subject(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    room = new_room()
    with login(server, alice) as a, login(server, bob) as b, login(server, carol) as c:
        got = join(a, room, "Alice")
        me = self_presence(got, room, "Alice")
        assert {110, 201} <= codes(me), "the creator learns the room was created"
        item = me.find("%s/%s" % (q(NS_USER, "x"), q(NS_USER, "item")))
        assert item.get("affiliation") == "owner" and item.get("role") == "moderator"
        got = join(b, room, "Bob")
        others = [e for e in got if e.tag == q(NS_CLIENT, "presence")
                  and e.get("from") == room + "/Alice"]
        assert others, "the joiner sees who is there"
        a.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and e.get("from") == room + "/Bob")
        # A subject from the owner, then messages to everyone with the room's stanza-id.
        a.send("<message to='%s' type='groupchat'><subject>Plans</subject></message>" % room)
        for i in range(3):
            say(a, room, "hello %d" % i)
        for s in (a, b):
            for i in range(3):
                m = groupchat(s, "hello %d" % i)
                assert m.get("from") == room + "/Alice"
                sid = m.find(q(NS_SID, "stanza-id"))
                assert sid is not None and sid.get("by") == room
        # Carol joins later: history with delays, then the subject.
        got = join(c, room, "Carol")
        hist = [e for e in got if e.tag == q(NS_CLIENT, "message")
                and e.find(q(NS_CLIENT, "body")) is not None]
        assert [h.find(q(NS_CLIENT, "body")).text for h in hist] == \
            ["hello 0", "hello 1", "hello 2"]
        assert all(h.find(q(NS_DELAY, "delay")) is not None for h in hist)
        assert got[-1].find(q(NS_CLIENT, "subject")).text == "Plans"
        assert got[-1].get("from") == room + "/Alice"
        # Carol asks for no history.
        with login(server, users.new("dave")) as d:
            got = join(d, room, "Dave", "<history maxstanzas='0'/>")
            assert not [e for e in got if e.find(q(NS_CLIENT, "body")) is not None]


def test_private_messages_nick_conflicts_and_outsiders(server, users):
    alice, bob, eve = users.new("alice"), users.new("bob"), users.new("eve")
    room = new_room()
    with login(server, alice) as a, login(server, bob) as b, login(server, eve) as e:
        join(a, room, "Alice")
        join(b, room, "Bob")
        a.send("<message to='%s/Bob' type='chat'><body>psst</body></message>" % room)
        m = b.expect(lambda x: x.tag == q(NS_CLIENT, "message") and x.get("type") == "chat")
        assert m.get("from") == room + "/Alice"
        assert m.find(q(NS_USER, "x")) is not None
        # Eve is not in the room: her messages are refused and reach nobody.
        e.send("<message to='%s' type='groupchat' id='e1'><body>spam</body></message>" % room)
        err = e.expect(lambda x: x.get("id") == "e1")
        assert stanza_error_condition(err) == "not-acceptable"
        err = join(e, room, "Bob", expect_ok=False)
        assert stanza_error_condition(err) == "conflict"
        e.send("<message to='%s/Alice' type='chat' id='e2'><body>psst</body></message>" % room)
        assert stanza_error_condition(e.expect(lambda x: x.get("id") == "e2")) == \
            "not-acceptable"
        e.send("<message to='nosuchroom@%s' type='groupchat' id='e3'><body>x</body></message>"
               % MUC)
        assert stanza_error_condition(e.expect(lambda x: x.get("id") == "e3")) == \
            "item-not-found"
        say(a, room, "still here")
        assert groupchat(b, "still here") is not None


def test_members_only_invitation_and_member_list(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    room = new_room("private")
    with login(server, alice) as a, login(server, bob) as b, login(server, carol) as c:
        join(a, room, "Alice")
        form = a.iq("<query xmlns='%s'/>" % NS_OWNER, to=room)
        fields = {f.get("var") for f in form.iter("{jabber:x:data}field")}
        assert {"muc#roomconfig_membersonly", "muc#roomconfig_persistentroom",
                "muc#roomconfig_whois", "muc#roomconfig_moderatedroom"} <= fields
        res = configure(a, room, {"muc#roomconfig_membersonly": "1",
                                  "muc#roomconfig_whois": "anyone"})
        assert res.get("type") == "result"
        notice = a.expect(lambda e: e.tag == q(NS_CLIENT, "message") and 104 in codes(e))
        assert 172 in codes(notice)
        err = join(b, room, "Bob", expect_ok=False)
        assert stanza_error_condition(err) == "registration-required"
        # The owner invites bob: he becomes a member and gets the invitation.
        a.send("<message to='%s'><x xmlns='%s'><invite to='%s'><reason>join us</reason>"
               "</invite></x></message>" % (room, NS_USER, bob.jid))
        inv = b.expect(lambda e: e.tag == q(NS_CLIENT, "message") and
                       e.find(q(NS_USER, "x")) is not None)
        invite = inv.find("%s/%s" % (q(NS_USER, "x"), q(NS_USER, "invite")))
        assert inv.get("from") == room and invite.get("from") == alice.jid
        join(b, room, "Bob")
        # Members see the member list of a non-anonymous room (OMEMO needs it); carol cannot.
        lst = b.iq("<query xmlns='%s'><item affiliation='member'/></query>" % NS_ADMIN, to=room)
        assert [i.get("jid") for i in lst.iter(q(NS_ADMIN, "item"))] == [bob.jid]
        owners = b.iq("<query xmlns='%s'><item affiliation='owner'/></query>" % NS_ADMIN, to=room)
        assert [i.get("jid") for i in owners.iter(q(NS_ADMIN, "item"))] == [alice.jid]
        assert stanza_error_condition(c.iq("<query xmlns='%s'><item affiliation='member'/>"
                                           "</query>" % NS_ADMIN, to=room)) == "forbidden"
        # A non-owner cannot reconfigure.
        assert stanza_error_condition(configure(b, room, {"muc#roomconfig_membersonly": "0"})) \
            == "forbidden"
        # Revoking membership removes bob (321).
        res = a.iq("<query xmlns='%s'><item affiliation='none' jid='%s'/></query>"
                   % (NS_ADMIN, bob.jid), type_="set", to=room)
        assert res.get("type") == "result"
        gone = b.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                        e.get("type") == "unavailable")
        assert {110, 321} <= codes(gone)


def test_moderation_voice_kick_and_ban(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    room = new_room("mod")
    with login(server, alice) as a, login(server, bob) as b, login(server, carol) as c:
        join(a, room, "Alice")
        configure(a, room, {"muc#roomconfig_moderatedroom": "1"})
        got = join(b, room, "Bob")
        me = self_presence(got, room, "Bob")
        assert me.find(".//" + q(NS_USER, "item")).get("role") == "visitor"
        b.send("<message to='%s' type='groupchat' id='v1'><body>may I?</body></message>" % room)
        assert stanza_error_condition(b.expect(lambda e: e.get("id") == "v1")) == "forbidden"
        # Voice granted: bob speaks.
        assert a.iq("<query xmlns='%s'><item nick='Bob' role='participant'/></query>" % NS_ADMIN,
                    type_="set", to=room).get("type") == "result"
        b.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                 e.find(".//" + q(NS_USER, "item")) is not None and
                 e.find(".//" + q(NS_USER, "item")).get("role") == "participant")
        say(b, room, "thanks")
        assert groupchat(a, "thanks") is not None
        # A participant cannot kick; the owner can (307).
        join(c, room, "Carol")
        assert stanza_error_condition(b.iq(
            "<query xmlns='%s'><item nick='Carol' role='none'/></query>" % NS_ADMIN,
            type_="set", to=room)) == "not-allowed"
        assert a.iq("<query xmlns='%s'><item nick='Carol' role='none'/></query>" % NS_ADMIN,
                    type_="set", to=room).get("type") == "result"
        kicked = c.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                          e.get("type") == "unavailable" and e.get("from") == room + "/Carol")
        assert {110, 307} <= codes(kicked)
        seen = b.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                        e.get("from") == room + "/Carol" and e.get("type") == "unavailable")
        assert 307 in codes(seen)
        # Ban bob (301); he cannot come back.
        assert a.iq("<query xmlns='%s'><item affiliation='outcast' jid='%s'/></query>"
                    % (NS_ADMIN, bob.jid), type_="set", to=room).get("type") == "result"
        banned = b.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                          e.get("type") == "unavailable" and e.get("from") == room + "/Bob")
        assert 301 in codes(banned)
        err = join(b, room, "Bob", expect_ok=False)
        assert stanza_error_condition(err) == "forbidden"
        # The last owner cannot step down.
        assert stanza_error_condition(a.iq(
            "<query xmlns='%s'><item affiliation='member' jid='%s'/></query>"
            % (NS_ADMIN, alice.jid), type_="set", to=room)) == "conflict"


def test_room_archive_self_ping_leave_and_destroy(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    room = new_room("arch")
    with login(server, alice) as a, login(server, bob) as b:
        join(a, room, "Alice")
        join(b, room, "Bob")
        for i in range(6):
            say(a, room, "m%d" % i)
        for i in range(6):
            groupchat(b, "m%d" % i)
        time.sleep(0.3)
        b.send("<iq type='set' id='mq' to='%s'><query xmlns='%s' queryid='x'>"
               "<set xmlns='http://jabber.org/protocol/rsm'><max>4</max><before/></set>"
               "</query></iq>" % (room, NS_MAM))
        results = []
        while True:
            el = b.next()
            if el.get("id") == "mq":
                fin = el
                break
            if el.find(q(NS_MAM, "result")) is not None:
                results.append(el)
        assert fin.get("type") == "result"
        bodies = [r.find(".//" + q(NS_CLIENT, "body")).text for r in results]
        assert bodies == ["m2", "m3", "m4", "m5"]
        assert all(r.get("from") == room for r in results)
        # XEP-0410: a joined client's self-ping succeeds; an outsider's does not.
        assert b.iq("<ping xmlns='urn:xmpp:ping'/>", to=room + "/Bob").get("type") == "result"
        with login(server, users.new("eve")) as e:
            assert stanza_error_condition(e.iq("<ping xmlns='urn:xmpp:ping'/>",
                                               to=room + "/Bob")) == "not-acceptable"
        # Bob leaves: self-presence 110, alice sees him go.
        b.send("<presence to='%s/Bob' type='unavailable'/>" % room)
        left = b.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                        e.get("type") == "unavailable")
        assert 110 in codes(left)
        a.expect(lambda e: e.get("from") == room + "/Bob" and e.get("type") == "unavailable")
        assert stanza_error_condition(b.iq("<ping xmlns='urn:xmpp:ping'/>",
                                           to=room + "/Alice")) == "not-acceptable"
        # The owner destroys the room.
        assert a.iq("<query xmlns='%s'><destroy><reason>done</reason></destroy></query>"
                    % NS_OWNER, type_="set", to=room).get("type") == "result"
        d = a.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and
                     e.find(".//" + q(NS_USER, "destroy")) is not None)
        assert d.get("type") == "unavailable"
        info = a.iq("<query xmlns='%s'/>" % NS_INFO, to=room)
        assert stanza_error_condition(info) == "item-not-found"


def test_empty_temporary_room_disappears_and_disco(server, users):
    alice = users.new("alice")
    room = new_room("temp")
    with login(server, alice) as a:
        items = a.iq("<query xmlns='%s'/>" % NS_ITEMS, to="localhost")
        assert MUC in [i.get("jid") for i in items.iter(q(NS_ITEMS, "item"))]
        svc = a.iq("<query xmlns='%s'/>" % NS_INFO, to=MUC)
        ident = svc.find(".//" + q(NS_INFO, "identity"))
        assert ident.get("category") == "conference"
        join(a, room, "Alice")
        configure(a, room, {"muc#roomconfig_roomname": "Temp Room"})
        listed = a.iq("<query xmlns='%s'/>" % NS_ITEMS, to=MUC)
        assert (room, "Temp Room") in [(i.get("jid"), i.get("name"))
                                       for i in listed.iter(q(NS_ITEMS, "item"))]
        info = a.iq("<query xmlns='%s'/>" % NS_INFO, to=room)
        feats = {f.get("var") for f in info.iter(q(NS_INFO, "feature"))}
        assert {NS_MUC, "muc_temporary", "muc_open", NS_MAM} <= feats
        a.send("<presence to='%s/Alice' type='unavailable'/>" % room)
        a.expect(lambda e: e.get("type") == "unavailable")
        assert stanza_error_condition(a.iq("<query xmlns='%s'/>" % NS_INFO, to=room)) == \
            "item-not-found"


def test_persistent_room_survives_restart(fresh_server):
    fresh_server.add_user("alice@localhost", "pw-a")
    fresh_server.add_user("bob@localhost", "pw-b")
    room = "keep@" + MUC
    with RawStream(fresh_server.c2s_port) as a:
        a.login("alice", "pw-a", "r")
        a.send("<presence/>")
        join(a, room, "Alice")
        configure(a, room, {"muc#roomconfig_persistentroom": "1",
                            "muc#roomconfig_membersonly": "1"})
        a.iq("<query xmlns='%s'><item affiliation='member' jid='bob@localhost'/></query>"
             % NS_ADMIN, type_="set", to=room)
        say(a, room, "before restart")
        groupchat(a, "before restart")
    time.sleep(0.3)
    fresh_server.stop()
    fresh_server.start()
    with RawStream(fresh_server.c2s_port) as b:
        b.login("bob", "pw-b", "r")
        b.send("<presence/>")
        got = join(b, room, "Bob")
        bodies = [e.find(q(NS_CLIENT, "body")).text for e in got
                  if e.find(q(NS_CLIENT, "body")) is not None]
        assert bodies == ["before restart"]
        info = b.iq("<query xmlns='%s'/>" % NS_INFO, to=room)
        feats = {f.get("var") for f in info.iter(q(NS_INFO, "feature"))}
        assert {"muc_persistent", "muc_membersonly"} <= feats


def test_slixmpp_groupchat_and_fan_out_to_many_occupants(server, users):
    accounts = [users.new("crowd") for _ in range(30)]
    room = new_room("crowd")

    async def body():
        async with Clients(server) as cs:
            clients = []
            for acc in accounts:
                c = cs.make(acc, "r")
                c.register_plugin("xep_0045")
                await c.start()
                clients.append(c)
            for i, c in enumerate(clients):
                await c["xep_0045"].join_muc_wait(room, "n%d" % i, maxstanzas=0, timeout=15)
            got = {i: [] for i in range(len(clients))}
            for i, c in enumerate(clients):
                c.add_event_handler("groupchat_message",
                                    lambda m, i=i: got[i].append(m["body"]) if m["body"] else None)
            for k in range(5):
                clients[k].send_message(mto=room, mbody="from %d" % k, mtype="groupchat")
            assert await wait_for(lambda: all(len(v) == 5 for v in got.values()), 20), \
                {i: len(v) for i, v in got.items()}
            for v in got.values():
                assert sorted(v) == ["from %d" % k for k in range(5)]

    run(body(), 90)
