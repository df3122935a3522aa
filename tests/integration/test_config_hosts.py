"""Production mode (`rampartd --config FILE`): two virtual hosts (tenants) with a certificate
each chosen by SNI, tenant isolation, PLAIN when configured, XEP-0092 when enabled, and
configuration errors that name the key to fix."""
import base64
import json
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from conftest import RAMPARTCTL, RAMPARTD, RampartServer
from raw_xmpp import account_password, NS_SASL, NS_TLS, RawStream, local_name, q, stanza_error_condition, tls_context

NS_CLIENT = "jabber:client"
NS_VERSION = "jabber:iq:version"


def make_cert(directory, name):
    cert, key = directory / (name + ".pem"), directory / (name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=DNS:%s" % name, "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class ConfigServer(RampartServer):
    """rampartd started from a TOML file instead of --dev."""

    def __init__(self, data_dir, config_file, host):
        super().__init__(data_dir, host)
        self.config_file = config_file

    def command(self):
        return [RAMPARTD, "--config", str(self.config_file)]

    def ctl(self, *args, timeout=30):
        return subprocess.run([RAMPARTCTL, "--config", str(self.config_file), *args],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)


def write_config(tmp, extra=""):
    data = tmp / "data"
    data.mkdir(exist_ok=True)
    default_cert, default_key = make_cert(tmp, "default.test")
    a_cert, a_key = make_cert(tmp, "a.test")
    b_cert, b_key = make_cert(tmp, "b.test")
    text = f"""
[server]
data_dir = "{data}"
log_level = "info"

[tls]
certificate = "{default_cert}"
private_key = "{default_key}"

[c2s.starttls]
addresses = ["127.0.0.1"]
port = 0
[c2s.direct_tls]
addresses = ["127.0.0.1"]
port = 0

[https]
addresses = ["127.0.0.1"]
port = 0

[admin]
addresses = ["127.0.0.1"]
port = 0

[sasl]
allow_plain = true

[[hosts]]
name = "a.test"
display_name = "Acme & Co <Shanghai> 上海"
certificate = "{a_cert}"
private_key = "{a_key}"

[[hosts]]
name = "b.test"
certificate = "{b_cert}"
private_key = "{b_key}"

[modules.version]
enabled = true
name = "Rampart-test"
{extra}
"""
    path = tmp / "rampart.toml"
    path.write_text(text)
    return path, data


@pytest.fixture(scope="module")
def tenants(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("config")
    path, data = write_config(tmp)
    s = ConfigServer(data, path, "a.test").start()
    for jid in ("alice@a.test", "bob@a.test", "carol@b.test"):
        r = s.ctl("user", "add", jid, account_password(jid))
        assert r.returncode == 0, (r.stdout, r.stderr)
    yield s
    if s.running():
        s.stop()


def peer_cn(sock):
    der = sock.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"],
                         input=der, capture_output=True, check=True).stdout.decode()
    return out.strip().split("CN", 1)[1].lstrip(" =")


def login(server, local, host, resource="r", direct=False):
    s = RawStream(server.tls_port if direct else server.c2s_port, direct_tls=direct, host=host)
    s.login(local, account_password("%s@%s" % (local, host)), resource)
    s.send("<presence/>")
    return s


def test_first_host_gets_the_administrators(tenants):
    assert tenants.printed_passwords and set(tenants.printed_passwords) == {
        "sysadmin@a.test", "secadmin@a.test", "auditor@a.test"}, tenants.printed_passwords


def test_sni_selects_each_hosts_certificate_on_direct_tls(tenants):
    for host in ("a.test", "b.test"):
        with RawStream(tenants.tls_port, direct_tls=True, host=host) as s:
            assert peer_cn(s.sock) == host


def test_starttls_presents_the_certificate_of_the_stream_host(tenants):
    for host in ("a.test", "b.test"):
        with RawStream(tenants.c2s_port, host=host) as s:
            s.open_stream()
            s.starttls()
            assert peer_cn(s.sock) == host


def test_unknown_sni_gets_the_default_certificate(tenants):
    with RawStream(tenants.tls_port, direct_tls=True, host="other.test") as s:
        assert peer_cn(s.sock) == "default.test"


def test_users_of_one_host_cannot_sign_in_to_another(tenants):
    with RawStream(tenants.c2s_port, host="b.test") as s:
        s.secure()
        result = s.auth("alice", account_password("pw-alice@a.test"), "SCRAM-SHA-256")
        assert local_name(result.tag) == "failure"
        assert [local_name(c.tag) for c in result] == ["not-authorized"]


def test_same_host_message_is_delivered(tenants):
    with login(tenants, "alice", "a.test") as alice, login(tenants, "bob", "a.test") as bob:
        alice.send("<message to='bob@a.test' type='chat' id='m1'><body>hi bob</body></message>")
        m = bob.expect(lambda e: local_name(e.tag) == "message")
        assert m.find("{%s}body" % NS_CLIENT).text == "hi bob"
        assert m.get("from") == "alice@a.test/r"


def test_tenants_are_isolated(tenants):
    """A message, a subscription request and an IQ to another tenant's user are bounced with
    <remote-server-not-found/> and never reach that user (cross_host_traffic = false)."""
    with login(tenants, "alice", "a.test") as alice, login(tenants, "carol", "b.test") as carol:
        alice.send("<message to='carol@b.test' type='chat' id='x1'><body>leak?</body></message>")
        err = alice.expect(lambda e: e.get("id") == "x1")
        assert err.get("type") == "error"
        assert stanza_error_condition(err) == "remote-server-not-found"

        alice.send("<presence to='carol@b.test' type='subscribe' id='x2'/>")
        err = alice.expect(lambda e: e.get("id") == "x2")
        assert err.get("type") == "error"
        assert stanza_error_condition(err) == "remote-server-not-found"

        reply = alice.iq("<ping xmlns='urn:xmpp:ping'/>", to="carol@b.test/r")
        assert reply.get("type") == "error"
        assert stanza_error_condition(reply) == "remote-server-not-found"

        # Carol saw none of it; her own host still answers her.
        pong = carol.iq("<ping xmlns='urn:xmpp:ping'/>", to="b.test")
        assert pong.get("type") == "result"
        leaked = [e for e in carol.queue if local_name(e.tag) in ("message", "presence")
                  and (e.get("from") or "").endswith("a.test/r")]
        assert leaked == []


def test_plain_offered_only_inside_tls_when_configured(tenants):
    with RawStream(tenants.c2s_port, host="a.test") as s:
        s.open_stream()
        assert s.mechanisms() == [], "no mechanism before TLS"
        s.starttls()
        assert "PLAIN" in s.mechanisms()
        payload = base64.b64encode(b"\0alice\0" + account_password("alice@a.test").encode()).decode()
        s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, payload))
        assert s.next().tag == q(NS_SASL, "success")
        s.open_stream()
        assert s.bind("plain") == "alice@a.test/plain"


def test_plain_wrong_password_is_not_authorized(tenants):
    with RawStream(tenants.c2s_port, host="a.test") as s:
        s.secure()
        payload = base64.b64encode(b"\0bob\0wrong").decode()
        s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, payload))
        el = s.next()
        assert el.tag == q(NS_SASL, "failure")
        assert [local_name(c.tag) for c in el] == ["not-authorized"]


def test_version_when_enabled(tenants):
    with login(tenants, "bob", "a.test") as bob:
        reply = bob.iq("<query xmlns='%s'/>" % NS_VERSION, to="a.test")
        assert reply.get("type") == "result"
        query = reply.find("{%s}query" % NS_VERSION)
        assert query.find("{%s}name" % NS_VERSION).text == "Rampart-test"
        assert query.find("{%s}version" % NS_VERSION).text


def test_rampartctl_with_config_lists_each_host(tenants):
    a = tenants.ctl("user", "list", "a.test")
    b = tenants.ctl("user", "list", "b.test")
    assert a.returncode == 0 and b.returncode == 0
    assert set(a.stdout.split()) == {"sysadmin@a.test", "secadmin@a.test", "auditor@a.test",
                                     "alice@a.test", "bob@a.test"}
    assert set(b.stdout.split()) == {"carol@b.test"}
    status = tenants.ctl("status")
    assert status.returncode == 0, status.stderr


def test_web_client_names_each_tenant(tenants):
    """hosts[].display_name is the tenant's name on the web client's page (escaped); a host
    without one shows its domain (the page's own fallback)."""
    import http.client
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def page(host):
        conn = http.client.HTTPSConnection("127.0.0.1", tenants.https_port, timeout=10,
                                           context=ctx)
        try:
            conn.request("GET", "/chat/", headers={"Host": host})
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()
    status, html = page("a.test")
    assert status == 200
    assert 'data-domain="a.test"' in html
    assert 'data-tenant-name="Acme &amp; Co &lt;Shanghai&gt; 上海"' in html
    status, html = page("b.test")
    assert 'data-domain="b.test"' in html and 'data-tenant-name=""' in html


@pytest.mark.parametrize("extra, key", [
    ("[c2s]\nmax_stanza_bytes = 5\n", "max_stanza_bytes"),
    ("[sasl]\nbogus_option = 1\n", "bogus_option"),
    ("[modules.version]\nenabled = \"yes\"\n", "enabled"),
    ("[[content_security.rules]]\nname = \"dup\"\nkeywords = [\"a\"]\n"
     "[[content_security.rules]]\nname = \"dup\"\nkeywords = [\"b\"]\n",
     "two rules are named 'dup'"),
])
def test_config_errors_name_the_key_and_stop_the_start(tmp_path, extra, key):
    path, _ = write_config(tmp_path)
    text = path.read_text()
    if extra.startswith("[sasl]"):
        text = text.replace("[sasl]\n", extra)
    elif extra.startswith("[modules.version]"):
        text = text.replace("[modules.version]\nenabled = true\n", extra)
    else:
        text += extra
    path.write_text(text)
    r = subprocess.run([RAMPARTD, "--config", str(path)], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert key in (r.stdout + r.stderr)
