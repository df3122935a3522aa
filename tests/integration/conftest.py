"""Fixtures: a real rampartd on port 0 in a temporary data dir, and accounts made by rampartctl.

RAMPARTD and RAMPARTCTL (environment) point at other binaries; the defaults are the build
tree's. Each test module gets its own server so that one area's leftovers (throttled auth
failures, sessions, offline queues) cannot change another's results.
"""
import http.client
import itertools
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

REPO = HERE.parents[1]
RAMPARTD = os.environ.get("RAMPARTD") or str(REPO / "build" / "rampartd")
RAMPARTCTL = os.environ.get("RAMPARTCTL") or str(REPO / "build" / "rampartctl")
HOST = "localhost"


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+ level=")
IPV4 = re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w.])")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
CARD = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _luhn(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _id_checksum(s):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    c = (12 - sum(int(a) * w for a, w in zip(s[:17], weights)) % 11) % 11
    return s[17].upper() == ("X" if c == 10 else str(c))


def personal_data_in_logs(data_dir, addresses=True):
    """Log lines (not the first-start credentials, which are no log) of a server that hold
    an IP address, a mobile, identity or bank card number, or an e-mail-shaped name, unmasked.
    Written independently of the server's masking code, on purpose."""
    import ipaddress
    leaks = []
    for name in ("stdout.log", "stderr.log"):
        try:
            lines = (Path(data_dir) / name).read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if not LOG_LINE.match(line):
                continue
            payload = line.split(" level=", 1)[1]
            found = [m.group(0) for m in IPV4.finditer(payload)
                     if addresses and all(int(o) <= 255 for o in m.groups())]
            for m in IPV6.finditer(payload if addresses else ""):
                try:
                    ipaddress.IPv6Address(m.group(0))
                    found.append(m.group(0))
                except ValueError:
                    pass
            found += MOBILE.findall(payload)
            found += [m for m in ID_NUMBER.findall(payload) if _id_checksum(m)]
            found += [m for m in CARD.findall(payload) if _luhn(m)]
            found += [m for m in EMAIL.findall(payload) if "*" not in m.split("@")[0]]
            if found:
                leaks.append("%s: %s (%s)" % (name, line, ", ".join(found)))
    return leaks


class RampartServer:
    """One rampartd process in --dev mode; it can be stopped, killed and restarted."""

    def __init__(self, data_dir, host=HOST):
        self.data_dir = Path(data_dir)
        self.host = host
        self.proc = None
        self.pid = None
        self.ports = {}
        # First start prints one one-time password per administrator: {jid: password}.
        self.admin_passwords = {}
        self.printed_passwords = None
        self.data_dir.mkdir(parents=True, exist_ok=True)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, timeout=20):
        ports_file = self.data_dir / "ports.json"
        pid_file = self.data_dir / "rampartd.pid"
        for f in (ports_file, pid_file):
            if f.exists():
                f.unlink()
        out = open(self.data_dir / "stdout.log", "ab")
        err = open(self.data_dir / "stderr.log", "ab")
        stdout_offset = out.tell()
        self.proc = subprocess.Popen(
            self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        err.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("rampartd exited with %s during start-up; stderr:\n%s"
                                   % (self.proc.returncode, self.stderr_tail()))
            try:
                ports = json.loads(ports_file.read_text())
                pid = int(pid_file.read_text().strip())
                if {"c2s", "c2s_tls", "https"} <= set(ports) and all(ports.values()):
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("rampartd did not write ports.json within %ss" % timeout)
            time.sleep(0.05)
        assert pid == self.proc.pid, "rampartd.pid holds %d, the process is %d" % (
            pid, self.proc.pid)
        self.pid = pid
        self.ports = ports
        # The listeners accept before they are announced; make sure by connecting once.
        for name in ("c2s", "c2s_tls", "https", "admin"):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", ports[name]), timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        text = (self.data_dir / "stdout.log").read_bytes()[stdout_offset:].decode(errors="replace")
        found = re.findall(r"(\S+@\S+) \((?:sysadmin|secadmin|auditor)\)  password: (\S+)", text)
        self.printed_passwords = dict(found) or None
        if found:
            self.admin_passwords = dict(found)
        return self

    def command(self):
        return [RAMPARTD, "--dev", "--data-dir", str(self.data_dir), "--host", self.host,
                "--c2s-port", "0", "--tls-port", "0", "--https-port", "0", "--admin-port", "0"]

    def clear_addresses(self):
        """Whether the configuration keeps client addresses whole in the log."""
        config = getattr(self, "config_file", None)
        return bool(config) and 'log_addresses = "clear"' in Path(config).read_text()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM by PID and wait; returns the exit status (SIGKILL if it hangs). Then the
        server's log lines are checked: no unmasked personal data may have reached them."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(5)
                raise AssertionError("rampartd did not exit within %ss of SIGTERM" % timeout)
        leaks = personal_data_in_logs(self.data_dir, addresses=not self.clear_addresses())
        assert not leaks, "unmasked personal data in the log:\n" + "\n".join(leaks[:10])
        return self.proc.returncode

    def kill9(self):
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)
        return self.proc.returncode

    def stderr_tail(self, n=40):
        """The last lines the server logged (it may log to stdout or stderr)."""
        lines = []
        for name in ("stdout.log", "stderr.log"):
            try:
                lines += (self.data_dir / name).read_text(errors="replace").splitlines()
            except OSError:
                pass
        return "\n".join(lines[-n:])

    # ---- ports -----------------------------------------------------------------------------

    @property
    def c2s_port(self):
        return self.ports["c2s"]

    @property
    def tls_port(self):
        return self.ports["c2s_tls"]

    @property
    def https_port(self):
        return self.ports["https"]

    # ---- HTTPS -----------------------------------------------------------------------------

    @property
    def admin_port(self):
        return self.ports["admin"]

    def https_get(self, path, timeout=10, port=None):
        """GET over HTTPS (self-signed certificate): returns (status, headers, body text)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port or self.https_port, timeout=timeout,
                                           context=ctx)
        try:
            conn.request("GET", path, headers={"Host": self.host})
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", errors="replace")
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            conn.close()

    def metrics(self):
        """Prometheus samples: {'name{labels}': value} plus {'name': value} when unlabelled."""
        status, _, body = self.https_get("/metrics", port=self.admin_port)
        assert status == 200, status
        samples = {}
        for line in body.splitlines():
            if not line or line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            samples[key.strip()] = float(value)
        return samples

    # ---- rampartctl ------------------------------------------------------------------------

    def ctl(self, *args, timeout=30):
        return subprocess.run([RAMPARTCTL, "--data-dir", str(self.data_dir), *args],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def add_user(self, jid, password):
        r = self.ctl("user", "add", jid, password)
        assert r.returncode == 0, "rampartctl user add %s: %s %s" % (jid, r.stdout, r.stderr)
        return jid


_user_counter = itertools.count(1)


class Users:
    """Makes fresh accounts with unique names, so tests sharing a server never collide."""

    def __init__(self, server):
        self.server = server

    def new(self, prefix="user", password=None):
        n = next(_user_counter)
        local = "%s%d" % (prefix, n)
        password = password or "pw-%s-%d-Ünï" % (prefix, n)
        jid = "%s@%s" % (local, self.server.host)
        self.server.add_user(jid, password)
        return Account(local, jid, password)


class Account:
    def __init__(self, local, jid, password):
        self.local = local
        self.jid = jid
        self.password = password

    def __repr__(self):
        return "Account(%s)" % self.jid


def _start(path):
    try:
        return RampartServer(path).start()
    except Exception as e:  # pragma: no cover - start-up failure is reported as an error
        pytest.fail("cannot start rampartd (%s): %s" % (RAMPARTD, e), pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A rampartd shared by the tests of one module."""
    s = _start(tmp_path_factory.mktemp("rampart"))
    yield s
    if s.running():
        s.stop()


@pytest.fixture
def fresh_server(tmp_path_factory):
    """A rampartd of its own, for tests that stop, kill or restart it."""
    s = _start(tmp_path_factory.mktemp("rampart-own"))
    yield s
    if s.running():
        try:
            s.stop()
        except AssertionError:
            pass


@pytest.fixture
def users(server):
    return Users(server)


def pytest_configure(config):
    if not os.access(RAMPARTD, os.X_OK) or not os.access(RAMPARTCTL, os.X_OK):
        raise pytest.UsageError("rampartd/rampartctl not found or not executable: %s %s "
                                "(build them, or set RAMPARTD and RAMPARTCTL)"
                                % (RAMPARTD, RAMPARTCTL))


TEST_TIME_LIMIT = int(os.environ.get("RAMPART_TEST_TIME_LIMIT", "300"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Last-resort bound on every test (each also has its own, tighter timeouts)."""
    def on_alarm(signum, frame):
        raise TimeoutError("test exceeded %d s" % TEST_TIME_LIMIT)

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(autouse=True)
def _server_survives(request):
    """A test after which the shared rampartd has died fails, naming how it died; the server
    is then restarted on the same data dir so that later tests still test their own area."""
    yield
    if "server" in request.fixturenames:
        s = request.getfixturevalue("server")
        if s.proc is not None and s.proc.poll() is not None:
            code = s.proc.returncode
            how = "killed by signal %d" % -code if code < 0 else "exit status %d" % code
            tail = s.stderr_tail(15)
            s.start()
            pytest.fail("rampartd died during this test (%s); last log lines:\n%s"
                        % (how, tail), pytrace=False)
