"""Helpers for driving rampartd with slixmpp from pytest (synchronous wrappers)."""
import asyncio
import ssl

import slixmpp


def insecure_ssl_context():
    # The test server uses a self-signed certificate made at first start.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records what it receives."""

    def __init__(self, jid, password, port, direct_tls=False, mechanism=None, loop=None):
        super().__init__(jid, password, sasl_mech=mechanism)
        if loop is not None:
            self.loop = loop
        self.port = port
        self.direct_tls = direct_tls
        self.ssl_context = insecure_ssl_context()
        self.messages = []
        self.presences = []
        self.subscriptions = []
        self.failed_auth = False
        self.session_started = asyncio.Event()
        self.disconnected_event = asyncio.Event()
        self.add_event_handler("session_start", self._on_start)
        self.add_event_handler("message", lambda m: self.messages.append(m))
        self.add_event_handler("presence_available", lambda p: self.presences.append(p))
        self.add_event_handler("presence_unavailable", lambda p: self.presences.append(p))
        self.add_event_handler("presence_subscribe", lambda p: self.subscriptions.append(p))
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

    def _on_failed(self, event):
        self.failed_auth = True

    async def start(self, presence=True, timeout=15):
        self.connect(("127.0.0.1", self.port), use_ssl=self.direct_tls,
                     force_starttls=not self.direct_tls)
        await asyncio.wait_for(self.session_started.wait(), timeout)
        if presence:
            await self.get_roster()
            self.send_presence()
        return self

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
