"""Makes two accounts mutual contacts with slixmpp (the browser test starts from there)."""
import asyncio
import ssl
import sys

import slixmpp

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "integration"))
from xmpp_helpers import without_tls_unique  # noqa: E402


class C(slixmpp.ClientXMPP):
    def __init__(self, jid, pw):
        super().__init__(jid, pw)
        without_tls_unique(self)
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.ready = asyncio.Event()
        self.requests = asyncio.Queue()
        self.add_event_handler("session_start", lambda e: self.ready.set())
        self.add_event_handler("presence_subscribe", lambda p: self.requests.put_nowait(p))
        # The steps below answer explicitly, in order.
        self.auto_authorize = None
        self.auto_subscribe = False


async def main(port, a_jid, a_pw, b_jid, b_pw):
    a, b = C(a_jid, a_pw), C(b_jid, b_pw)
    for c in (a, b):
        c.connect(("127.0.0.1", port), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.ready.wait(), b.ready.wait()), 30)
    for c in (a, b):
        await c.get_roster()
        c.send_presence()
    # a asks, b approves and asks back, a approves (RFC 6121 section 3).
    a.send_presence(pto=b_jid, ptype="subscribe")
    await asyncio.wait_for(b.requests.get(), 30)
    b.send_presence(pto=a_jid, ptype="subscribed")
    b.send_presence(pto=a_jid, ptype="subscribe")
    await asyncio.wait_for(a.requests.get(), 30)
    a.send_presence(pto=b_jid, ptype="subscribed")
    for _ in range(300):
        await a.get_roster()
        await b.get_roster()
        if a.client_roster[b_jid]["subscription"] == "both" and \
                b.client_roster[a_jid]["subscription"] == "both":
            break
        await asyncio.sleep(0.1)
    else:
        # A non-zero exit fails the browser test's set-up check, naming the states reached.
        raise SystemExit("subscriptions did not complete: %s / %s" % (
            a.client_roster[b_jid]["subscription"], b.client_roster[a_jid]["subscription"]))
    for c in (a, b):
        c.disconnect()
    await asyncio.sleep(0.3)


asyncio.run(main(int(sys.argv[1]), *sys.argv[2:6]))
