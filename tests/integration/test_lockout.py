"""Smart lockout (MLPS 8.1.4.1 b): bounded scripted attackers, patient and impatient, from one
address and from many 127.x addresses, against one account and spraying many; the real user
keeps signing in from a familiar address throughout; locks are listed, cleared and survive a
restart; the same wrong password repeated counts once."""
import base64
import json
import threading
import time

import pytest

from raw_xmpp import NS_SASL, RawStream, fresh_source, q
from test_config_hosts import ConfigServer, write_config
from test_hardening import attack, guess, real_answers

THRESHOLD = 5
SPRAY = 12


@pytest.fixture(scope="module")
def lockout_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lockout")
    extra = """
[account_security]
lockout_threshold = %d
lockout_seconds = 120
spray_threshold = %d
spray_window_seconds = 600
""" % (THRESHOLD, SPRAY)
    path, data = write_config(tmp, extra)
    s = ConfigServer(data, path, "a.test").start()
    yield s
    if s.running():
        s.stop()


def add(server, local, password="Kx9-real-Owner7", host="a.test"):
    r = server.ctl("user", "add", "%s@%s" % (local, host), password)
    assert r.returncode == 0, r.stderr
    return password


def sign_in(server, source, local, password, patience=20, host="a.test"):
    """(condition, seconds) of one SCRAM sign-in on `host` from `source`."""
    started = time.monotonic()
    with RawStream(server.tls_port, direct_tls=True, host=host, source=source,
                   timeout=patience) as s:
        s.secure()
        el = s.auth(local, password, "SCRAM-SHA-256", restart=False)
    cond = "success" if el.tag == q(NS_SASL, "success") else \
        [c.tag.split("}")[1] for c in el if c.tag != q(NS_SASL, "text")][0]
    return cond, time.monotonic() - started


def locks(server):
    r = server.ctl("lock", "list", "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]


class RealUser(threading.Thread):
    """The account's owner signing in from home every half second while an attack runs."""

    def __init__(self, server, local, password, home):
        super().__init__()
        self.args = (server, home, local, password)
        self.results = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.results.append(sign_in(*self.args))
            self.stop.wait(0.5)


def test_one_account_from_many_addresses_locks_for_strangers_only(lockout_server):
    s = lockout_server
    password = add(s, "victim")
    home = fresh_source()
    assert sign_in(s, home, "victim", password)[0] == "success"  # home is familiar now
    owner = RealUser(s, "victim", password, home)
    owner.start()
    try:
        sources = [fresh_source() for _ in range(8)]
        # Patient guessers on 8 addresses, and impatient ones that give up after 0.3 s.
        patient = attack(s.tls_port, sources, "victim", "never-right", seconds=6, threads=8,
                         patience=5, host="a.test")
        impatient = attack(s.tls_port, sources, "victim", "never-right", seconds=4,
                           threads=8, patience=0.3, host="a.test")
    finally:
        owner.stop.set()
        owner.join(30)
    answers = real_answers(patient) + real_answers(impatient)
    print("8 addresses, 16 connections, 10 s: %d guesses, %d real answers"
          % (len(patient) + len(impatient), len(answers)))
    assert len(patient) + len(impatient) >= 16
    assert len(answers) <= THRESHOLD, "%d guesses got a real answer" % len(answers)
    refused = [r for r in patient if r[1] == "answer" and r[2] == "temporary-auth-failure"]
    assert refused, "guesses past the threshold are refused without a check"
    # The owner signed in every time, at once, all along.
    assert len(owner.results) >= 5
    for cond, seconds in owner.results:
        assert cond == "success" and seconds < 1.5, owner.results
    listed = [l for l in locks(s) if l["account"] == "victim@a.test"]
    assert listed and listed[0]["kind"] == "account" and listed[0]["failures"] == THRESHOLD
    # A stranger with the right password is refused too while the lock holds, exactly as for
    # an account that does not exist (nothing tells the two apart).
    assert sign_in(s, fresh_source(), "victim", password)[0] == "temporary-auth-failure"
    # A security administrator clears it: the account opens from anywhere again at once.
    r = s.ctl("lock", "clear", "victim@a.test")
    assert r.returncode == 0 and "cleared 1" in r.stdout, r.stdout
    assert sign_in(s, fresh_source(), "victim", password)[0] == "success"
    assert not [l for l in locks(s) if l["account"] == "victim@a.test"]
    assert "lock.clear victim@a.test success" in s.ctl("audit", "tail", "-n", "5").stdout


def test_unknown_accounts_lock_the_same_way(lockout_server):
    s = lockout_server
    results = attack(s.tls_port, [fresh_source() for _ in range(4)], "nobody-here",
                     "never-right", seconds=3, threads=4, patience=5, host="a.test")
    assert len(real_answers(results)) <= THRESHOLD
    assert any(r[2] == "temporary-auth-failure" for r in results if r[1] == "answer")


def test_spraying_many_accounts_is_slowed_tenant_wide(lockout_server):
    # On the second tenant: after a spray, unfamiliar sign-ins to the whole tenant wait.
    s = lockout_server
    names = ["spray%d" % i for i in range(40)]
    for n in names:
        add(s, n, "Kx9-sprayed-Pw1", "b.test")
    # A user of the tenant who signed in before from home.
    owner_pw = add(s, "bystander", host="b.test")
    home = fresh_source()
    assert sign_in(s, home, "bystander", owner_pw, host="b.test")[0] == "success"
    # One guess per account, each from an address of its own, impatient.
    results = []
    lock = threading.Lock()
    stop = time.monotonic() + 8

    def sprayer(offset):
        i = offset
        while time.monotonic() < stop:
            r = guess(s.tls_port, fresh_source(), names[i % len(names)], "Summer-2026!x", 0.3,
                      "b.test")
            with lock:
                results.append((False,) + r)
            i += 4

    threads = [threading.Thread(target=sprayer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    answers = real_answers(results)
    print("spraying 40 accounts from fresh addresses, 8 s: %d guesses, %d real answers"
          % (len(results), len(answers)))
    # Past the threshold every unfamiliar attempt is paced (250 ms doubling to 8 s, one by one).
    assert len(results) > SPRAY
    assert len(answers) <= SPRAY + 6, len(answers)
    # The bystander, from home, is not slowed; a stranger now is.
    cond, seconds = sign_in(s, home, "bystander", owner_pw, host="b.test")
    assert cond == "success" and seconds < 1.5
    assert sign_in(s, fresh_source(), "spray1", "Kx9-sprayed-Pw1", host="b.test")[0] == \
        "temporary-auth-failure"


def plain_attempt(server, source, local, password):
    with RawStream(server.tls_port, direct_tls=True, host="a.test", source=source) as st:
        st.secure()
        payload = base64.b64encode(b"\0" + local.encode() + b"\0" + password.encode()).decode()
        st.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, payload))
        el = st.next()
        if el.tag == q(NS_SASL, "success"):
            return "success"
        return [c.tag.split("}")[1] for c in el if c.tag != q(NS_SASL, "text")][0]


def test_the_same_wrong_password_repeated_counts_once(lockout_server):
    s = lockout_server
    password = add(s, "stale")
    phone = fresh_source()
    # A phone with an old saved password retries it, again and again (PLAIN shows the server
    # the password, so it can tell it is the same one).
    for _ in range(THRESHOLD * 2):
        assert plain_attempt(s, phone, "stale", "Kx9-old-Saved1") == "not-authorized"
    assert not [l for l in locks(s) if l["account"] == "stale@a.test"]
    assert plain_attempt(s, phone, "stale", password) == "success"


def test_locks_survive_a_restart(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lockout-restart")
    path, data = write_config(tmp, "[account_security]\nlockout_threshold = 3\n")
    s = ConfigServer(data, path, "a.test").start()
    try:
        password = add(s, "kept")
        for _ in range(3):
            assert sign_in(s, fresh_source(), "kept", "Kx9-wrong-Pw1")[0] == "not-authorized"
        assert sign_in(s, fresh_source(), "kept", password)[0] == "temporary-auth-failure"
        s.stop()
        s.start()
        assert sign_in(s, fresh_source(), "kept", password)[0] == "temporary-auth-failure"
        assert [l for l in locks(s) if l["account"] == "kept@a.test"]
    finally:
        if s.running():
            s.stop()
