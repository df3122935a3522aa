"""Hardening against hostile clients: no channel-binding downgrade (RFC 5802 section 6), sign-in
pacing that holds against parallel, impatient guessers, deadlines for every negotiation phase,
caps on connections that never finish negotiating, recovery from running out of descriptors,
strict HTTP/1.1 parsing with deadlines for slow bodies, /metrics for operators only, and a log
line for every security-relevant refusal."""
import base64
import email.utils
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import RAMPARTD
from raw_xmpp import (account_password, NS_SASL, NS_STREAM, RawStream, ScramClient, StreamClosed, fresh_source,
                      local_name, q, tls_context)
from test_config_hosts import ConfigServer, make_cert


def masked(address):
    """An IPv4 address as log lines show it (security/masking: two octets kept)."""
    return ".".join(address.split(".")[:2]) + ".*.*"


def sasl_condition(el):
    assert el.tag == q(NS_SASL, "failure"), el.tag
    return [local_name(c.tag) for c in el if local_name(c.tag) != "text"][0]


def write_config(tmp, c2s="", sasl="", https="", admin="", extra=""):
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    cert, key = make_cert(tmp, "localhost")
    path = tmp / "rampart.toml"
    path.write_text(f"""
[server]
data_dir = "{data}"
log_level = "info"

[tls]
certificate = "{cert}"
private_key = "{key}"

[c2s]
{c2s}
[c2s.starttls]
addresses = ["127.0.0.1"]
port = 0
[c2s.direct_tls]
addresses = ["127.0.0.1"]
port = 0

[sasl]
{sasl}

[https]
addresses = ["127.0.0.1"]
port = 0
{https}

[admin]
addresses = ["127.0.0.1"]
port = 0
{admin}

[[hosts]]
name = "localhost"
{extra}
""")
    return path, data


def start_config_server(tmp, prefix=None, **sections):
    path, data = write_config(tmp, **sections)
    s = ConfigServer(data, path, "localhost")
    if prefix:
        s.command = lambda: prefix + [RAMPARTD, "--config", str(path)]
    return s.start()


@pytest.fixture
def own(tmp_path):
    servers = []

    def make(**sections):
        s = start_config_server(tmp_path / ("s%d" % len(servers)), **sections)
        servers.append(s)
        return s
    yield make
    for s in servers:
        if s.running():
            s.stop()


# ---- SCRAM channel-binding downgrade ----------------------------------------------------

def test_y_flag_while_plus_is_offered_fails(server, users):
    """RFC 5802 section 6: "y" means the client thinks the server cannot bind; the server
    offers -PLUS, so somebody stripped it: fail, even with the right password."""
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source()) as s:
        s.open_stream()
        assert "SCRAM-SHA-256-PLUS" in s.mechanisms()
        assert sasl_condition(s.auth(alice.local, alice.password, gs2_flag="y")) == \
            "not-authorized"


def test_bogus_plus_attempt_then_y_flag_still_fails(server, users):
    """The attack: a man in the middle first sends a -PLUS attempt naming a type the server
    does not support, then the victim's "y" exchange. Both fail."""
    alice = users.new("alice")
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source()) as s:
        s.open_stream()
        bogus = s.auth(alice.local, alice.password, "SCRAM-SHA-256-PLUS", cb_type="tls-unique",
                       cb_data=b"x" * 12)
        assert sasl_condition(bogus) == "malformed-request"
        assert sasl_condition(s.auth(alice.local, alice.password, gs2_flag="y")) == \
            "not-authorized"
    # "n" (a client without channel binding) is not a downgrade and signs in.
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.open_stream()
        assert s.auth(alice.local, alice.password).tag == q(NS_SASL, "success")


def test_downgrade_compatibility_switch_is_off_by_default_and_narrow(own):
    s = own(sasl="accept_channel_binding_downgrade = true")
    s.add_user("alice@localhost", account_password("alice-pass-1"))
    with RawStream(s.tls_port, direct_tls=True, source=fresh_source()) as st:
        st.open_stream()
        # Without a failed -PLUS attempt first, "y" is still refused...
        assert sasl_condition(st.auth("alice", account_password("alice-pass-1"), gs2_flag="y")) == \
            "not-authorized"
    with RawStream(s.tls_port, direct_tls=True, source=fresh_source()) as st:
        st.open_stream()
        # ...after one (what slixmpp <= 1.8 does on TLS 1.3), the switch lets it through.
        st.auth("alice", account_password("alice-pass-1"), "SCRAM-SHA-256-PLUS", cb_type="tls-unique",
                cb_data=b"x" * 12)
        assert st.auth("alice", account_password("alice-pass-1"), gs2_flag="y").tag == q(NS_SASL, "success")


# ---- sign-in pacing -----------------------------------------------------------------------

def guess(port, source, user, password, patience, host="localhost"):
    """One scripted guess over direct TLS: returns ('answer', condition-or-'success', latency)
    or ('aborted', None, latency) when the answer took longer than `patience` seconds."""
    try:
        with RawStream(port, direct_tls=True, source=source, timeout=10, host=host) as s:
            s.open_stream()
            client = ScramClient("SCRAM-SHA-256", user, password)
            s.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>"
                   % (NS_SASL, base64.b64encode(client.first()).decode()))
            ch = s.next()
            if ch.tag != q(NS_SASL, "challenge"):
                return "answer", sasl_condition(ch), 0.0
            final = client.final(base64.b64decode(ch.text or ""))
            started = time.monotonic()
            s.send("<response xmlns='%s'>%s</response>"
                   % (NS_SASL, base64.b64encode(final).decode()))
            try:
                el = s.next(timeout=patience)
            except TimeoutError:
                return "aborted", None, time.monotonic() - started
            latency = time.monotonic() - started
            if el.tag == q(NS_SASL, "success"):
                return "answer", "success", latency
            return "answer", sasl_condition(el), latency
    except (OSError, StreamClosed) as e:
        return "error", str(e), 0.0


def attack(port, sources, user, right, seconds, threads, patience, host="localhost"):
    """`threads` parallel connections guessing for `seconds`; every fourth guess is the right
    password. Returns the outcomes."""
    results = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(i):
        n = 0
        while time.monotonic() < stop:
            pw = right if n % 4 == 3 else "wrong-%d-%d" % (i, n)
            r = guess(port, sources[i % len(sources)], user, pw, patience, host)
            with lock:
                results.append((pw == right,) + r)
            n += 1
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 60)
    return results


def real_answers(results):
    return [r for r in results if r[1] == "answer" and r[2] in ("success", "not-authorized")]


def test_parallel_impatient_guesser_from_one_address_stays_under_the_bound(server, users):
    """docs/security.md: from one address, answers are spaced by the current delay whatever
    the client does: at most 24 real answers in the first minute, 15 s here gets far fewer. A
    right password is answered no sooner than a wrong one, so silence tells nothing."""
    victim = users.new("victim")
    home = fresh_source()
    # The real user signs in from home: a familiar address for this account from now on.
    assert guess(server.tls_port, home, victim.local, victim.password, 10)[1] == "success"
    source = fresh_source()
    # The first failure makes the attacker's address suspect.
    assert guess(server.tls_port, source, victim.local, "first-wrong", 10)[1] == "not-authorized"
    results = attack(server.tls_port, [source], victim.local, victim.password, seconds=15,
                     threads=16, patience=0.3)
    answers = real_answers(results)
    print("one address, 16 connections, 15 s: %d guesses, %d real answers"
          % (len(results), len(answers)))
    assert len(results) >= 16, results
    assert len(answers) <= 12, "%d real answers in 15 s: %s" % (len(answers), answers)
    for right, kind, cond, latency in answers:
        assert latency >= 0.2, "an answer came back after %.3f s while suspect" % latency
    assert not any(cond == "success" for _, _, cond, _ in answers), \
        "an impatient guesser never sees the right password accepted"
    # The real user, from his familiar address, is not locked out by this.
    home_result = guess(server.tls_port, home, victim.local, victim.password, 20)
    assert home_result[1] == "success" and home_result[2] < 1.0, home_result


def test_spraying_one_account_from_many_addresses_is_paced_per_account(server, users):
    victim = users.new("sprayed")
    sources = [fresh_source() for _ in range(8)]
    results = attack(server.tls_port, sources, victim.local, "never-right", seconds=10,
                     threads=8, patience=5)
    answers = real_answers(results)
    print("one account, 8 addresses, 10 s: %d guesses, %d real answers"
          % (len(results), len(answers)))
    assert len(answers) <= 12, "%d real answers in 10 s across 8 addresses" % len(answers)
    assert len(results) >= 8


def test_malformed_user_names_count_as_failures(server):
    """A client-first message with an invalid SASLname gets malformed-request, paced like a
    wrong password: the fourth answer waits at least 0.75 s."""
    durations = []
    with RawStream(server.tls_port, direct_tls=True, source=fresh_source(), timeout=20) as s:
        s.open_stream()
        for _ in range(4):
            started = time.monotonic()
            s.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>"
                   % (NS_SASL, base64.b64encode(b"n,,n=bad=ZZname,r=abcdefgh").decode()))
            el = s.next()
            durations.append(time.monotonic() - started)
            assert sasl_condition(el) == "malformed-request"
    assert durations[0] < 0.5 and durations[3] >= 0.75, durations


# ---- negotiation deadlines and caps ------------------------------------------------------

def raw_connect(port, source, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))


def closed_within(sock, seconds):
    """Reads until EOF; returns (closed in time, everything received)."""
    sock.settimeout(0.2)
    got = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        except (ConnectionResetError, ssl.SSLError):
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got


def test_every_negotiation_phase_has_a_deadline(own):
    s = own(c2s="tls_handshake_timeout = 3\nstream_open_timeout = 3\nauth_timeout = 3\n"
                "bind_timeout = 3")
    s.add_user("alice@localhost", account_password("alice-pass-1"))
    # Start every phase at once, then see each closed.
    idle = raw_connect(s.c2s_port, fresh_source())
    half = raw_connect(s.c2s_port, fresh_source())
    half.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' to='loc")
    no_tls = RawStream(s.c2s_port, source=fresh_source())
    no_tls.open_stream()
    tls_no_auth = RawStream(s.tls_port, direct_tls=True, source=fresh_source())
    tls_no_auth.open_stream()
    tls_no_header = RawStream(s.tls_port, direct_tls=True, source=fresh_source())
    partial_hello = raw_connect(s.tls_port, fresh_source())
    partial_hello.sendall(bytes.fromhex("160301020001"))  # a ClientHello that never ends
    no_bind = RawStream(s.tls_port, direct_tls=True, source=fresh_source())
    no_bind.open_stream()
    assert no_bind.auth("alice", account_password("alice-pass-1")).tag == q(NS_SASL, "success")
    bound = RawStream(s.tls_port, direct_tls=True, source=fresh_source())
    bound.login("alice", account_password("alice-pass-1"), "stays")

    for sock in (idle, half):
        closed, got = closed_within(sock, 10)
        assert closed and b"connection-timeout" in got, got
    for st in (no_tls, tls_no_auth, tls_no_header, no_bind):
        cond, _, _ = st.stream_error(timeout=10)
        assert cond == "connection-timeout"
        assert st.wait_closed(10)
    closed, _ = closed_within(partial_hello, 10)
    assert closed, "a partial ClientHello is dropped at the handshake deadline"
    # A bound session is legitimate however idle: still there after every deadline passed.
    reply = bound.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
    assert reply.get("type") == "result"
    for st in (no_tls, tls_no_auth, tls_no_header, no_bind, bound):
        st.close()
    log = (s.data_dir / "stdout.log").read_text()
    assert re.search(r"event=refused reason=connection-timeout peer=127\.77\.", log), \
        "each timeout leaves a log line with the source address"
    assert s.metrics().get('rampart_refusals_total{reason="connection-timeout"}', 0) >= 6


def test_negotiating_connections_are_capped_per_address_and_in_total(own):
    s = own(c2s="max_negotiating_per_address = 4\nmax_negotiating = 10")
    a = fresh_source()
    held = [raw_connect(s.c2s_port, a) for _ in range(4)]
    extra = raw_connect(s.c2s_port, a)
    closed, _ = closed_within(extra, 3)
    assert closed, "the fifth unfinished connection from one address is closed at once"
    # Another address is not affected.
    with RawStream(s.c2s_port, source=fresh_source()) as other:
        assert other.open_stream() is not None
    # Finishing or leaving frees the place.
    for c in held:
        c.close()
    deadline = time.monotonic() + 5
    while True:
        again = raw_connect(s.c2s_port, a)
        closed, _ = closed_within(again, 0.5)
        again.close()
        if not closed:
            break
        assert time.monotonic() < deadline, "the address never got its places back"
    # The total cap: 10 across addresses, counted once the places above are given back (the
    # server sees a closed connection a moment after the client closes it).
    deadline = time.monotonic() + 10
    while s.metrics().get("rampart_c2s_negotiating", 0) > 0:
        assert time.monotonic() < deadline, "closed connections still counted as negotiating"
        time.sleep(0.05)
    total = []
    for _ in range(5):
        src = fresh_source()
        total += [raw_connect(s.c2s_port, src) for _ in range(2)]
    # All ten accepted and counted before the next one is judged.
    deadline = time.monotonic() + 10
    while s.metrics().get("rampart_c2s_negotiating", 0) < 10:
        assert time.monotonic() < deadline, "the ten connections were never all counted"
        time.sleep(0.05)
    late = raw_connect(s.c2s_port, fresh_source())
    closed, _ = closed_within(late, 3)
    assert closed, "beyond max_negotiating every new connection is closed"
    m = s.metrics()
    assert m.get('rampart_refusals_total{reason="negotiating-cap-address"}', 0) >= 1
    assert m.get('rampart_refusals_total{reason="negotiating-cap"}', 0) >= 1
    log = (s.data_dir / "stdout.log").read_text()
    # Client addresses are personal data: the log keeps their first two octets ([masking]
    # log_addresses = "clear" keeps them whole, for tools that act on the log).
    assert "event=refused reason=negotiating-cap-address peer=%s" % masked(a) in log
    for c in total:
        c.close()


def test_running_out_of_descriptors_does_not_stop_accepting(tmp_path):
    """With 96 descriptors, 150 connections exhaust them; once they are gone the listener
    accepts again and a client signs in."""
    s = start_config_server(tmp_path, prefix=["prlimit", "--nofile=96:96"],
                            c2s="max_negotiating_per_address = 1000")
    try:
        s.add_user("alice@localhost", account_password("alice-pass-1"))
        socks = []
        for i in range(150):
            try:
                socks.append(raw_connect(s.c2s_port, "127.0.0.1", timeout=2))
            except OSError:
                break
        deadline = time.monotonic() + 10
        log = s.data_dir / "stdout.log"
        while "event=accept_failed" not in log.read_text():
            assert time.monotonic() < deadline, "descriptors were never exhausted"
            time.sleep(0.05)
        for c in socks:
            c.close()
        with RawStream(s.c2s_port, timeout=15) as st:
            assert st.login("alice", account_password("alice-pass-1"), "after").startswith("alice@localhost/")
    finally:
        s.stop()


# ---- HTTPS -------------------------------------------------------------------------------

def https_raw(port, request, source=None, timeout=10):
    """Sends raw bytes over TLS; returns (status, headers, body, seconds)."""
    ctx = tls_context()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    started = time.monotonic()
    with ctx.wrap_socket(sock, server_hostname="localhost") as t:
        t.sendall(request if isinstance(request, bytes) else request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = t.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = t.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body, time.monotonic() - started


def test_http_host_rules_obsolete_folding_date_and_head(server):
    status, h, body, _ = https_raw(server.https_port, "GET /healthz HTTP/1.1\r\n\r\n")
    assert status == 400 and h["content-type"] == "application/problem+json", body
    status, _, body, _ = https_raw(
        server.https_port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n")
    assert status == 400, body
    status, _, body, _ = https_raw(
        server.https_port,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Long: a\r\n folded\r\n\r\n")
    assert status == 400 and b"folding" in body, body
    status, h, body, _ = https_raw(server.https_port,
                                   "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                   "Connection: close\r\n\r\n")
    assert status == 200
    date = email.utils.parsedate_to_datetime(h["date"])
    assert abs(date.timestamp() - time.time()) < 120 and h["date"].endswith(" GMT")
    get_length = h["content-length"]
    status, h, body, _ = https_raw(server.https_port,
                                   "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                   "Connection: close\r\n\r\n")
    assert status == 200 and body == b"" and h["content-length"] == get_length


def test_http_body_for_no_handler_is_not_read(server):
    """404/405 come at once, without waiting for a body the route would never take."""
    status, h, _, took = https_raw(server.https_port,
                                   "POST /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                   "Content-Length: 100000\r\n\r\n")
    assert status == 405 and "GET" in h["allow"] and "HEAD" in h["allow"] and took < 3
    status, _, _, took = https_raw(server.https_port,
                                   "POST /no/such/thing HTTP/1.1\r\nHost: localhost\r\n"
                                   "Content-Length: 100000\r\n\r\n")
    assert status == 404 and took < 3


def test_http_trickled_body_is_cut_off(own):
    s = own(https="body_grace = 2\nmin_body_rate = 1000")
    ctx = tls_context()
    sock = socket.create_connection(("127.0.0.1", s.https_port), timeout=20)
    started = time.monotonic()
    with ctx.wrap_socket(sock, server_hostname="localhost") as t:
        t.sendall(b"PUT /upload/localhost/slot/file.txt HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Length: 2000\r\n\r\n")
        t.settimeout(0.5)
        closed = False
        while time.monotonic() - started < 15:
            try:
                t.sendall(b"x")
                if t.recv(1) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                closed = True
                break
    took = time.monotonic() - started
    # Deadline: 2 s grace + 2000 bytes at 1000 B/s = 4 s.
    assert closed and took < 9, "the trickled body held the connection for %.1f s" % took
    # The refusal's log line is written as the connection closes: wait for it.
    deadline = time.monotonic() + 5
    while "event=refused reason=http-body-timeout" not in (s.data_dir / "stdout.log").read_text():
        assert time.monotonic() < deadline, "no log line for the refused body"
        time.sleep(0.05)


def test_metrics_only_on_the_admin_listener_for_allowed_addresses_or_a_token(own):
    s = own(admin='metrics_allow = ["127.0.0.1/32"]')
    req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s\r\n"
    status, _, _, _ = https_raw(s.https_port, req % "", source="127.0.0.1")
    assert status == 404, "metrics are not on the public listener"
    status, h, body, _ = https_raw(s.admin_port, req % "", source="127.0.0.2")
    assert status == 401 and h["content-type"] == "application/problem+json", body
    status, _, body, _ = https_raw(s.admin_port,
                                   req % "Authorization: Bearer rpt_wrong-token-for-metrics\r\n",
                                   source="127.0.0.2")
    assert status == 401
    token = s.ctl("token", "create", "sysadmin@localhost").stdout.strip()
    status, _, body, _ = https_raw(s.admin_port, req % ("Authorization: Bearer %s\r\n" % token),
                                   source="127.0.0.2")
    assert status == 200 and b"rampart_c2s_connections" in body
    # The audit administrator has no business with service metrics.
    auditor = s.ctl("token", "create", "auditor@localhost").stdout.strip()
    status, _, body, _ = https_raw(s.admin_port,
                                   req % ("Authorization: Bearer %s\r\n" % auditor),
                                   source="127.0.0.2")
    assert status == 403
    status, _, body, _ = https_raw(s.admin_port, req % "", source="127.0.0.1")
    assert status == 200


def test_restricted_xml_and_oversized_stanzas_are_logged_with_the_address(server):
    src = fresh_source()
    with RawStream(server.c2s_port, source=src) as st:
        st.send("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><stream:stream "
                "xmlns='jabber:client' xmlns:stream='%s' to='localhost' version='1.0'>"
                % NS_STREAM)
        cond, _, _ = st.stream_error()
        assert cond == "restricted-xml"
    log = server.data_dir / "stdout.log"
    deadline = time.monotonic() + 5
    while not re.search(r"event=refused reason=restricted-xml peer=%s" % re.escape(masked(src)),
                        log.read_text()):
        assert time.monotonic() < deadline, "no log line for the refusal"
        time.sleep(0.05)


def test_log_addresses_clear_keeps_client_addresses_whole(own):
    """For tools that act on the log (fail2ban): [masking] log_addresses = "clear"."""
    s = own(extra='[masking]\nlog_addresses = "clear"\n')
    src = fresh_source()
    with RawStream(s.c2s_port, source=src) as st:
        st.send("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><stream:stream "
                "xmlns='jabber:client' xmlns:stream='%s' to='localhost' version='1.0'>"
                % NS_STREAM)
        assert st.stream_error()[0] == "restricted-xml"
    log = s.data_dir / "stdout.log"
    deadline = time.monotonic() + 5
    while "event=refused reason=restricted-xml peer=%s " % src not in log.read_text():
        assert time.monotonic() < deadline, "no log line with the whole address"
        time.sleep(0.05)
