"""Load and churn: 200 concurrent logins, 500 connect/disconnect cycles, abrupt disconnects at
every stage of negotiation; the server keeps answering and does not leak connections."""
import asyncio
import concurrent.futures
import socket
import time

from raw_xmpp import NS_SASL, RawStream, StreamClosed, q
from xmpp_helpers import Clients, run

N_LOGINS = 200
N_CYCLES = 500


def make_accounts(users, n, prefix):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda _: users.new(prefix), range(n)))


def wait_for_metric(server, name, predicate, timeout=15):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = server.metrics().get(name)
        if value is not None and predicate(value):
            return value
        time.sleep(0.2)
    return value


def assert_server_answers(server, account):
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login(account.local, account.password, "still-alive")
        reply = s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        assert reply.get("type") == "result"


def test_200_concurrent_logins(server, users):
    accounts = make_accounts(users, N_LOGINS, "load")
    probe = users.new("probe")

    async def body():
        async with Clients(server) as cs:
            clients = [cs.make(a, "r", direct_tls=(i % 2 == 1)) for i, a in enumerate(accounts)]
            started = time.monotonic()
            results = await asyncio.gather(*(c.start(timeout=100) for c in clients),
                                           return_exceptions=True)
            elapsed = time.monotonic() - started
            failures = [(str(c.boundjid), repr(r)) for c, r in zip(clients, results)
                        if isinstance(r, BaseException)]
            assert not failures, "%d of %d logins failed, e.g. %s" % (
                len(failures), N_LOGINS, failures[:3])
            assert all(c.session_started.is_set() for c in clients)
            assert {str(c.boundjid) for c in clients} == {a.jid + "/r" for a in accounts}
            sessions = await asyncio.to_thread(
                wait_for_metric, server, "rampart_sessions", lambda v: v >= N_LOGINS)
            assert sessions is not None and sessions >= N_LOGINS, sessions
            # Every session is usable: a message from the first to the last arrives.
            clients[0].send_message(mto=accounts[-1].jid + "/r", mbody="across the crowd")
            for _ in range(100):
                if clients[-1].bodies():
                    break
                await asyncio.sleep(0.1)
            assert clients[-1].bodies() == ["across the crowd"]
            return elapsed

    elapsed = run(body(), 120)
    print("200 logins in %.1fs" % elapsed)
    assert_server_answers(server, probe)
    # All those sessions are gone again once the clients have left.
    sessions = wait_for_metric(server, "rampart_sessions", lambda v: v == 0)
    assert sessions == 0, "sessions gauge stuck at %s after all clients left" % sessions


def one_cycle(server, i):
    direct = i % 2 == 0
    with RawStream(server.tls_port if direct else server.c2s_port, direct_tls=direct,
                   timeout=20) as s:
        if direct:
            features = s.open_stream()
        else:
            s.open_stream()
            features = s.starttls()
        assert features.find(q(NS_SASL, "mechanisms")) is not None
        s.send("</stream:stream>")
        # The server answers our close with its own and closes the connection.
        assert s.wait_closed(10), "cycle %d: the server did not close after </stream:stream>" % i
        assert s.stream_ended, "cycle %d: no </stream:stream> from the server" % i
    return True


def test_500_connect_disconnect_cycles(server, users):
    probe = users.new("probe")
    baseline = server.metrics().get("rampart_c2s_connections", 0)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(one_cycle, server, i) for i in range(N_CYCLES)]
        done, not_done = concurrent.futures.wait(futures, timeout=240)
    assert not not_done, "%d cycles did not finish in time" % len(not_done)
    errors = [f.exception() for f in done if f.exception() is not None]
    assert not errors, "%d of %d cycles failed, e.g. %r" % (len(errors), N_CYCLES, errors[:3])
    print("%d cycles in %.1fs" % (N_CYCLES, time.monotonic() - started))
    assert_server_answers(server, probe)
    conns = wait_for_metric(server, "rampart_c2s_connections", lambda v: v <= baseline)
    assert conns is not None and conns <= baseline, \
        "connections gauge %s, baseline %s: connections leak" % (conns, baseline)


def abrupt_cycle(server, account, i):
    stage = i % 5
    if stage == 0:  # TCP only, then gone
        socket.create_connection(("127.0.0.1", server.tls_port), timeout=5).close()
        return
    if stage == 1:  # half a stream header on the plain port
        sock = socket.create_connection(("127.0.0.1", server.c2s_port), timeout=5)
        sock.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:cli")
        sock.close()
        return
    s = RawStream(server.tls_port, direct_tls=True, timeout=10)
    try:
        if stage == 2:  # TLS up, nothing said
            pass
        elif stage == 3:  # in the middle of SCRAM
            s.open_stream()
            s.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>biwsbj11c2VyLHI9YWJj</auth>"
                   % NS_SASL)
            s.next()
        else:  # bound and available, then the socket vanishes
            s.login(account.local, account.password, "abrupt%d" % i)
            s.send("<presence/>")
    except (StreamClosed, OSError):
        pass
    finally:
        s.sock.close()  # no </stream:stream>, no TLS close_notify


def test_abrupt_disconnects_do_not_leak(server, users):
    account = users.new("abrupt")
    probe = users.new("probe")
    baseline = server.metrics().get("rampart_c2s_connections", 0)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(abrupt_cycle, server, account, i) for i in range(100)]
        done, not_done = concurrent.futures.wait(futures, timeout=120)
    assert not not_done
    errors = [f.exception() for f in done if f.exception() is not None]
    assert not errors, errors[:3]
    assert_server_answers(server, probe)
    conns = wait_for_metric(server, "rampart_c2s_connections", lambda v: v <= baseline)
    assert conns is not None and conns <= baseline, \
        "connections gauge %s, baseline %s after abrupt disconnects" % (conns, baseline)
    sessions = wait_for_metric(server, "rampart_sessions", lambda v: v == 0)
    assert sessions == 0, "sessions gauge %s after abrupt disconnects" % sessions


def test_client_vanishing_while_server_writes(server, users):
    """A peer that closes while the server still writes to it must cost only that connection
    (no SIGPIPE, no crash): requests are pipelined and the socket closed without reading."""
    account = users.new("vanish")
    probe = users.new("probe")

    def assert_alive(after):
        if not server.running():
            code = server.proc.returncode
            raise AssertionError("rampartd died (%s) after %s" % (
                "signal %d" % -code if code < 0 else "exit status %d" % code, after))

    for i in range(30):
        direct = i % 2 == 0
        s = RawStream(server.tls_port if direct else server.c2s_port, direct_tls=direct)
        s.login(account.local, account.password, "v%d" % i)
        s.send("<presence/>" + "".join(
            "<iq type='get' id='p%d' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>" % j
            for j in range(300)))
        s.sock.close()
        time.sleep(0.05)
        assert_alive("client %d closed its socket with 300 pings unanswered" % i)
    time.sleep(0.5)
    assert_alive("30 clients vanished")
    assert_server_answers(server, probe)
