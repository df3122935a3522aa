"""XEP-0357 push notifications: a local app server receives summaries for messages an offline
or resumable-but-disconnected account gets, without the body unless the tenant allows it."""
import json
import socket
import time

from raw_xmpp import NS_CLIENT, RawStream, q, stanza_error_condition

NS_PUSH = "urn:xmpp:push:0"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_SM = "urn:xmpp:sm:3"


def enable(s, service, node, secret="s3cret"):
    return s.iq("<enable xmlns='%s' jid='%s' node='%s'><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options"
                "</value></field><field var='secret'><value>%s</value></field></x></enable>"
                % (NS_PUSH, service, node, secret), type_="set")


def next_push(app, timeout=5):
    iq = app.expect(lambda e: e.tag == q(NS_CLIENT, "iq") and e.get("type") == "set" and
                    e.find(q(NS_PUBSUB, "pubsub")) is not None, timeout=timeout)
    app.send("<iq type='result' id='%s' to='%s'/>" % (iq.get("id"), iq.get("from")))
    return iq


def fields(iq):
    form = iq.find(".//%s/{jabber:x:data}x" % q(NS_PUSH, "notification"))
    return {f.get("var"): [v.text for v in f.findall("{jabber:x:data}value")]
            for f in form.findall("{jabber:x:data}field")}


def test_offline_message_is_pushed_without_its_body(server, users):
    alice, bob, app_acc = users.new("alice"), users.new("bob"), users.new("pushapp")
    with RawStream(server.c2s_port) as app, RawStream(server.c2s_port) as b:
        app.login(app_acc.local, app_acc.password, "app")
        b.login(bob.local, bob.password, "r")
        with RawStream(server.c2s_port) as a:
            a.login(alice.local, alice.password, "phone")
            feats = a.iq("<query xmlns='http://jabber.org/protocol/disco#info'/>", to=alice.jid)
            assert NS_PUSH in {f.get("var") for f in feats.iter(
                "{http://jabber.org/protocol/disco#info}feature")}
            assert enable(a, app_acc.jid + "/app", "device-1").get("type") == "result"
            bad = enable(a, "push.elsewhere.example", "n")
            assert stanza_error_condition(bad) == "not-allowed"
        time.sleep(0.3)
        b.send("<message to='%s' type='chat'><body>secret words</body></message>" % alice.jid)
        iq = next_push(app)
        assert iq.get("from") == alice.jid
        publish = iq.find("%s/%s" % (q(NS_PUBSUB, "pubsub"), q(NS_PUBSUB, "publish")))
        assert publish.get("node") == "device-1"
        f = fields(iq)
        assert f["FORM_TYPE"] == ["urn:xmpp:push:summary"]
        assert f["message-count"] == ["1"]
        assert "last-message-body" not in f and "last-message-sender" not in f
        opts = iq.find(".//%s/{jabber:x:data}x" % q(NS_PUBSUB, "publish-options"))
        assert [v.text for v in opts.iter("{jabber:x:data}value")][-1] == "s3cret"
        # Chat states are not worth a push.
        b.send("<message to='%s' type='chat'><active xmlns="
               "'http://jabber.org/protocol/chatstates'/></message>" % alice.jid)
        b.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        try:
            el = app.next(timeout=1.0)
            assert el.find(q(NS_PUBSUB, "pubsub")) is None
        except TimeoutError:
            pass
        # Disabled: no more pushes.
        with RawStream(server.c2s_port) as a:
            a.login(alice.local, alice.password, "phone")
            r = a.iq("<disable xmlns='%s' jid='%s'/>" % (NS_PUSH, app_acc.jid + "/app"),
                     type_="set")
            assert r.get("type") == "result"
        time.sleep(0.3)
        b.send("<message to='%s' type='chat'><body>again</body></message>" % alice.jid)
        b.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        try:
            el = app.next(timeout=1.0)
            assert el.find(q(NS_PUBSUB, "pubsub")) is None, "disabled registrations get nothing"
        except TimeoutError:
            pass


def test_message_to_a_hibernated_session_is_pushed(server, users):
    alice, bob, app_acc = users.new("alice"), users.new("bob"), users.new("pushapp")
    with RawStream(server.c2s_port) as app, RawStream(server.c2s_port) as b:
        app.login(app_acc.local, app_acc.password, "app")
        b.login(bob.local, bob.password, "r")
        a = RawStream(server.c2s_port)
        a.login(alice.local, alice.password, "phone")
        assert enable(a, app_acc.jid + "/app", "dev").get("type") == "result"
        a.send("<presence/>")
        a.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
        a.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
        a.expect(q(NS_SM, "enabled"))
        a.sock.shutdown(socket.SHUT_RDWR)
        a.sock.close()
        time.sleep(0.5)
        b.send("<message to='%s' type='chat'><body>wake up</body></message>" % alice.jid)
        iq = next_push(app)
        assert fields(iq)["message-count"] == ["1"]


def test_revoking_a_device_credential_ends_that_devices_push_registration(server, users):
    """A registration belongs to the device that made it: revoking its app password stops its
    pushes, while the registration of a password session stays."""
    alice, bob, app_acc = users.new("alice"), users.new("bob"), users.new("pushapp")
    r = server.ctl("device", "add", alice.jid, "Phone")
    assert r.returncode == 0, r.stderr
    app_password = r.stdout.strip()
    with RawStream(server.c2s_port) as app, RawStream(server.c2s_port) as b:
        app.login(app_acc.local, app_acc.password, "app")
        b.login(bob.local, bob.password, "r")
        with RawStream(server.c2s_port) as phone:
            phone.login(alice.local, app_password, "phone")
            assert enable(phone, app_acc.jid + "/app", "phone-node").get("type") == "result"
        with RawStream(server.c2s_port) as desk:
            desk.login(alice.local, alice.password, "desk")
            assert enable(desk, app_acc.jid + "/app", "desk-node").get("type") == "result"
        time.sleep(0.3)
        b.send("<message to='%s' type='chat'><body>one</body></message>" % alice.jid)
        nodes = {next_push(app).find(".//%s" % q(NS_PUBSUB, "publish")).get("node")
                 for _ in range(2)}
        assert nodes == {"phone-node", "desk-node"}, nodes
        listed = [json.loads(l) for l in
                  server.ctl("device", "list", alice.jid, "--json").stdout.splitlines()]
        device_id = [d["id"] for d in listed if d["name"] == "Phone"][0]
        assert server.ctl("device", "revoke", alice.jid, device_id).returncode == 0
        b.send("<message to='%s' type='chat'><body>two</body></message>" % alice.jid)
        assert next_push(app).find(".//%s" % q(NS_PUBSUB, "publish")).get("node") == "desk-node"
        try:
            extra = next_push(app, timeout=1.5)
        except TimeoutError:
            extra = None
        assert extra is None, "a push still went to the revoked device's node"
