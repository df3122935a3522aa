"""Makes two accounts mutual contacts with slixmpp (the browser test starts from there)."""
import asyncio
import ssl
import sys

import slixmpp


class C(slixmpp.ClientXMPP):
    def __init__(self, jid, pw):
        super().__init__(jid, pw)
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.ready = asyncio.Event()
        self.add_event_handler("session_start", lambda e: self.ready.set())
        self.auto_authorize = True
        self.auto_subscribe = True


async def main(port, a_jid, a_pw, b_jid, b_pw):
    a, b = C(a_jid, a_pw), C(b_jid, b_pw)
    for c in (a, b):
        c.connect(("127.0.0.1", port), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.ready.wait(), b.ready.wait()), 20)
    for c in (a, b):
        await c.get_roster()
        c.send_presence()
    a.send_presence(pto=b_jid, ptype="subscribe")
    b.send_presence(pto=a_jid, ptype="subscribe")
    for _ in range(100):
        ra, rb = a.client_roster[b_jid], b.client_roster[a_jid]
        if ra["subscription"] == "both" and rb["subscription"] == "both":
            break
        await asyncio.sleep(0.1)
    else:
        raise SystemExit("subscriptions did not complete")
    for c in (a, b):
        c.disconnect()
    await asyncio.sleep(0.3)


asyncio.run(main(int(sys.argv[1]), *sys.argv[2:6]))
