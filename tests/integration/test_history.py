"""Multi-device history with a real client: XEP-0280 carbons, XEP-0313 archives with XEP-0059
paging, and the errors for malformed or foreign archive requests."""
import asyncio
import datetime

from raw_xmpp import account_password, NS_CLIENT, RawStream, q, stanza_error_condition
from xmpp_helpers import Clients, run, wait_for

NS_MAM = "urn:xmpp:mam:2"
NS_SID = "urn:xmpp:sid:0"
NS_CARBONS = "urn:xmpp:carbons:2"
NS_FORWARD = "urn:xmpp:forward:0"
NS_RSM = "http://jabber.org/protocol/rsm"


async def start_with(cs, account, resource, plugins, **kw):
    c = cs.make(account, resource)
    for p in plugins:
        c.register_plugin(p)
    await c.start(**kw)
    return c


# ---- carbons --------------------------------------------------------------------------------

def test_carbons_copy_sent_and_received_to_enabled_resources_only(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            phone = await start_with(cs, alice, "phone", ["xep_0280"], priority=10)
            laptop = await start_with(cs, alice, "laptop", ["xep_0280"], priority=1)
            tablet = await start_with(cs, alice, "tablet", ["xep_0280"], priority=1)
            b = await cs.start(bob, "desk")
            received, sent = [], []
            laptop.add_event_handler("carbon_received", received.append)
            laptop.add_event_handler("carbon_sent", sent.append)
            tablet_carbons = []
            tablet.add_event_handler("carbon_received", tablet_carbons.append)
            tablet.add_event_handler("carbon_sent", tablet_carbons.append)
            await phone["xep_0280"].enable()
            await laptop["xep_0280"].enable()

            # Bob writes to alice's bare JID: the phone (highest priority) gets it, the laptop
            # a <received/> carbon, the tablet (carbons not enabled) nothing.
            b.send_message(mto=alice.jid, mbody="to the bare jid", mtype="chat")
            assert await wait_for(lambda: "to the bare jid" in phone.bodies())
            assert await wait_for(lambda: len(received) == 1)
            fwd = received[0]["carbon_received"]
            assert fwd["body"] == "to the bare jid"
            assert fwd["from"].bare == bob.jid
            assert received[0]["from"].full == alice.jid, "carbons come from the bare JID"
            assert "to the bare jid" not in laptop.bodies()

            # The phone writes to bob: the laptop gets a <sent/> carbon.
            phone.send_message(mto=bob.jid, mbody="from the phone", mtype="chat")
            assert await wait_for(lambda: "from the phone" in b.bodies())
            assert await wait_for(lambda: len(sent) == 1)
            assert sent[0]["carbon_sent"]["body"] == "from the phone"
            assert sent[0]["carbon_sent"]["to"].bare == bob.jid

            # Private messages and headlines are not copied; disabling stops the copies.
            m = b.make_message(mto=alice.jid + "/phone", mbody="private one", mtype="chat")
            m.append(__import__("xml.etree.ElementTree").etree.ElementTree.Element(
                "{%s}private" % NS_CARBONS))
            m.send()
            assert await wait_for(lambda: "private one" in phone.bodies())
            await laptop["xep_0280"].disable()
            b.send_message(mto=alice.jid, mbody="after disable", mtype="chat")
            assert await wait_for(lambda: "after disable" in phone.bodies())
            await laptop.sync()
            await tablet.sync()
            assert len(received) == 1 and len(sent) == 1
            assert tablet_carbons == []

    run(body(), 60)


def test_carbons_enable_for_another_account_is_refused(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    with RawStream(server.c2s_port) as s:
        s.login(alice.local, alice.password, "r")
        reply = s.iq("<enable xmlns='%s'/>" % NS_CARBONS, type_="set", to=bob.jid)
        assert reply.get("type") == "error"
        assert stanza_error_condition(reply) == "bad-request"


# ---- archive --------------------------------------------------------------------------------

def test_archive_holds_both_directions_and_every_device_sees_it(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with Clients(server) as cs:
            a = await start_with(cs, alice, "phone", ["xep_0313", "xep_0359"])
            b = await start_with(cs, bob, "desk", ["xep_0313", "xep_0359"])
            for i in range(5):
                a.send_message(mto=bob.jid, mbody="a%d" % i, mtype="chat")
                b.send_message(mto=alice.jid, mbody="b%d" % i, mtype="chat")
            assert await wait_for(lambda: len(b.bodies()) == 5 and len(a.bodies()) == 5)

            # The copy delivered to alice carries the stanza-id of her archive.
            got = [m for m in a.messages if m["body"] == "b0"][0]
            sid = got.xml.find("{%s}stanza-id" % NS_SID)
            assert sid is not None and sid.get("by") == alice.jid and sid.get("id")

            # A second device of alice signs in later and reads the whole conversation.
            laptop = await start_with(cs, alice, "laptop", ["xep_0313"])
            await asyncio.sleep(0.3)  # archive writes are group-committed
            result = await laptop["xep_0313"].retrieve(jid=alice.jid, with_jid=bob.jid,
                                                       rsm={"max": 50})
            msgs = result["mam"]["results"]
            bodies = [m["mam_result"]["forwarded"]["stanza"]["body"] for m in msgs]
            assert sorted(bodies) == sorted(["a%d" % i for i in range(5)] +
                                            ["b%d" % i for i in range(5)])
            assert bodies.index("a0") < bodies.index("a4"), "archive order is sending order"
            ids = [m["mam_result"]["id"] for m in msgs]
            assert sid.get("id") in ids, "the stanza-id delivered is the archive id"
            for m in msgs:
                assert m["from"].full == alice.jid
                assert m["mam_result"]["forwarded"]["delay"]["stamp"] is not None
            fin = result["mam_fin"]
            assert fin.xml.get("complete") == "true"
            assert int(fin["rsm"]["count"]) == 10

            # Bob's archive holds the same conversation, with its own ids.
            bres = await b["xep_0313"].retrieve(jid=bob.jid, with_jid=alice.jid)
            assert len(bres["mam"]["results"]) == 10

    run(body(), 60)


def archive_query(s, form_fields=None, rsm="", to=None, queryid="q1"):
    fields = ""
    if form_fields:
        fields = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                  "<value>%s</value></field>" % NS_MAM)
        for var, values in form_fields.items():
            if isinstance(values, str):
                values = [values]
            fields += "<field var='%s'>%s</field>" % (
                var, "".join("<value>%s</value>" % v for v in values))
        fields += "</x>"
    payload = "<query xmlns='%s' queryid='%s'>%s%s</query>" % (NS_MAM, queryid, fields, rsm)
    to_attr = " to='%s'" % to if to else ""
    iq_id = "mam%d" % id(payload)
    s.send("<iq type='set' id='%s'%s>%s</iq>" % (iq_id, to_attr, payload))
    results = []
    while True:
        el = s.next()
        if el.tag == q(NS_CLIENT, "message") and el.find(q(NS_MAM, "result")) is not None:
            results.append(el)
        elif el.tag == q(NS_CLIENT, "iq") and el.get("id") == iq_id:
            return results, el


def result_bodies(results):
    out = []
    for m in results:
        inner = m.find("%s/%s/%s" % (q(NS_MAM, "result"), q(NS_FORWARD, "forwarded"),
                                     q(NS_CLIENT, "message")))
        out.append(inner.find(q(NS_CLIENT, "body")).text)
    return out


def test_archive_paging_forward_backward_and_filters(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b, \
            RawStream(server.c2s_port) as c:
        a.login(alice.local, alice.password, "r")
        b.login(bob.local, bob.password, "r")
        c.login(carol.local, carol.password, "r")
        for s in (a, b, c):
            s.send("<presence/>")
        before = datetime.datetime.now(datetime.timezone.utc)
        for i in range(12):
            # Two senders on two connections: wait for each arrival to fix the order.
            sender = b if i % 3 else c
            sender.send("<message to='%s' type='chat'><body>m%d</body></message>"
                        % (alice.jid, i))
            a.expect(lambda e: e.tag == q(NS_CLIENT, "message"))
        import time
        time.sleep(0.3)

        results, fin_iq = archive_query(a, rsm="<set xmlns='%s'><max>5</max></set>" % NS_RSM)
        assert fin_iq.get("type") == "result"
        assert result_bodies(results) == ["m0", "m1", "m2", "m3", "m4"]
        fin = fin_iq.find(q(NS_MAM, "fin"))
        assert fin.get("complete") != "true"
        rset = fin.find(q(NS_RSM, "set"))
        assert rset.find(q(NS_RSM, "count")).text == "12"
        last = rset.find(q(NS_RSM, "last")).text

        results, fin_iq = archive_query(
            a, rsm="<set xmlns='%s'><max>5</max><after>%s</after></set>" % (NS_RSM, last))
        assert result_bodies(results) == ["m5", "m6", "m7", "m8", "m9"]
        results, fin_iq = archive_query(
            a, rsm="<set xmlns='%s'><max>5</max><after>%s</after></set>"
            % (NS_RSM, fin_iq.find(".//" + q(NS_RSM, "last")).text))
        assert result_bodies(results) == ["m10", "m11"]
        assert fin_iq.find(q(NS_MAM, "fin")).get("complete") == "true"

        # The last page, then the one before it.
        results, fin_iq = archive_query(
            a, rsm="<set xmlns='%s'><max>4</max><before/></set>" % NS_RSM)
        assert result_bodies(results) == ["m8", "m9", "m10", "m11"]
        first = fin_iq.find(".//" + q(NS_RSM, "first")).text
        results, fin_iq = archive_query(
            a, rsm="<set xmlns='%s'><max>4</max><before>%s</before></set>" % (NS_RSM, first))
        assert result_bodies(results) == ["m4", "m5", "m6", "m7"]

        # Filter by contact and by time.
        results, _ = archive_query(a, {"with": carol.jid})
        assert result_bodies(results) == ["m0", "m3", "m6", "m9"]
        results, _ = archive_query(a, {"start": before.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                       "with": bob.jid})
        assert len(results) == 8
        results, fin_iq = archive_query(a, {"end": "2000-01-01T00:00:00Z"})
        assert results == [] and fin_iq.find(".//" + q(NS_RSM, "count")).text == "0"


def test_archive_bad_requests(server, users):
    alice, bob = users.new("alice"), users.new("bob")
    with RawStream(server.c2s_port) as a:
        a.login(alice.local, alice.password, "r")
        cases = [
            ({"start": "yesterday"}, "", "bad-request"),
            ({"with": "@@bad@@"}, "", "jid-malformed"),
            ({"fulltext": "secret"}, "", "bad-request"),
            (None, "<set xmlns='%s'><after>no-such-id</after></set>" % NS_RSM, "item-not-found"),
            (None, "<set xmlns='%s'><max>ten</max></set>" % NS_RSM, "bad-request"),
        ]
        for fields, rsm, condition in cases:
            results, reply = archive_query(a, fields, rsm)
            assert results == []
            assert reply.get("type") == "error", (fields, rsm)
            assert stanza_error_condition(reply) == condition, (fields, rsm)
        # Someone else's archive.
        results, reply = archive_query(a, to=bob.jid)
        assert reply.get("type") == "error"
        assert stanza_error_condition(reply) == "forbidden"
        # The stream is still usable.
        assert a.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost").get("type") == "result"


def test_archive_preferences_never_and_spoofed_stanza_id(server, users):
    alice, bob, carol = users.new("alice"), users.new("bob"), users.new("carol")
    with RawStream(server.c2s_port) as a, RawStream(server.c2s_port) as b, \
            RawStream(server.c2s_port) as c:
        a.login(alice.local, alice.password, "r")
        b.login(bob.local, bob.password, "r")
        c.login(carol.local, carol.password, "r")
        a.send("<presence/>")
        reply = a.iq("<prefs xmlns='%s' default='always'><always/><never><jid>%s</jid></never>"
                     "</prefs>" % (NS_MAM, carol.jid), type_="set")
        assert reply.get("type") == "result"
        got = a.iq("<prefs xmlns='%s'/>" % NS_MAM)
        prefs = got.find(q(NS_MAM, "prefs"))
        assert prefs.get("default") == "always"
        assert [j.text for j in prefs.find(q(NS_MAM, "never"))] == [carol.jid]
        bad = a.iq("<prefs xmlns='%s' default='sometimes'/>" % NS_MAM, type_="set")
        assert stanza_error_condition(bad) == "bad-request"

        c.send("<message to='%s' type='chat'><body>not archived</body></message>" % alice.jid)
        # Bob tries to plant a stanza-id of alice's archive: it is replaced by the real one.
        b.send("<message to='%s' type='chat'><body>archived</body>"
               "<stanza-id xmlns='%s' by='%s' id='forged'/></message>"
               % (alice.jid, NS_SID, alice.jid))
        msgs = [a.expect(lambda e: e.tag == q(NS_CLIENT, "message")) for _ in range(2)]
        by_body = {m.find(q(NS_CLIENT, "body")).text: m for m in msgs}
        assert by_body["not archived"].find(q(NS_SID, "stanza-id")) is None
        sids = by_body["archived"].findall(q(NS_SID, "stanza-id"))
        assert len(sids) == 1 and sids[0].get("id") != "forged"
        import time
        time.sleep(0.3)
        results, _ = archive_query(a)
        assert result_bodies(results) == ["archived"]
        assert results[0].find(q(NS_MAM, "result")).get("id") == sids[0].get("id")


def test_archive_query_form_and_disco(server, users):
    alice = users.new("alice")
    with RawStream(server.c2s_port) as a:
        a.login(alice.local, alice.password, "r")
        form = a.iq("<query xmlns='%s'/>" % NS_MAM)
        variables = {f.get("var") for f in form.iter("{jabber:x:data}field")}
        assert {"FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids"} <= variables
        info = a.iq("<query xmlns='http://jabber.org/protocol/disco#info'/>", to=alice.jid)
        features = {f.get("var") for f in info.iter(
            "{http://jabber.org/protocol/disco#info}feature")}
        assert {NS_MAM, "urn:xmpp:mam:2#extended", "urn:xmpp:blocking",
                "jabber:iq:private"} <= features


def test_archive_survives_restart(fresh_server, tmp_path):
    fresh_server.add_user("alice@localhost", account_password("pw-a"))
    fresh_server.add_user("bob@localhost", account_password("pw-b"))
    with RawStream(fresh_server.c2s_port) as b:
        b.login("bob", account_password("pw-b"), "r")
        for i in range(3):
            b.send("<message to='alice@localhost' type='chat'><body>kept %d</body></message>" % i)
        b.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
    import time
    time.sleep(0.3)
    fresh_server.stop()
    fresh_server.start()
    with RawStream(fresh_server.c2s_port) as a:
        a.login("alice", account_password("pw-a"), "r")
        results, _ = archive_query(a)
        assert result_bodies(results) == ["kept 0", "kept 1", "kept 2"]


def test_archive_items_expire_after_the_retention_period(tmp_path):
    """modules.mam.retention_days: account archive items older than that are deleted (at
    start-up and hourly); newer ones stay."""
    import sqlite3
    import time
    from test_config_hosts import ConfigServer, write_config
    path, data = write_config(tmp_path, "[modules.mam]\nretention_days = 1\n")
    srv = ConfigServer(data, path, "a.test").start()
    try:
        for jid in ("alice@a.test", "bob@a.test"):
            assert srv.ctl("user", "add", jid, account_password(jid)).returncode == 0
        with RawStream(srv.c2s_port, host="a.test") as a:
            a.login("alice", account_password("pw-alice@a.test"), "r")
            for body in ("old", "new"):
                a.send("<message to='bob@a.test' type='chat'><body>%s</body></message>" % body)
            a.iq("<ping xmlns='urn:xmpp:ping'/>")
            time.sleep(0.3)
        srv.stop()
        # Age alice's copy of "old" (her first archived message; the text is sealed) by two
        # days, as if it had been sent then.
        db = sqlite3.connect(str(data / "rampart.db"))
        n = db.execute("UPDATE archive SET ts=ts-172800000000 WHERE seq = (SELECT min(seq) FROM "
                       "archive WHERE host='a.test' AND owner='alice')").rowcount
        db.commit()
        db.close()
        assert n == 1
        srv.start()
        with RawStream(srv.c2s_port, host="a.test") as a:
            a.login("alice", account_password("pw-alice@a.test"), "r")
            deadline = time.time() + 10
            while True:
                results, fin = archive_query(a)
                if result_bodies(results) == ["new"] or time.time() > deadline:
                    break
                time.sleep(0.2)
            assert fin.get("type") == "result" and result_bodies(results) == ["new"]
    finally:
        srv.stop()
