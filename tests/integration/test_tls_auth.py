"""TLS (STARTTLS and direct TLS, versions), the features offered, and SASL SCRAM by hand."""
import base64
import os
import ssl
import time
import warnings

import pytest

from conftest import Account
from raw_xmpp import (NS_SASL, NS_TLS, RawStream, fresh_source, local_name, q, tls_context,
                      tls_exporter, tls_server_end_point)
from xmpp_helpers import Clients, run, wait_for


def assert_can_sign_in(server, account, port_kind="c2s"):
    port = server.c2s_port if port_kind == "c2s" else server.tls_port
    with RawStream(port, direct_tls=(port_kind == "tls")) as s:
        jid = s.login(account.local, account.password, "check")
        assert jid == account.jid + "/check"


# ---- TLS --------------------------------------------------------------------------------

def test_features_before_tls_offer_only_required_starttls(server):
    with RawStream(server.c2s_port) as s:
        features = s.open_stream()
        assert s.stream_attrs.get("from") == "localhost"
        assert s.stream_attrs.get("version") == "1.0"
        assert s.stream_attrs.get("id"), "the stream header needs an id"
        children = list(features)
        assert [c.tag for c in children] == [q(NS_TLS, "starttls")], \
            "only <starttls/> may be offered before TLS"
        assert [c.tag for c in children[0]] == [q(NS_TLS, "required")]


def test_starttls_reaches_bound_session(server, users):
    alice = users.new("alice")
    with RawStream(server.c2s_port) as s:
        s.open_stream()
        s.starttls()
        assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert s.features.find(q(NS_TLS, "starttls")) is None, "no STARTTLS offer inside TLS"
        result = s.auth(alice.local, alice.password, "SCRAM-SHA-256")
        assert result.tag == q(NS_SASL, "success")
        assert s.bind("desk") == alice.jid + "/desk"


def test_direct_tls_reaches_bound_session(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
        s.open_stream()
        assert s.features.find(q(NS_TLS, "starttls")) is None
        result = s.auth(alice.local, alice.password, "SCRAM-SHA-256")
        assert result.tag == q(NS_SASL, "success")
        assert s.bind("tab") == alice.jid + "/tab"


def test_slixmpp_signs_in_over_starttls_and_direct_tls(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            a = await cs.start(alice, "starttls")
            b = await cs.start(alice, "direct", direct_tls=True)
            assert str(a.boundjid) == alice.jid + "/starttls"
            assert str(b.boundjid) == alice.jid + "/direct"

    run(body(), 40)


@pytest.mark.parametrize("port_kind", ["starttls", "direct"])
def test_tls_1_1_and_lower_refused(server, port_kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = tls_context(min_version=ssl.TLSVersion.TLSv1,
                             max_version=ssl.TLSVersion.TLSv1_1, legacy=True)
    with pytest.raises(ssl.SSLError) as info:
        if port_kind == "direct":
            RawStream(server.tls_port, direct_tls=True, ssl_context=legacy).close()
        else:
            with RawStream(server.c2s_port) as s:
                s.open_stream()
                s.starttls(ssl_context=legacy)
    # The refusal must come from the server (a protocol-version alert), not from this client
    # having no protocol to offer.
    assert "NO_PROTOCOLS_AVAILABLE" not in str(info.value)
    assert "PROTOCOL_VERSION" in str(info.value) or "UNSUPPORTED_PROTOCOL" in str(info.value)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_accepted(server, version):
    ctx = tls_context(min_version=version, max_version=version)
    with RawStream(server.tls_port, direct_tls=True, ssl_context=ctx) as s:
        assert s.sock.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                    ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        cipher = s.sock.cipher()[0]
        assert "GCM" in cipher or "CHACHA20" in cipher, "AEAD suites only, got %s" % cipher
        s.open_stream()
        assert "SCRAM-SHA-256" in s.mechanisms()


def test_mechanisms_after_tls(server):
    for port, direct in ((server.c2s_port, False), (server.tls_port, True)):
        with RawStream(port, direct_tls=direct) as s:
            s.secure()
            mechs = s.mechanisms()
            for m in ("SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"):
                assert m in mechs, "%s not offered (got %s)" % (m, mechs)
            assert "PLAIN" not in mechs, "PLAIN must be off by default"
            cb = s.features.find(q("urn:xmpp:sasl-cb:0", "sasl-channel-binding"))
            assert cb is not None, "XEP-0440 channel-binding types are not advertised"
            types = {c.get("type") for c in cb}
            if s.sock.version() == "TLSv1.3":
                assert "tls-exporter" in types, types


# ---- SCRAM by hand ----------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_scram_by_hand(server, users, mechanism):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.open_stream()
        # auth() verifies the server signature (v=) in <success/>: mutual authentication.
        result = s.auth(alice.local, alice.password, mechanism)
        assert result.tag == q(NS_SASL, "success"), result
        # A restarted stream offers binding, no more mechanisms.
        assert s.features.find(q(NS_SASL, "mechanisms")) is None
        assert s.features.find(q("urn:ietf:params:xml:ns:xmpp-bind", "bind")) is not None
        assert s.bind().startswith(alice.jid + "/")


def test_scram_sha_256_plus_tls_exporter(server, users):
    alice = users.new("alice")
    ctx = tls_context(min_version=ssl.TLSVersion.TLSv1_3)
    with RawStream(server.tls_port, direct_tls=True, ssl_context=ctx) as s:
        data = tls_exporter(s.sock)
        # Debian 12's Python links the system OpenSSL, whose exporter the helper calls.
        assert data is not None, "could not export TLS keying material from this Python"
        s.open_stream()
        result = s.auth(alice.local, alice.password, "SCRAM-SHA-256-PLUS",
                        cb_type="tls-exporter", cb_data=data)
        assert result.tag == q(NS_SASL, "success"), result
        assert s.bind("plus") == alice.jid + "/plus"


def test_scram_sha_256_plus_tls_server_end_point_on_tls12(server, users):
    alice = users.new("alice")
    ctx = tls_context(max_version=ssl.TLSVersion.TLSv1_2)
    with RawStream(server.c2s_port) as s:
        s.open_stream()
        s.starttls(ssl_context=ctx)
        assert s.sock.version() == "TLSv1.2"
        assert "SCRAM-SHA-256-PLUS" in s.mechanisms()
        result = s.auth(alice.local, alice.password, "SCRAM-SHA-256-PLUS",
                        cb_type="tls-server-end-point", cb_data=tls_server_end_point(s.sock))
        assert result.tag == q(NS_SASL, "success"), result


def test_scram_plus_wrong_channel_binding_is_not_authorized(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source()) as s:
        s.open_stream()
        result = s.auth(alice.local, alice.password, "SCRAM-SHA-256-PLUS",
                        cb_type="tls-exporter", cb_data=os.urandom(32))
        assert result.tag == q(NS_SASL, "failure")
        assert [local_name(c.tag) for c in result if local_name(c.tag) != "text"] == \
            ["not-authorized"]
    assert_can_sign_in(server, alice, "tls")


# ---- failures ---------------------------------------------------------------------------

def sasl_failure_condition(el):
    assert el.tag == q(NS_SASL, "failure"), "expected <failure/>, got %s" % el.tag
    conds = [local_name(c.tag) for c in el if local_name(c.tag) != "text"]
    assert len(conds) == 1, conds
    return conds[0]


def test_wrong_password_not_authorized(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source()) as s:
        s.open_stream()
        result = s.auth(alice.local, alice.password + "x", "SCRAM-SHA-256")
        assert sasl_failure_condition(result) == "not-authorized"
    assert_can_sign_in(server, alice)


def test_username_cannot_forge_log_lines(server, users):
    """A SCRAM username may hold quotes and newlines: the log shows it escaped on one line."""
    forged = "2026-01-01T00:00:00.000+00:00 level=info event=auth_ok user=admin@localhost"
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source()) as s:
        s.open_stream()
        result = s.auth('x" host=evil\n' + forged, "whatever", "SCRAM-SHA-256")
        assert sasl_failure_condition(result) == "not-authorized"
    time.sleep(0.3)
    log = "".join((server.data_dir / f).read_text(errors="replace")
                  for f in ("stdout.log", "stderr.log"))
    assert 'host=evil\\x0a' + forged in log, "the attempt is logged, escaped"
    assert not any(line.startswith(forged) for line in log.splitlines())


def test_unknown_user_not_authorized(server, users):
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source()) as s:
        s.open_stream()
        result = s.auth("nobody-such-user", "whatever", "SCRAM-SHA-1")
        # The same answer as a wrong password: probing cannot tell accounts apart.
        assert sasl_failure_condition(result) == "not-authorized"
    assert_can_sign_in(server, alice)


def test_auth_before_tls_encryption_required(server, users):
    alice = users.new("alice")
    with RawStream(server.c2s_port) as s:
        s.open_stream()
        initial = base64.b64encode(b"n,,n=%s,r=abcdefgh" % alice.local.encode()).decode()
        s.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>" % (NS_SASL, initial))
        result = s.next()
        assert sasl_failure_condition(result) == "encryption-required"
    assert_can_sign_in(server, alice)


def test_slixmpp_wrong_password_fails(server, users):
    alice = users.new("alice")

    async def body():
        async with Clients(server) as cs:
            bad = cs.make(Account(alice.local, alice.jid, "not-the-password"))
            bad.connect(("127.0.0.1", server.c2s_port), force_starttls=True)
            assert await wait_for(lambda: bad.failed_auth, 20), "auth should have failed"
            assert not bad.session_started.is_set()
            bad.disconnect()
            good = await cs.start(alice, "after")
            assert good.session_started.is_set()

    run(body(), 60)


def test_repeated_failures_are_slowed_down_then_the_stream_closed(server, users):
    """Each failure from the same address is answered later than the one before; after the
    configured maximum (5) on one connection the stream is closed with <policy-violation/>.
    The right password is then answered after the same wait (timing tells nothing) and does
    not clear the address's count (or an attacker's own account would reset it)."""
    alice = users.new("alice")
    source = fresh_source()
    durations = []
    with RawStream(server.tls_port, direct_tls=True, timeout=30, source=source) as s:
        s.open_stream()
        for _ in range(5):
            started = time.monotonic()
            result = s.auth(alice.local, "wrong", "SCRAM-SHA-256")
            durations.append(time.monotonic() - started)
            assert sasl_failure_condition(result) == "not-authorized"
        cond, _, _ = s.stream_error(timeout=10)
        assert cond == "policy-violation", cond
    assert durations == sorted(durations), "failure answers must slow down: %s" % durations
    assert durations[2] >= 0.5, durations
    assert durations[-1] > 2 * durations[0], durations
    with RawStream(server.tls_port, direct_tls=True, timeout=30, source=source) as s:
        s.open_stream()
        started = time.monotonic()
        assert s.auth(alice.local, alice.password).tag == q(NS_SASL, "success")
        right = time.monotonic() - started
        assert right >= durations[-1] * 0.9, (right, durations)
    with RawStream(server.tls_port, direct_tls=True, timeout=30, source=source) as s:
        s.open_stream()
        started = time.monotonic()
        assert sasl_failure_condition(s.auth(alice.local, "wrong")) == "not-authorized"
        assert time.monotonic() - started >= durations[-1] * 0.9
    # Another address is not slowed down by this one's failures.
    started = time.monotonic()
    assert_can_sign_in(server, alice)
    assert time.monotonic() - started < durations[-1]
