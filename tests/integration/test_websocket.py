"""RFC 7395 XMPP over WebSocket (with the `websockets` client library) and XEP-0156 discovery
on the HTTPS listener."""
import asyncio
import base64
import json
import ssl
import xml.etree.ElementTree as ET

import pytest
import websockets

from raw_xmpp import NS_CLIENT, RawStream, ScramClient, q

NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
NS_STREAM = "http://etherx.jabber.org/streams"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class WsClient:
    def __init__(self, ws):
        self.ws = ws
        self.raw = []

    async def recv(self, timeout=10):
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        self.raw.append(text)
        return ET.fromstring(text)

    async def expect(self, pred, timeout=10):
        while True:
            el = await self.recv(timeout)
            if pred(el):
                return el

    async def open(self, to="localhost"):
        await self.ws.send("<open xmlns='%s' to='%s' version='1.0'/>" % (NS_FRAMING, to))
        opened = await self.recv()
        assert opened.tag == q(NS_FRAMING, "open"), opened.tag
        return opened, await self.recv()

    async def login(self, user, password, resource="web"):
        _, features = await self.open()
        mechs = [m.text for m in features.iter(q(NS_SASL, "mechanism"))]
        assert "SCRAM-SHA-256" in mechs
        scram = ScramClient("SCRAM-SHA-256", user, password)
        await self.ws.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>"
                           % (NS_SASL, base64.b64encode(scram.first()).decode()))
        challenge = await self.recv()
        final = scram.final(base64.b64decode(challenge.text))
        await self.ws.send("<response xmlns='%s'>%s</response>"
                           % (NS_SASL, base64.b64encode(final).decode()))
        success = await self.recv()
        assert success.tag == q(NS_SASL, "success")
        scram.verify_server(base64.b64decode(success.text))
        _, features = await self.open()
        assert features.find(q(NS_BIND, "bind")) is not None
        await self.ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='%s'>"
                           "<resource>%s</resource></bind></iq>" % (NS_BIND, resource))
        bound = await self.expect(lambda e: e.get("id") == "b1")
        return bound.find(".//" + q(NS_BIND, "jid")).text


def ws_url(server):
    return "wss://127.0.0.1:%d/xmpp-websocket" % server.https_port


def test_host_meta_points_to_the_websocket(server):
    status, headers, body = server.https_get("/.well-known/host-meta")
    assert status == 200
    assert headers.get("access-control-allow-origin") == "*"
    xrd = ET.fromstring(body)
    link = xrd.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link.get("rel") == "urn:xmpp:alt-connections:websocket"
    assert link.get("href") == "wss://localhost/xmpp-websocket"
    status, headers, body = server.https_get("/.well-known/host-meta.json")
    assert status == 200
    links = json.loads(body)["links"]
    assert links == [{"rel": "urn:xmpp:alt-connections:websocket",
                      "href": "wss://localhost/xmpp-websocket"}]


def test_host_meta_names_only_hosts_of_this_server(server):
    """The WebSocket URL follows the Host header only for this server's own names (with the
    port the client used); any other Host gets the server's host, never an echo."""
    import http.client
    import ssl

    def href(host):
        c = ssl.create_default_context()
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", server.https_port, context=c, timeout=10)
        try:
            conn.request("GET", "/.well-known/host-meta.json", headers={"Host": host})
            return json.loads(conn.getresponse().read())["links"][0]["href"]
        finally:
            conn.close()

    port = server.https_port
    assert href("localhost:%d" % port) == "wss://localhost:%d/xmpp-websocket" % port
    assert href("LOCALHOST") == "wss://LOCALHOST/xmpp-websocket"
    assert href("evil.example") == "wss://localhost/xmpp-websocket"
    assert href("evil.example:%d" % port) == "wss://localhost/xmpp-websocket"


def test_websocket_client_chats_with_a_tcp_client(server, users):
    alice, bob = users.new("alice"), users.new("bob")

    async def body():
        async with websockets.connect(ws_url(server), ssl=ctx(), subprotocols=["xmpp"]) as ws:
            assert ws.subprotocol == "xmpp"
            c = WsClient(ws)
            jid = await c.login(alice.local, alice.password)
            assert jid == alice.jid + "/web"
            await ws.send("<presence xmlns='jabber:client'/>")
            await c.expect(lambda e: e.tag == q(NS_CLIENT, "presence"))
            with RawStream(server.c2s_port) as b:
                b.login(bob.local, bob.password, "tcp")
                b.send("<message to='%s' type='chat'><body>hello web</body></message>" % jid)
                m = await c.expect(lambda e: e.tag == q(NS_CLIENT, "message"))
                assert m.find(q(NS_CLIENT, "body")).text == "hello web"
                assert m.get("from") == bob.jid + "/tcp"
                # Every message is one standalone element that declares jabber:client.
                assert "xmlns=\"jabber:client\"" in c.raw[-1] or \
                    "xmlns='jabber:client'" in c.raw[-1]
                await ws.send("<message xmlns='jabber:client' to='%s' type='chat'>"
                              "<body>hello tcp</body></message>" % (bob.jid + "/tcp"))
                got = b.expect(lambda e: e.tag == q(NS_CLIENT, "message"))
                assert got.find(q(NS_CLIENT, "body")).text == "hello tcp"
                assert got.get("from") == jid
            await ws.send("<close xmlns='%s'/>" % NS_FRAMING)
            closing = await c.recv()
            assert closing.tag == q(NS_FRAMING, "close")

    asyncio.run(asyncio.wait_for(body(), 30))


def test_websocket_without_the_xmpp_subprotocol_is_refused(server):
    async def body():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            async with websockets.connect(ws_url(server), ssl=ctx()):
                pass
        assert e.value.status_code == 400

    asyncio.run(asyncio.wait_for(body(), 15))


def test_websocket_bad_input_gets_stream_errors(server):
    async def case(first, condition):
        async with websockets.connect(ws_url(server), ssl=ctx(), subprotocols=["xmpp"]) as ws:
            c = WsClient(ws)
            await ws.send(first)
            err = await c.expect(lambda e: e.tag == "{%s}error" % NS_STREAM)
            assert err.find("{%s}%s" % (NS_STREAMS, condition)) is not None, c.raw
            closing = await c.recv()
            assert closing.tag == q(NS_FRAMING, "close")

    async def body():
        await case("<open xmlns='%s' to='nowhere.example' version='1.0'/>" % NS_FRAMING,
                   "host-unknown")
        await case("<open xmlns='%s' to='localhost' version='1.0'/><iq><unclosed" % NS_FRAMING,
                   "not-well-formed")
        await case("<message xmlns='jabber:client'><body>too early</body></message>",
                   "not-well-formed")

    asyncio.run(asyncio.wait_for(body(), 30))


def test_websocket_auth_failure_then_a_fresh_connection_works(server, users):
    alice = users.new("alice")

    async def body():
        async with websockets.connect(ws_url(server), ssl=ctx(), subprotocols=["xmpp"]) as ws:
            c = WsClient(ws)
            await c.open()
            scram = ScramClient("SCRAM-SHA-256", alice.local, "wrong password")
            await ws.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>"
                          % (NS_SASL, base64.b64encode(scram.first()).decode()))
            challenge = await c.recv()
            await ws.send("<response xmlns='%s'>%s</response>" % (NS_SASL, base64.b64encode(
                scram.final(base64.b64decode(challenge.text))).decode()))
            failure = await c.recv(timeout=15)
            assert failure.tag == q(NS_SASL, "failure")
            assert failure.find(q(NS_SASL, "not-authorized")) is not None
        async with websockets.connect(ws_url(server), ssl=ctx(), subprotocols=["xmpp"]) as ws:
            assert await WsClient(ws).login(alice.local, alice.password) == alice.jid + "/web"

    asyncio.run(asyncio.wait_for(body(), 45))
