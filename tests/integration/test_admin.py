"""Operations: rampartctl against a running server, status, the first-start admin account,
the HTTPS /healthz and /metrics endpoints, and shutdown on SIGTERM."""
import json
import os
import signal
import subprocess
import time

from conftest import RAMPARTCTL, RAMPARTD
from raw_xmpp import account_password, NS_SASL, RawStream, local_name, q


def try_login(server, local, password, resource="ctl"):
    """Returns the SASL outcome element's local name: 'success' or 'failure/<condition>'."""
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.open_stream()
        el = s.auth(local, password, "SCRAM-SHA-256")
        if el.tag == q(NS_SASL, "success"):
            assert s.bind(resource) == "%s@localhost/%s" % (local, resource)
            return "success"
        return "failure/" + "".join(local_name(c.tag) for c in el if local_name(c.tag) != "text")


def test_user_add_passwd_del_list_while_running(server):
    jid = "opsuser@localhost"
    r = server.ctl("user", "add", jid, account_password("first-pw"))
    assert r.returncode == 0, r.stderr
    # "exits 0 only once the account can sign in": no waiting here.
    assert try_login(server, "opsuser", account_password("first-pw")) == "success"

    r = server.ctl("user", "list", "localhost")
    assert r.returncode == 0, r.stderr
    assert jid in r.stdout.split()
    assert "sysadmin@localhost" in r.stdout.split()

    r = server.ctl("user", "passwd", jid, "Second-pw-7q")
    assert r.returncode == 0, r.stderr
    assert try_login(server, "opsuser", "Second-pw-7q") == "success"
    assert try_login(server, "opsuser", account_password("first-pw")) == "failure/not-authorized"

    r = server.ctl("user", "del", jid)
    assert r.returncode == 0, r.stderr
    assert try_login(server, "opsuser", "Second-pw-7q") == "failure/not-authorized"
    r = server.ctl("user", "list", "localhost")
    assert jid not in r.stdout.split()


def test_non_ascii_password_is_prepared_like_clients_do(server):
    """RFC 8265 OpaqueString (RFC 7677): a password with a no-break space, set with rampartctl,
    signs in from slixmpp, which prepares the password the same way; a control character is
    refused."""
    from xmpp_helpers import Clients, run
    from conftest import Account
    password = "Secret\u00a0word \u00e9t\u00e9"
    r = server.ctl("user", "add", "unicodepw@localhost", password)
    assert r.returncode == 0, r.stderr
    account = Account("unicodepw", "unicodepw@localhost", password)

    async def body():
        async with Clients(server) as cs:
            c = await cs.start(account, "u")
            assert c.boundjid.bare == account.jid

    run(body(), 30)
    r = server.ctl("user", "add", "ctlpw@localhost", "bad\x07password")
    assert r.returncode != 0 and "password" in r.stderr


def test_user_del_ends_the_accounts_live_sessions(server):
    """A deleted account's sessions end with <not-authorized/>; others stay."""
    assert server.ctl("user", "add", "goner@localhost", account_password("pw-goner")).returncode == 0
    assert server.ctl("user", "add", "stayer@localhost", account_password("pw-stayer")).returncode == 0
    with RawStream(server.c2s_port) as gone, RawStream(server.c2s_port) as stay:
        gone.login("goner", account_password("pw-goner"), "r")
        stay.login("stayer", account_password("pw-stayer"), "r")
        r = server.ctl("user", "del", "goner@localhost")
        assert r.returncode == 0, r.stderr
        condition, _, _ = gone.stream_error(timeout=10)
        assert condition == "not-authorized"
        assert stay.iq("<ping xmlns='urn:xmpp:ping'/>").get("type") == "result"


def test_user_del_drops_offline_messages(server):
    """A deleted account's offline messages go with it; re-adding starts empty."""
    server.add_user("gone@localhost", account_password("pw-gone"))
    server.add_user("sender@localhost", account_password("pw-sender"))
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login("sender", account_password("pw-sender"), "s")
        s.send("<message to='gone@localhost' type='chat' id='o1'><body>stored</body></message>")
        reply = s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        assert reply.get("type") == "result"
    time.sleep(0.5)
    assert server.ctl("user", "del", "gone@localhost").returncode == 0
    assert server.ctl("user", "add", "gone@localhost", account_password("pw-gone2")).returncode == 0
    with RawStream(server.tls_port, direct_tls=True) as s:
        s.login("gone", account_password("pw-gone2"), "g")
        s.send("<presence/>")
        reply = s.iq("<ping xmlns='urn:xmpp:ping'/>", to="localhost")
        assert reply.get("type") == "result"
        time.sleep(0.8)
        s.send("<iq type='get' id='last' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        seen = []
        while True:
            el = s.next()
            seen.append(el)
            if el.get("id") == "last":
                break
        assert not [e for e in seen if local_name(e.tag) == "message"], \
            "a re-created account received the deleted account's offline message"


def test_rampartctl_errors_and_exit_codes(server):
    server.add_user("dupe@localhost", account_password("pw"))
    r = server.ctl("user", "add", "dupe@localhost", account_password("pw"))
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip(), "a failure must say why"
    r = server.ctl("user", "del", "never-existed@localhost")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    r = server.ctl("user", "passwd", "never-existed@localhost", "x")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    r = server.ctl("user", "add", "not a jid", account_password("pw"))
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    r = server.ctl("user", "add", "someone@localhost")
    assert r.returncode == 2
    # A host this server does not serve: refused, nothing created.
    r = server.ctl("user", "add", "carol@otherhost.example", account_password("pw"))
    assert r.returncode == 2 and "otherhost.example" in r.stderr, (r.returncode, r.stderr)
    r = server.ctl("frobnicate")
    assert r.returncode == 2
    r = server.ctl("user")
    assert r.returncode == 2
    r = subprocess.run([RAMPARTCTL], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert "usage" in r.stderr


def test_status_without_server_is_3(tmp_path):
    r = subprocess.run([RAMPARTCTL, "--data-dir", str(tmp_path), "status"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)


def test_first_start_creates_one_administrator_per_role(server):
    """No almighty admin: sysadmin@, secadmin@ and auditor@ with one role each; their
    one-time passwords are printed once and open no XMPP session until changed (RFC 6120
    <credentials-expired/>)."""
    assert set(server.admin_passwords) == {"sysadmin@localhost", "secadmin@localhost",
                                           "auditor@localhost"}, server.admin_passwords
    assert len(set(server.admin_passwords.values())) == 3
    r = server.ctl("role", "list")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split("\n")[:-1]) == [
        "auditor@localhost auditor server", "secadmin@localhost secadmin server",
        "sysadmin@localhost sysadmin server"], r.stdout
    assert "admin@localhost" not in server.ctl("user", "list", "localhost").stdout.split()
    output = "".join((server.data_dir / f).read_text(errors="replace")
                     for f in ("stdout.log", "stderr.log"))
    for jid, password in server.admin_passwords.items():
        # Printed once (the "password:" line) and never repeated in a log line.
        assert output.count(password) == 1
        assert try_login(server, jid.split("@")[0], password) == "failure/credentials-expired"
        # A wrong password still gets the ordinary answer.
        assert try_login(server, jid.split("@")[0], password + "x") == "failure/not-authorized"


def test_data_files_are_private_to_the_server_user(server):
    """Credentials, messages and the TLS key are not readable by other local users."""
    import stat
    found = 0
    for root, dirs, files in os.walk(server.data_dir):
        for name in files:
            if name in ("stdout.log", "stderr.log"):
                continue  # written by this test harness, not by rampartd
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert mode & 0o077 == 0, "%s is mode %o" % (name, mode)
            found += name.startswith("rampart.db") or name.endswith(".key")
    assert found >= 2


def test_status_running_then_stopped(fresh_server):
    r = fresh_server.ctl("status")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert str(fresh_server.pid) in r.stdout
    assert str(fresh_server.ports["c2s"]) in r.stdout
    assert "host localhost: " in r.stdout, "accounts per served host"
    assert fresh_server.stop() == 0
    r = fresh_server.ctl("status")
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)


def test_status_after_kill_9_is_not_running(fresh_server):
    fresh_server.kill9()
    r = fresh_server.ctl("status")
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)


def test_healthz(server):
    status, headers, body = server.https_get("/healthz")
    assert status == 200
    assert headers.get("content-type", "").startswith("application/json")
    assert json.loads(body) == {"status": "ok"}


def test_metrics(server):
    server.add_user("metrics@localhost", account_password("pw-m"))
    assert try_login(server, "metrics", account_password("pw-m")) == "success"
    status, headers, body = server.https_get("/metrics", port=server.admin_port)
    assert status == 200
    assert headers.get("content-type", "").startswith("text/plain")
    samples = server.metrics()
    for name in ("rampart_c2s_connections", "rampart_sessions"):
        assert name in samples, "%s missing from /metrics" % name
    assert samples.get('rampart_auth_total{result="success"}', 0) >= 1
    assert any(k.startswith("rampart_stanzas_in_total") for k in samples)
    assert "# TYPE rampart_c2s_connections gauge" in body
    assert "# HELP rampart_sessions" in body


def test_unknown_path_is_404_problem_json(server):
    status, headers, body = server.https_get("/no/such/path")
    assert status == 404
    assert headers.get("content-type", "").startswith("application/problem+json")
    problem = json.loads(body)
    assert problem.get("status") == 404
    assert problem.get("title")


def test_sigterm_sends_system_shutdown_and_exits_0(fresh_server):
    fresh_server.add_user("stayer@localhost", account_password("pw-stay"))
    s1 = RawStream(fresh_server.tls_port, direct_tls=True)
    s2 = RawStream(fresh_server.c2s_port)
    try:
        s1.login("stayer", account_password("pw-stay"), "one")
        s2.login("stayer", account_password("pw-stay"), "two")
        os.kill(fresh_server.pid, signal.SIGTERM)
        for s in (s1, s2):
            cond, _, _ = s.stream_error(timeout=10)
            assert cond == "system-shutdown"
            assert s.wait_closed(10)
            assert s.stream_ended, "the stream must be closed with </stream:stream>"
        fresh_server.proc.wait(15)
        assert fresh_server.proc.returncode == 0
        assert fresh_server.ctl("status").returncode == 3
    finally:
        s1.close()
        s2.close()


def test_sigterm_reaches_streams_still_negotiating(fresh_server):
    """'Every stream' includes those not yet authenticated or bound."""
    fresh_server.add_user("early@localhost", account_password("pw-early"))
    opened = RawStream(fresh_server.c2s_port)          # plain, features received
    secured = RawStream(fresh_server.tls_port, direct_tls=True)  # TLS, before SASL
    authed = RawStream(fresh_server.tls_port, direct_tls=True)   # SASL done, not bound
    streams = {"before TLS": opened, "before SASL": secured, "before bind": authed}
    try:
        opened.open_stream()
        secured.open_stream()
        authed.open_stream()
        assert authed.auth("early", account_password("pw-early")).tag == q(NS_SASL, "success")
        os.kill(fresh_server.pid, signal.SIGTERM)
        got = {}
        for name, s in streams.items():
            try:
                got[name] = s.stream_error(timeout=10)[0]
            except Exception as e:  # closed without a stream error
                got[name] = type(e).__name__
        fresh_server.proc.wait(15)
        assert fresh_server.proc.returncode == 0
        assert got == {name: "system-shutdown" for name in streams}, got
    finally:
        for s in streams.values():
            s.close()


def test_restart_keeps_accounts(fresh_server):
    fresh_server.add_user("keeper@localhost", account_password("pw-keep"))
    assert fresh_server.stop() == 0
    fresh_server.start()
    assert fresh_server.printed_passwords is None, "one-time passwords are printed on first start only"
    assert try_login(fresh_server, "keeper", account_password("pw-keep")) == "success"


def test_usage_errors():
    r = subprocess.run([RAMPARTD, "--bogus"], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert "unknown argument" in r.stderr
    r = subprocess.run([RAMPARTD, "--dev"], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert "--data-dir" in r.stderr


def test_dev_mode_writes_a_config_file_that_runs(fresh_server):
    """--dev writes DATA_DIR/rampart.toml, the configuration it runs with; rampartd --config
    on that file serves the same accounts on the same ports."""
    path = fresh_server.data_dir / "rampart.toml"
    text = path.read_text()
    assert "[[hosts]]" in text and 'name = "localhost"' in text
    assert "port = %d" % fresh_server.ports["c2s"] in text
    fresh_server.add_user("cfguser@localhost", account_password("pw-cfg"))
    assert fresh_server.stop() == 0
    proc = subprocess.Popen([RAMPARTD, "--config", str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            r = subprocess.run([RAMPARTCTL, "--config", str(path), "status"],
                               capture_output=True, text=True, timeout=10)
            if r.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert r.returncode == 0, (r.stdout, r.stderr)
        with RawStream(fresh_server.ports["c2s"]) as s:
            s.login("cfguser", account_password("pw-cfg"), "cfg")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
