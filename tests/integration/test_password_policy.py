"""Password policy per tenant (MLPS 8.1.4.1 a; NIST SP 800-63B): the mlps and nist profiles,
applied through rampartctl and XEP-0077 password change from an XMPP client; refusals name
the rule; history; a password past its maximum age gets a SASL failure that says so."""
import sqlite3
import time

import pytest

from raw_xmpp import NS_CLIENT, NS_SASL, RawStream, q, stanza_error_condition
from test_config_hosts import ConfigServer, write_config

NS_REGISTER = "jabber:iq:register"


@pytest.fixture(scope="module")
def policy_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("policy")
    extra = """
[[hosts]]
name = "n.test"
[hosts.account_security]
password_profile = "nist"
"""
    path, data = write_config(tmp, extra)
    s = ConfigServer(data, path, "a.test").start()
    yield s
    if s.running():
        s.stop()


def refused(server, *args):
    r = server.ctl(*args)
    assert r.returncode == 1, (args, r.stdout, r.stderr)
    return r.stderr


def accepted(server, *args):
    r = server.ctl(*args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)


def sign_in(server, local, host, password):
    with RawStream(server.tls_port, direct_tls=True, host=host) as s:
        s.secure()
        return s.auth(local, password, "SCRAM-SHA-256", restart=False)


def test_mlps_profile_refusals_name_their_rule(policy_server):
    s = policy_server
    assert "at least 8 characters" in refused(s, "user", "add", "m1@a.test", "Ab1-xyz")
    assert "at least 3 of" in refused(s, "user", "add", "m1@a.test", "lowercase-only")
    assert "account name" in refused(s, "user", "add", "marigold@a.test", "Marigold-77x")
    assert "domain" in refused(s, "user", "add", "m1@a.test", "My-a.test-Pw9")
    assert "commonly used" in refused(s, "user", "add", "m1@a.test", "Front242")
    assert "too easy to guess" in refused(s, "user", "add", "m1@a.test", "Abcdefgh1")
    accepted(s, "user", "add", "m1@a.test", "Kx9-violet-Quartz")
    # Nothing was created by the refused attempts but the last.
    listed = s.ctl("user", "list", "a.test").stdout.split()
    assert "m1@a.test" in listed and "marigold@a.test" not in listed
    audit = s.ctl("audit", "tail", "-n", "20").stdout
    assert "user.create marigold@a.test failure: the password must not contain the account name" \
        in audit


def test_history_refuses_reuse(policy_server):
    s = policy_server
    accepted(s, "user", "add", "h1@a.test", "Kx9-first-Quartz")
    accepted(s, "user", "passwd", "h1@a.test", "Kx9-second-Quartz")
    assert "last 5 passwords" in refused(s, "user", "passwd", "h1@a.test", "Kx9-first-Quartz")
    assert "last 5 passwords" in refused(s, "user", "passwd", "h1@a.test", "Kx9-second-Quartz")
    accepted(s, "user", "passwd", "h1@a.test", "Kx9-third-Quartz")
    assert sign_in(s, "h1", "a.test", "Kx9-third-Quartz").tag == q(NS_SASL, "success")


def test_nist_profile_wants_length_not_composition(policy_server):
    s = policy_server
    assert "at least 15 characters" in refused(s, "user", "add", "n1@n.test", "Kx9-Quartz-7!")
    # Fifteen lower-case letters and spaces: no composition rules under nist.
    accepted(s, "user", "add", "n1@n.test", "violet quartz river")
    assert sign_in(s, "n1", "n.test", "violet quartz river").tag == q(NS_SASL, "success")
    # No history under nist: the same password may be set again.
    accepted(s, "user", "passwd", "n1@n.test", "violet quartz river")


def register_change(stream, username, password, id_="chg"):
    stream.send("<iq type='set' id='%s'><query xmlns='%s'><username>%s</username>"
                "<password>%s</password></query></iq>" % (id_, NS_REGISTER, username, password))
    return stream.expect(lambda e: e.tag == q(NS_CLIENT, "iq") and e.get("id") == id_)


def test_xep0077_password_change_obeys_the_policy(policy_server):
    s = policy_server
    accepted(s, "user", "add", "x1@a.test", "Kx9-old-Quartz")
    with RawStream(s.tls_port, direct_tls=True, host="a.test") as c:
        c.login("x1", "Kx9-old-Quartz", "r")
        form = c.iq("<query xmlns='%s'/>" % NS_REGISTER)
        assert form.get("type") == "result"
        query = form.find(q(NS_REGISTER, "query"))
        assert query.find(q(NS_REGISTER, "registered")) is not None
        assert query.findtext(q(NS_REGISTER, "username")) == "x1"
        weak = register_change(c, "x1", "short", "w1")
        assert weak.get("type") == "error" and stanza_error_condition(weak) == "not-acceptable"
        text = weak.find(".//{urn:ietf:params:xml:ns:xmpp-stanzas}text").text
        assert "at least 8 characters" in text
        other = register_change(c, "someone-else", "Kx9-new-Quartz", "w2")
        assert stanza_error_condition(other) == "not-authorized"
        remove = c.iq("<query xmlns='%s'><remove/></query>" % NS_REGISTER, type_="set")
        assert stanza_error_condition(remove) == "not-allowed"
        ok = register_change(c, "x1", "Kx9-new-Quartz", "ok")
        assert ok.get("type") == "result"
    assert sign_in(s, "x1", "a.test", "Kx9-new-Quartz").tag == q(NS_SASL, "success")
    failure = sign_in(s, "x1", "a.test", "Kx9-old-Quartz")
    assert failure.tag == q(NS_SASL, "failure")
    assert "user.password x1@a.test success" in s.ctl("audit", "tail", "-n", "5").stdout


def test_expired_password_gets_credentials_expired(policy_server):
    s = policy_server
    accepted(s, "user", "add", "old1@a.test", "Kx9-aged-Quartz")
    app = s.ctl("device", "add", "old1@a.test", "Phone").stdout.strip()
    # The password was set 91 days ago (mlps maximum age: 90 days): the server's clock cannot
    # be moved, so the recorded change time is.
    db = sqlite3.connect(str(s.data_dir / "rampart.db"), timeout=10)
    with db:
        db.execute("UPDATE account_state SET password_changed = ? WHERE host='a.test' AND "
                   "user='old1'", (int((time.time() - 91 * 86400) * 1000),))
    db.close()
    failure = sign_in(s, "old1", "a.test", "Kx9-aged-Quartz")
    assert failure.tag == q(NS_SASL, "failure")
    assert failure.find(q(NS_SASL, "credentials-expired")) is not None
    assert "maximum of 90 days" in failure.findtext(q(NS_SASL, "text"))
    # A device credential is not the password: it keeps working.
    assert sign_in(s, "old1", "a.test", app).tag == q(NS_SASL, "success")
    # Setting a new password (here by the administrator) ends the expiry.
    accepted(s, "user", "passwd", "old1@a.test", "Kx9-fresh-Quartz")
    assert sign_in(s, "old1", "a.test", "Kx9-fresh-Quartz").tag == q(NS_SASL, "success")


def test_an_app_password_session_cannot_replace_the_password(policy_server):
    s = policy_server
    accepted(s, "user", "add", "d1@a.test", "Kx9-main-Quartz")
    app = s.ctl("device", "add", "d1@a.test", "Phone").stdout.strip()
    with RawStream(s.tls_port, direct_tls=True, host="a.test") as c:
        c.login("d1", app, "phone")
        r = register_change(c, "d1", "Kx9-taken-Quartz")
        assert r.get("type") == "error" and stanza_error_condition(r) == "not-allowed"
    assert sign_in(s, "d1", "a.test", "Kx9-main-Quartz").tag == q(NS_SASL, "success")
