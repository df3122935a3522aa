"""slixmpp helpers for the integration tests: a recording Client, Clients (starts and always
stops a group of them) and run() (one bounded event loop per test)."""
import asyncio
import ssl

import slixmpp


def insecure_ssl_context():
    # The test server uses a self-signed certificate made at first start.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def without_tls_unique(client, mechanism=None):
    """slixmpp 1.8 can bind SCRAM only to tls-unique, which TLS 1.3 does not define, and then
    retries with the "y" flag, which RFC 5802 section 6 makes a failed downgrade while the
    server offers -PLUS. Tell it the truth instead: no channel binding it can do, so it sends
    "n" (RFC 5802's flag for a client without channel-binding support)."""
    fm = client["feature_mechanisms"]
    if mechanism is None:
        fm.use_mechs = {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}
    default = fm.sasl_callback

    def credentials(required, optional):
        creds = default(required, optional)
        if "channel_binding" in creds:
            creds["channel_binding"] = b""
        return creds
    fm.sasl_callback = credentials


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records what it receives."""

    def __init__(self, jid, password, port, direct_tls=False, mechanism=None, loop=None):
        super().__init__(jid, password, sasl_mech=mechanism)
        without_tls_unique(self, mechanism)
        if loop is not None:
            self.loop = loop
        self.port = port
        self.direct_tls = direct_tls
        self.ssl_context = insecure_ssl_context()
        self.messages = []
        self.presences = []
        self.subscriptions = []
        self.message_errors = []
        self.roster_pushes = []
        self.stream_errors = []
        self.failed_auth = False
        self.session_started = asyncio.Event()
        self.disconnected_event = asyncio.Event()
        self.add_event_handler("session_start", self._on_start)
        self.add_event_handler("message", lambda m: self.messages.append(m))
        # 'presence' fires for every presence; slixmpp's type is the <show/> value when set.
        self.add_event_handler("presence", self._on_presence)
        self.add_event_handler("presence_subscribe", lambda p: self.subscriptions.append(p))
        self.add_event_handler("message_error", lambda m: self.message_errors.append(m))
        self.add_event_handler("roster_update", self._on_roster_update)
        self.add_event_handler("stream_error", lambda e: self.stream_errors.append(e))
        self.add_event_handler("failed_auth", self._on_failed)
        self.add_event_handler("disconnected", lambda e: self.disconnected_event.set())
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0092")
        # Roster subscriptions are decided by the tests, not auto-accepted.
        self.auto_authorize = None
        self.auto_subscribe = False

    async def _on_start(self, event):
        self.session_started.set()

    def _on_presence(self, p):
        if p["type"] in ("available", "unavailable") or p["type"] in p.showtypes:
            self.presences.append(p)

    def _on_failed(self, event):
        self.failed_auth = True

    def _on_roster_update(self, iq):
        if iq["type"] == "set":
            self.roster_pushes.append(iq)

    async def start(self, presence=True, timeout=15, priority=None):
        self.connect(("127.0.0.1", self.port), use_ssl=self.direct_tls,
                     force_starttls=not self.direct_tls)
        await asyncio.wait_for(self.session_started.wait(), timeout)
        if presence:
            await self.get_roster(timeout=timeout)
            self.send_presence(ppriority=priority)
            await self.sync()
        return self

    async def sync(self, timeout=10):
        """A ping round trip: the server has handled everything this client sent before."""
        await self["xep_0199"].ping(self.boundjid.domain, timeout=timeout)

    async def roster_items(self, timeout=10):
        """The roster as the server returns it now: {bare jid: item dict}."""
        iq = self.Iq()
        iq["type"] = "get"
        iq.enable("roster")
        result = await iq.send(timeout=timeout)
        return {str(j): dict(v) for j, v in result["roster"]["items"].items()}

    def bodies(self):
        return [m["body"] for m in self.messages if m["type"] != "error"]

    async def stop(self):
        self.disconnect()
        try:
            await asyncio.wait_for(self.disconnected_event.wait(), 5)
        except asyncio.TimeoutError:
            pass


async def wait_for(predicate, timeout=10.0, interval=0.02):
    end = asyncio.get_event_loop().time() + timeout
    while asyncio.get_event_loop().time() < end:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


def run(coro, timeout=60):
    """Run one test coroutine on a fresh event loop, bounded in time."""
    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


class Clients:
    """Starts slixmpp clients and stops every one of them at the end, even on failure.

        async with Clients(server) as cs:
            alice = await cs.start(account, "phone", priority=5)
    """

    def __init__(self, server):
        self.server = server
        self.clients = []

    def make(self, account, resource=None, direct_tls=False, mechanism=None, password=None):
        """`password`: another credential of the account (an app password), if not its own."""
        jid = account.jid + ("/" + resource if resource else "")
        port = self.server.tls_port if direct_tls else self.server.c2s_port
        c = Client(jid, password or account.password, port, direct_tls=direct_tls,
                   mechanism=mechanism)
        self.clients.append(c)
        return c

    async def start(self, account, resource=None, presence=True, priority=None, **kw):
        c = self.make(account, resource, **kw)
        await c.start(presence=presence, priority=priority)
        return c

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await asyncio.gather(*(c.stop() for c in self.clients if c.is_connected()),
                             return_exceptions=True)
