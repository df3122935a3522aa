"""End-to-end encryption carried by Rampart: OMEMO (urn:xmpp:omemo:2, python-omemo with the
twomemo backend from Debian) over slixmpp. Two accounts, one of them with two devices, exchange
encrypted messages 1:1 and in a members-only room; every device decrypts; afterwards the
server's database files and archives hold only ciphertext."""
import asyncio
import os
import secrets
import time
import xml.etree.ElementTree as ET

import omemo
import twomemo
import twomemo.etree
from omemo.storage import Just, Maybe, Nothing
from omemo.types import DeviceInformation, TrustLevel
from slixmpp.plugins.xep_0004.stanza import Form

from raw_xmpp import account_password, NS_CLIENT, q
from xmpp_helpers import Clients, run, wait_for

NS_OMEMO = twomemo.twomemo.NAMESPACE
DEVICES_NODE = NS_OMEMO + ":devices"
BUNDLES_NODE = NS_OMEMO + ":bundles"
MUC = "conference.localhost"


class MemoryStorage(omemo.Storage):
    def __init__(self):
        super().__init__()
        self.data = {}

    async def _load(self, key: str) -> Maybe:
        return Just(self.data[key]) if key in self.data else Nothing()

    async def _store(self, key, value):
        self.data[key] = value

    async def _delete(self, key):
        self.data.pop(key, None)


def open_options(max_items=None):
    form = Form()
    form["type"] = "submit"
    form.add_field(var="FORM_TYPE", ftype="hidden",
                   value="http://jabber.org/protocol/pubsub#publish-options")
    form.add_field(var="pubsub#access_model", value="open")
    if max_items:
        form.add_field(var="pubsub#max_items", value=max_items)
    return form


class Device(omemo.SessionManager):
    """python-omemo's session manager, talking to Rampart through one slixmpp client."""
    client = None  # set before create()

    @classmethod
    async def for_client(cls, client):
        cls_ = type("DeviceFor" + client.boundjid.resource, (cls,), {"client": client})
        return await cls_.create([twomemo.Twomemo(MemoryStorage())], MemoryStorage(),
                                 client.boundjid.bare, client.boundjid.resource, "undecided")

    async def _upload_bundle(self, bundle):
        elem = twomemo.etree.serialize_bundle(bundle)
        await self.client["xep_0060"].publish(self.client.boundjid.bare, BUNDLES_NODE,
                                              id=str(bundle.device_id), payload=elem,
                                              options=open_options("max"))

    async def _download_bundle(self, namespace, bare_jid, device_id):
        iq = await self.client["xep_0060"].get_item(bare_jid, BUNDLES_NODE, str(device_id))
        item = iq.xml.find(".//{http://jabber.org/protocol/pubsub}item")
        return twomemo.etree.parse_bundle(item[0], bare_jid, device_id)

    async def _delete_bundle(self, namespace, device_id):
        pass

    async def _upload_device_list(self, namespace, device_list):
        elem = twomemo.etree.serialize_device_list(device_list)
        await self.client["xep_0060"].publish(self.client.boundjid.bare, DEVICES_NODE,
                                              id="current", payload=elem,
                                              options=open_options())

    async def _download_device_list(self, namespace, bare_jid):
        try:
            iq = await self.client["xep_0060"].get_items(bare_jid, DEVICES_NODE)
        except Exception:  # no node yet: an empty list (XEP-0384 section 5.3.1)
            return {}
        item = iq.xml.find(".//{http://jabber.org/protocol/pubsub}item")
        return twomemo.etree.parse_device_list(item[0]) if item is not None else {}

    async def _evaluate_custom_trust_level(self, device: DeviceInformation) -> TrustLevel:
        return TrustLevel.TRUSTED if device.trust_level_name == "trusted" else TrustLevel.UNDECIDED

    async def _make_trust_decision(self, undecided, identifier):
        for d in undecided:  # blind trust before verification, as clients do by default
            await self.set_trust(d.bare_jid, d.identity_key, "trusted")

    async def _send_message(self, message, bare_jid):
        m = self.client.make_message(mto=bare_jid, mtype="chat")
        m.append(twomemo.etree.serialize_message(message))
        m.send()


def envelope(text):
    return ("<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>%s</body>"
            "</content><rpad>%s</rpad></envelope>" % (text, secrets.token_hex(4))).encode()


async def encrypt_to(device, recipients, text):
    messages, errors = await device.encrypt(frozenset(recipients), {NS_OMEMO: envelope(text)})
    assert not errors, errors
    (message,) = [m for m in messages if m.namespace == NS_OMEMO]
    return twomemo.etree.serialize_message(message)


async def decrypt_from(device, encrypted_elem, sender_bare):
    message = twomemo.etree.parse_message(encrypted_elem, sender_bare)
    plaintext, info, _ = await device.decrypt(message)
    return plaintext.decode() if plaintext else None


def encrypted_of(msg_xml):
    return msg_xml.find(".//{%s}encrypted" % NS_OMEMO)


def test_omemo_one_to_one_and_members_only_room(fresh_server):
    srv = fresh_server
    srv.add_user("alice@localhost", account_password("pw-alice"))
    srv.add_user("bob@localhost", account_password("pw-bob"))
    secret_11 = "one-to-one secret " + secrets.token_hex(8)
    secret_reply = "reply secret " + secrets.token_hex(8)
    secret_room = "room secret " + secrets.token_hex(8)
    room = "omemo-room@" + MUC

    class Acc:
        def __init__(self, local, pw):
            self.local, self.jid, self.password = local, local + "@localhost", pw

    alice, bob = Acc("alice", account_password("pw-alice")), Acc("bob", account_password("pw-bob"))

    async def body():
        async with Clients(srv) as cs:
            def make(acc, res, prio):
                c = cs.make(acc, res)
                for p in ("xep_0060", "xep_0280", "xep_0045", "xep_0313"):
                    c.register_plugin(p)
                return c

            phone, laptop, desk = make(alice, "phone", 5), make(alice, "laptop", 1), \
                make(bob, "desk", 1)
            for c, prio in ((phone, 5), (laptop, 1), (desk, 1)):
                await c.start(priority=prio)
                await c["xep_0280"].enable()
            inbox = {c: [] for c in (phone, laptop, desk)}
            for c in inbox:
                c.add_event_handler("message", lambda m, c=c: inbox[c].append(("in", m.xml)))
                c.add_event_handler("carbon_received", lambda m, c=c: inbox[c].append(
                    ("in", m["carbon_received"].xml)))
                c.add_event_handler("carbon_sent", lambda m, c=c: inbox[c].append(
                    ("sent", m["carbon_sent"].xml)))
                c.add_event_handler("groupchat_message",
                                    lambda m, c=c: inbox[c].append(("room", m.xml)))
            # Each device publishes its bundle and joins its account's device list.
            d_phone = await Device.for_client(phone)
            d_laptop = await Device.for_client(laptop)
            d_desk = await Device.for_client(desk)
            for d in (d_phone, d_laptop):
                await d.refresh_device_list(NS_OMEMO, alice.jid)
                await d.refresh_device_list(NS_OMEMO, bob.jid)
            await d_desk.refresh_device_list(NS_OMEMO, alice.jid)

            def encrypted_arrivals(c, kind):
                return [x for k, x in inbox[c] if k == kind and encrypted_of(x) is not None]

            # 1:1: alice's phone to bob; bob's desk and alice's laptop (a <sent/> carbon) decrypt.
            elem = await encrypt_to(d_phone, [bob.jid], secret_11)
            m = phone.make_message(mto=bob.jid, mtype="chat",
                                   mbody="This message is encrypted with OMEMO.")
            m.append(elem)
            m.append(ET.Element("{urn:xmpp:hints}store"))
            m.send()
            assert await wait_for(lambda: encrypted_arrivals(desk, "in"), 15)
            assert await decrypt_from(d_desk, encrypted_of(encrypted_arrivals(desk, "in")[0]),
                                      alice.jid) == envelope_text(secret_11)
            assert await wait_for(lambda: encrypted_arrivals(laptop, "sent"), 15)
            assert await decrypt_from(
                d_laptop, encrypted_of(encrypted_arrivals(laptop, "sent")[0]),
                alice.jid) == envelope_text(secret_11)

            # Bob replies to alice's bare JID: the phone gets it, the laptop a <received/> carbon.
            await d_desk.refresh_device_list(NS_OMEMO, alice.jid)
            elem = await encrypt_to(d_desk, [alice.jid], secret_reply)
            m = desk.make_message(mto=alice.jid, mtype="chat",
                                  mbody="This message is encrypted with OMEMO.")
            m.append(elem)
            m.send()
            for dev, c in ((d_phone, phone), (d_laptop, laptop)):
                assert await wait_for(lambda c=c: [
                    x for k, x in inbox[c] if k == "in" and encrypted_of(x) is not None
                    and x.get("from", "").startswith(bob.jid)], 15)
                got = [x for k, x in inbox[c] if k == "in" and encrypted_of(x) is not None
                       and x.get("from", "").startswith(bob.jid)][-1]
                assert await decrypt_from(dev, encrypted_of(got), bob.jid) == \
                    envelope_text(secret_reply)

            # A members-only, non-anonymous room (what OMEMO in groups needs).
            await phone["xep_0045"].join_muc_wait(room, "alice-phone", maxstanzas=0)
            form = await phone["xep_0045"].get_room_config(room)
            cfg = Form()
            cfg["type"] = "submit"
            cfg.add_field(var="FORM_TYPE", value="http://jabber.org/protocol/muc#roomconfig")
            cfg.add_field(var="muc#roomconfig_membersonly", value="1")
            cfg.add_field(var="muc#roomconfig_whois", value="anyone")
            cfg.add_field(var="muc#roomconfig_persistentroom", value="1")
            await phone["xep_0045"].set_room_config(room, cfg)
            await phone["xep_0045"].set_affiliation(room, "member", jid=bob.jid)
            await laptop["xep_0045"].join_muc_wait(room, "alice-laptop", maxstanzas=0)
            await desk["xep_0045"].join_muc_wait(room, "bob", maxstanzas=0)
            members = await desk["xep_0045"].get_affiliation_list(room, "member")
            owners = await desk["xep_0045"].get_affiliation_list(room, "owner")
            assert set(members) | set(owners) == {alice.jid, bob.jid}
            elem = await encrypt_to(d_phone, [bob.jid, alice.jid], secret_room)
            m = phone.make_message(mto=room, mtype="groupchat",
                                   mbody="This message is encrypted with OMEMO.")
            m.append(elem)
            m.send()
            for dev, c in ((d_desk, desk), (d_laptop, laptop)):
                assert await wait_for(lambda c=c: encrypted_arrivals(c, "room"), 15)
                assert await decrypt_from(dev, encrypted_of(encrypted_arrivals(c, "room")[-1]),
                                          alice.jid) == envelope_text(secret_room)

            # The archives hold the ciphertext (and serve it back to a device).
            await asyncio.sleep(0.5)
            res = await laptop["xep_0313"].retrieve(jid=alice.jid, with_jid=bob.jid)
            archived = [r["mam_result"]["forwarded"]["stanza"].xml for r in res["mam"]["results"]]
            assert len(archived) == 2 and all(encrypted_of(x) is not None for x in archived)
            room_res = await desk["xep_0313"].retrieve(jid=room)
            room_archived = [r["mam_result"]["forwarded"]["stanza"].xml
                             for r in room_res["mam"]["results"]]
            assert any(encrypted_of(x) is not None for x in room_archived)
            return [ET.tostring(x) for x in archived + room_archived]

    archived = run(body(), 120)
    time.sleep(0.5)
    srv.stop()
    # No plaintext anywhere in what the server stored, only ciphertext.
    blobs = b""
    for name in os.listdir(srv.data_dir):
        if name.startswith("rampart.db"):
            blobs += (srv.data_dir / name).read_bytes()
    assert blobs, "the database files were found"
    assert NS_OMEMO.encode() in blobs, "the encrypted messages were stored"
    for secret in (secret_11, secret_reply, secret_room):
        assert secret.encode() not in blobs, "plaintext '%s' found in the database" % secret
        assert all(secret.encode() not in a for a in archived)


def envelope_text(text):
    """What decrypt_from returns: the SCE envelope around the text (padding varies)."""
    class Match(str):
        def __eq__(self, other):
            return isinstance(other, str) and ("<body xmlns='jabber:client'>%s</body>" % text) in other
        __hash__ = str.__hash__
    return Match(text)
