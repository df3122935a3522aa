"""XEP-0045 multi-user chat with slixmpp and raw streams: joining, history, subject, messages,
private messages, configuration, members-only and moderated rooms, invitations, kick and ban,
room archives (XEP-0313), XEP-0410 self-ping, persistence, and the errors that change nothing."""
import asyncio
import time

from raw_xmpp import account_password, NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run, wait_for

MUC = "conference.localhost"
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = "http://jabber.org/protocol/muc#user"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_OWNER = "http://jabber.org/protocol/muc#owner"
NS_CONFIG = "http://jabber.org/protocol/muc#roomconfig"
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


def mam(s, room, with_=None, timeout=None):
    """A room archive query; returns (forwarded messages, the IQ reply)."""
    form = ""
    if with_ is not None:
        form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                "<value>%s</value></field><field var='with'><value>%s</value></field></x>"
                % (NS_MAM, with_))
    qid = "q%d" % next(_rooms)
    s.send("<iq type='set' id='%s' to='%s'><query xmlns='%s' queryid='%s'>%s</query></iq>"
           % (qid, room, NS_MAM, qid, form))
    results = []
    while True:
        el = s.next(timeout)
        if el.tag == q(NS_CLIENT, "iq") and el.get("id") == qid:
            return results, el
        r = el.find(q(NS_MAM, "result"))
        if r is not None and r.get("queryid") == qid:
            results.append(r.find(".//" + q(NS_CLIENT, "message")))


def bodies_of(messages):
    return [m.find(q(NS_CLIENT, "body")).text for m in messages]


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
        # A participant lacks the privilege to kick (section 8: forbidden); the owner can (307).
        join(c, room, "Carol")
        assert stanza_error_condition(b.iq(
            "<query xmlns='%s'><item nick='Carol' role='none'/></query>" % NS_ADMIN,
            type_="set", to=room)) == "forbidden"
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
    fresh_server.add_user("alice@localhost", account_password("pw-a"))
    fresh_server.add_user("bob@localhost", account_password("pw-b"))
    room = "keep@" + MUC
    with RawStream(fresh_server.c2s_port) as a:
        a.login("alice", account_password("pw-a"), "r")
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
        b.login("bob", account_password("pw-b"), "r")
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


def test_temporary_room_archive_goes_with_the_room(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    room = new_room("gone")
    with login(server, alice) as a, login(server, bob) as b:
        join(a, room, "Alice")
        say(a, room, "for the first room only")
        groupchat(a, "for the first room only")
        time.sleep(0.3)
        msgs, fin = mam(a, room)
        assert fin.get("type") == "result" and bodies_of(msgs) == ["for the first room only"]
        a.send("<presence to='%s/Alice' type='unavailable'/>" % room)
        a.expect(lambda e: e.get("type") == "unavailable")
        time.sleep(0.3)
        # Bob creates a room of the same name: a new room, with nothing in its archive.
        got = join(b, room, "Bob")
        assert 201 in codes(self_presence(got, room, "Bob"))
        time.sleep(0.2)
        msgs, fin = mam(b, room)
        assert fin.get("type") == "result"
        assert msgs == [], "the old room's messages: %r" % bodies_of(msgs)


def test_password_room_archive_is_for_those_who_may_enter(server, users):
    alice, bob, eve = users.new("alice"), users.new("bob"), users.new("eve")
    room = new_room("locked")
    with login(server, alice) as a, login(server, bob) as b, login(server, eve) as e:
        join(a, room, "Alice")
        assert configure(a, room, {"muc#roomconfig_passwordprotectedroom": "1",
                                   "muc#roomconfig_roomsecret": "s3cret"}).get("type") == "result"
        join(b, room, "Bob", "<password>s3cret</password>")
        say(a, room, "behind the password")
        groupchat(b, "behind the password")
        time.sleep(0.3)
        # Eve does not know the password: she may not read what is said inside.
        msgs, fin = mam(e, room)
        assert stanza_error_condition(fin) == "forbidden" and msgs == []
        # Occupants (who gave the password) and the owner may.
        for s in (a, b):
            msgs, fin = mam(s, room)
            assert fin.get("type") == "result" and bodies_of(msgs) == ["behind the password"]


def test_semi_anonymous_archive_with_filter_hides_real_jids(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    room = new_room("semi")
    with login(server, alice) as a, login(server, bob) as b:
        join(a, room, "Alice")  # rooms are semi-anonymous by default
        join(b, room, "Bob")
        say(a, room, "from alice")
        groupchat(b, "from alice")
        time.sleep(0.3)
        # Bob may not learn who Alice is: her real JID matches nothing for him...
        msgs, fin = mam(b, room, with_=alice.jid)
        assert fin.get("type") == "result" and msgs == []
        # ...while her occupant JID does, and nothing in the results names her.
        msgs, fin = mam(b, room, with_=room + "/Alice")
        assert fin.get("type") == "result" and bodies_of(msgs) == ["from alice"]
        assert msgs[0].find(q(NS_USER, "x")) is None
        # The owner (a moderator) sees real JIDs and may filter by them.
        msgs, fin = mam(a, room, with_=alice.jid)
        assert bodies_of(msgs) == ["from alice"]
        item = msgs[0].find("%s/%s" % (q(NS_USER, "x"), q(NS_USER, "item")))
        assert item is not None and item.get("jid") == alice.jid + "/r"


def test_client_muc_user_data_is_stripped_and_archive_names_the_sender(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    room = new_room("spoof")
    forged = ("<x xmlns='%s'><item jid='%s/r' affiliation='owner' role='moderator'/>"
              "<status code='104'/></x>" % (NS_USER, alice.jid))
    with login(server, alice) as a, login(server, bob) as b:
        join(a, room, "Alice")
        join(b, room, "Bob")
        # Semi-anonymous: bob claims to be alice; nobody sees his claim.
        b.send("<message to='%s' type='groupchat'><body>I am alice</body>%s</message>"
               % (room, forged))
        m = groupchat(a, "I am alice")
        assert m.find(q(NS_USER, "x")) is None
        time.sleep(0.3)
        for s in (a, b):
            msgs, _ = mam(s, room)
            jids = [i.get("jid") for i in msgs[0].iter(q(NS_USER, "item"))]
            # The owner may see real JIDs: she sees bob's; bob sees none.
            assert jids == ([bob.jid + "/r"] if s is a else [])
            assert not msgs[0].findall(".//" + q(NS_USER, "status"))
        # Non-anonymous: the archive names the real sender for everyone.
        configure(a, room, {"muc#roomconfig_whois": "anyone"})
        b.send("<message to='%s' type='groupchat'><body>again</body>%s</message>"
               % (room, forged))
        assert groupchat(a, "again").find(q(NS_USER, "x")) is None
        time.sleep(0.3)
        msgs, _ = mam(b, room)
        assert bodies_of(msgs) == ["I am alice", "again"]
        for m in msgs:
            xs = m.findall(q(NS_USER, "x"))
            assert len(xs) == 1
            assert [i.get("jid") for i in xs[0].iter(q(NS_USER, "item"))] == [bob.jid + "/r"]
        # Private messages carry the room's empty <x/>, not the sender's.
        b.send("<message to='%s/Alice' type='chat'><body>pm</body>%s</message>" % (room, forged))
        pm = a.expect(lambda e: e.tag == q(NS_CLIENT, "message") and e.get("type") == "chat")
        x = pm.find(q(NS_USER, "x"))
        assert x is not None and len(list(x)) == 0


def test_insufficient_privilege_is_forbidden_protected_target_not_allowed(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    room = new_room("privs")
    with login(server, alice) as a, login(server, bob) as b, login(server, carol) as c:
        join(a, room, "Alice")
        join(b, room, "Bob")
        join(c, room, "Carol")

        def admin(s, item):
            return stanza_error_condition(s.iq("<query xmlns='%s'>%s</query>" % (NS_ADMIN, item),
                                               type_="set", to=room))
        # A participant may neither kick nor edit lists (sections 8.2, 9, 10.5, 10.8).
        assert admin(c, "<item nick='Bob' role='none'/>") == "forbidden"
        assert admin(c, "<item affiliation='member' jid='%s'/>" % bob.jid) == "forbidden"
        assert admin(c, "<item affiliation='owner' jid='%s'/>" % carol.jid) == "forbidden"
        assert admin(a, "<item affiliation='admin' jid='%s'/>" % bob.jid) is None
        # An admin may not edit the admin or owner lists (forbidden), nor ban or kick the
        # owner, whose affiliation is higher (not-allowed).
        assert admin(b, "<item affiliation='admin' jid='%s'/>" % carol.jid) == "forbidden"
        assert admin(b, "<item affiliation='owner' jid='%s'/>" % carol.jid) == "forbidden"
        assert admin(b, "<item affiliation='outcast' jid='%s'/>" % alice.jid) == "not-allowed"
        assert admin(b, "<item nick='Alice' role='none'/>") == "not-allowed"
        assert admin(b, "<item nick='Carol' role='none'/>") is None


def test_room_configuration_must_be_a_submitted_roomconfig_form(server, users):
    alice = users.new("alice")
    room = new_room("cfg")
    with login(server, alice) as a:
        join(a, room, "Alice")

        def send(type_, form_type):
            return a.iq("<query xmlns='%s'><x xmlns='jabber:x:data' type='%s'>"
                        "<field var='FORM_TYPE'><value>%s</value></field>"
                        "<field var='muc#roomconfig_roomname'><value>Changed</value></field>"
                        "<field var='muc#roomconfig_membersonly'><value>1</value></field>"
                        "</x></query>" % (NS_OWNER, type_, form_type), type_="set", to=room)
        assert stanza_error_condition(send("result", NS_CONFIG)) == "bad-request"
        assert stanza_error_condition(send("submit", "urn:example:other")) == "bad-request"
        assert stanza_error_condition(send("form", NS_CONFIG)) == "bad-request"
        # Cancelling is answered and changes nothing either.
        assert send("cancel", NS_CONFIG).get("type") == "result"
        info = a.iq("<query xmlns='%s'/>" % NS_INFO, to=room)
        feats = {f.get("var") for f in info.iter(q(NS_INFO, "feature"))}
        assert "muc_open" in feats and "muc_membersonly" not in feats
        assert info.find(".//" + q(NS_INFO, "identity")).get("name") != "Changed"
        # The real thing works.
        assert send("submit", NS_CONFIG).get("type") == "result"
        info = a.iq("<query xmlns='%s'/>" % NS_INFO, to=room)
        assert info.find(".//" + q(NS_INFO, "identity")).get("name") == "Changed"


def test_instant_room_with_an_empty_submit_form(server, users):
    """XEP-0045 10.1.2: an owner accepting the defaults submits an empty form (Example 156, no
    FORM_TYPE); the room is then usable. A form without FORM_TYPE is a muc#roomconfig form."""
    alice, bob = users.new("alice"), users.new("bob")
    room = new_room("instant")
    with login(server, alice) as a, login(server, bob) as b:
        got = join(a, room, "Alice")
        assert 201 in codes(self_presence(got, room, "Alice"))
        res = a.iq("<query xmlns='http://jabber.org/protocol/muc#owner'>"
                   "<x xmlns='jabber:x:data' type='submit'/></query>", type_="set", to=room)
        assert res.get("type") == "result", stanza_error_condition(res)
        join(b, room, "Bob")
        say(b, room, "instant hello")
        assert groupchat(a, "instant hello") is not None
        # Fields without FORM_TYPE configure the room like a muc#roomconfig form.
        res = a.iq("<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"
                   "<field var='muc#roomconfig_roomname'><value>No Form Type</value></field>"
                   "</x></query>" % NS_OWNER, type_="set", to=room)
        assert res.get("type") == "result", stanza_error_condition(res)
        info = a.iq("<query xmlns='%s'/>" % NS_INFO, to=room)
        assert info.find(".//" + q(NS_INFO, "identity")).get("name") == "No Form Type"


def test_room_archive_expires_after_the_retention_period(tmp_path):
    """modules.muc.retention_days: room archive items older than that are deleted (at start-up
    and hourly), newer ones stay."""
    import sqlite3
    from test_config_hosts import ConfigServer, write_config
    path, data = write_config(tmp_path, "[modules.muc]\nretention_days = 1\n")
    srv = ConfigServer(data, path, "a.test").start()
    room = "aging@conference.a.test"
    try:
        assert srv.ctl("user", "add", "alice@a.test", account_password("pw-alice@a.test")).returncode == 0
        ids = {}
        with RawStream(srv.c2s_port, host="a.test") as a:
            a.login("alice", account_password("pw-alice@a.test"), "r")
            a.send("<presence/>")
            join(a, room, "Alice")
            configure(a, room, {"muc#roomconfig_persistentroom": "1"})
            for body in ("old", "new"):
                say(a, room, body)
                ids[body] = groupchat(a, body).find(q(NS_SID, "stanza-id")).get("id")
            time.sleep(0.3)
        srv.stop()
        # Age one message by two days, as if it had been said then.
        db = sqlite3.connect(str(data / "rampart.db"))
        n = db.execute("UPDATE archive SET ts=ts-172800000000 WHERE host='conference.a.test' "
                       "AND owner='aging' AND id=?", (ids["old"],)).rowcount
        db.commit()
        db.close()
        assert n == 1
        srv.start()
        with RawStream(srv.c2s_port, host="a.test") as a:
            a.login("alice", account_password("pw-alice@a.test"), "r")
            a.send("<presence/>")
            join(a, room, "Alice")
            deadline = time.time() + 10
            while True:
                msgs, fin = mam(a, room)
                if bodies_of(msgs) == ["new"] or time.time() > deadline:
                    break
                time.sleep(0.2)
            assert fin.get("type") == "result" and bodies_of(msgs) == ["new"]
    finally:
        srv.stop()


def test_join_presence_from_a_joined_client_resends_the_room_state(server, users):
    """XEP-0045 section 7.2 business rules: a join presence from a client already in the room
    (it lost track, e.g. after a reconnect the service did not notice) gets the occupant
    list, its own presence with 110, the history and the subject again."""
    alice, bob = users.new("alice"), users.new("bob")
    room = new_room()
    with login(server, alice) as a, login(server, bob) as b:
        join(a, room, "Alice")
        join(b, room, "Bob")
        a.expect(lambda e: e.tag == q(NS_CLIENT, "presence") and e.get("from") == room + "/Bob")
        say(a, room, "before")
        groupchat(a, "before")
        groupchat(b, "before")
        got = join(b, room, "Bob")
        assert any(e.tag == q(NS_CLIENT, "presence") and e.get("from") == room + "/Alice"
                   for e in got), "the occupant list again"
        self_presence(got, room, "Bob")
        hist = [e.find(q(NS_CLIENT, "body")).text for e in got
                if e.tag == q(NS_CLIENT, "message") and e.find(q(NS_CLIENT, "body")) is not None]
        assert hist == ["before"]
