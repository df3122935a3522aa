"""Login records with places (libmaxminddb on a GeoIP database the test writes itself) and the
anomaly rules: new device, new country, impossible travel, a burst of failures; the user is
told of the new sign-in by a message from the host; a tenant may freeze on an anomaly, or
require a second factor from then on."""
import json
import time

import pytest

from admin_client import AdminClient
from mmdb_writer import city_record, write
from raw_xmpp import NS_CLIENT, NS_SASL, RawStream, q
from test_config_hosts import ConfigServer, write_config

SHANGHAI = "127.1.0."
BEIJING = "127.3.0."
NEW_YORK = "127.2.0."


@pytest.fixture(scope="module")
def geo_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("anomalies")
    db = write(str(tmp / "city.mmdb"), {
        "127.1.0.0/16": city_record("CN", "Shanghai", 31.23, 121.47),
        "127.3.0.0/16": city_record("CN", "Beijing", 39.90, 116.40),
        "127.2.0.0/16": city_record("US", "New York", 40.71, -74.0),
    })
    extra = """
[account_security]
geoip_database = "%s"
failure_burst_threshold = 4

[[hosts]]
name = "f.test"
[hosts.account_security]
anomaly_action = "freeze"
anomaly_rules = ["impossible-travel"]

[[hosts]]
name = "m.test"
[hosts.account_security]
anomaly_action = "require-second-factor"
anomaly_rules = ["impossible-travel"]
""" % db
    path, data = write_config(tmp, extra)
    s = ConfigServer(data, path, "a.test").start()
    # The first tenant holds the first-start administrators.
    r = s.ctl("token", "create", "secadmin@a.test", "--label", "anomalies")
    assert r.returncode == 0, r.stderr
    s.secadmin_token = r.stdout.strip()
    yield s
    if s.running():
        s.stop()


def add(s, jid, password="Kx9-Travel-Pw7"):
    r = s.ctl("user", "add", jid, password)
    assert r.returncode == 0, r.stderr
    return password


def login(s, source, local, host, password, resource):
    st = RawStream(s.tls_port, direct_tls=True, host=host, source=source)
    st.login(local, password, resource)
    return st


def records(s, jid, n=20):
    r = s.ctl("login-log", jid, "-n", str(n), "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]


def wait_records(s, jid, count):
    deadline = time.monotonic() + 5
    while True:
        rows = records(s, jid)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def alerts(s, rule):
    r = AdminClient(s.admin_port, token=s.secadmin_token).get("/api/v1/alerts?limit=200")
    assert r.status == 200, r
    return [a for a in r.json()["items"] if a["rule"] == rule]


def wait_alert(s, rule, needle):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [a for a in alerts(s, rule) if needle in a["summary"]]
        if found:
            return found
        time.sleep(0.05)
    return []


def test_places_new_country_impossible_travel_and_the_users_message(geo_server):
    s = geo_server
    pw = add(s, "traveller@a.test")
    with login(s, SHANGHAI + "5", "traveller", "a.test", pw, "phone"):
        pass
    with login(s, BEIJING + "6", "traveller", "a.test", pw, "phone"):
        pass
    rows = wait_records(s, "traveller@a.test", 2)
    assert rows[0]["country"] == "CN" and rows[0]["city"] == "Beijing", rows[0]
    assert rows[1]["city"] == "Shanghai"
    # Beijing after Shanghai in seconds is 1,000 km: faster than any airliner.
    assert wait_alert(s, "login-impossible-travel", "traveller@a.test")
    assert not alerts(s, "login-new-country")
    # New York: a new country, and 11,000 km in seconds.
    ny = login(s, NEW_YORK + "7", "traveller", "a.test", pw, "phone")
    try:
        ny.send("<presence/>")
        # The Beijing notice waited offline and comes first; then this one.
        bodies = []
        while not any("New York" in b for b in bodies):
            note = ny.expect(lambda e: e.tag == q(NS_CLIENT, "message")
                             and e.get("from") == "a.test", timeout=5)
            bodies.append(note.findtext(q(NS_CLIENT, "body")))
        body = bodies[-1]
        assert "Beijing" in bodies[0]
        assert "New sign-in" in body and "New York, US" in body and NEW_YORK + "7" in body, body
    finally:
        ny.close()
    assert wait_alert(s, "login-new-country", "traveller@a.test")
    assert records(s, "traveller@a.test", 1)[0]["country"] == "US"


def test_new_device_and_failure_burst(geo_server):
    s = geo_server
    pw = add(s, "gadgets@a.test")
    phone = s.ctl("device", "add", "gadgets@a.test", "Phone").stdout.strip()
    laptop = s.ctl("device", "add", "gadgets@a.test", "Laptop").stdout.strip()
    with login(s, SHANGHAI + "9", "gadgets", "a.test", phone, "x1"):
        pass
    # A password sign-in from an unnamed client is no device; the phone's second use is known.
    with login(s, SHANGHAI + "9", "gadgets", "a.test", pw, "x2"):
        pass
    with login(s, SHANGHAI + "9", "gadgets", "a.test", phone, "x3"):
        pass
    # The admin API reads after the storage thread has handled the sign-ins: no wait needed.
    assert not [a for a in alerts(s, "login-new-device") if "gadgets@a.test" in a["summary"]]
    with login(s, SHANGHAI + "9", "gadgets", "a.test", laptop, "x4"):
        pass
    found = wait_alert(s, "login-new-device", "gadgets@a.test")
    assert found and "app-password:" in found[0]["summary"]
    for _ in range(4):
        with RawStream(s.tls_port, direct_tls=True, host="a.test", source=SHANGHAI + "10") as st:
            st.secure()
            assert st.auth("gadgets", "Kx9-not-it-77", restart=False).tag == q(NS_SASL, "failure")
    assert wait_alert(s, "login-failure-burst", "gadgets@a.test")


def test_a_tenant_can_freeze_on_an_anomaly(geo_server):
    s = geo_server
    pw = add(s, "runner@f.test")
    with login(s, SHANGHAI + "20", "runner", "f.test", pw, "phone"):
        pass
    far = login(s, NEW_YORK + "20", "runner", "f.test", pw, "phone")
    try:
        cond, text, _ = far.stream_error(timeout=5)
        assert cond == "policy-violation" and "locked" in text
    finally:
        far.close()
    with RawStream(s.tls_port, direct_tls=True, host="f.test", source=SHANGHAI + "20") as st:
        st.secure()
        failure = st.auth("runner", pw, restart=False)
        assert failure.find(q(NS_SASL, "account-disabled")) is not None
    audit = s.ctl("audit", "tail", "-n", "20").stdout
    assert "rampartd from local user.freeze runner@f.test success: sign-in anomaly: impossible-travel" \
        in audit, audit


def test_a_tenant_can_require_a_second_factor_on_an_anomaly(geo_server):
    s = geo_server
    pw = add(s, "walker@m.test")
    phone = s.ctl("device", "add", "walker@m.test", "Phone").stdout.strip()
    with login(s, SHANGHAI + "30", "walker", "m.test", pw, "desk"):
        pass
    # The same password from New York seconds later: that session ends, and from now on the
    # password alone opens nothing.
    far = login(s, NEW_YORK + "30", "walker", "m.test", pw, "desk")
    try:
        cond, text, _ = far.stream_error(timeout=5)
        assert cond == "policy-violation" and "second factor" in text, text
    finally:
        far.close()
    with RawStream(s.tls_port, direct_tls=True, host="m.test", source=SHANGHAI + "30") as st:
        st.secure()
        failure = st.auth("walker", pw, restart=False)
        assert failure.find(q(NS_SASL, "not-authorized")) is not None
        assert "second factor" in failure.findtext(q(NS_SASL, "text")), failure
    # Device credentials keep working; the person is told what to do.
    with login(s, SHANGHAI + "30", "walker", "m.test", phone, "phone") as st:
        st.send("<presence/>")
        bodies = []
        while not any("second factor is now required" in b for b in bodies):
            note = st.expect(lambda e: e.tag == q(NS_CLIENT, "message")
                             and e.get("from") == "m.test", timeout=5)
            bodies.append(note.findtext(q(NS_CLIENT, "body")))
    # The account center asks for enrolment before anything else.
    from test_account_center import AccountClient
    c = AccountClient(s, source=SHANGHAI + "31")
    r = c.sign_in("walker@m.test", pw)
    assert r.status == 201 and r.json()["stage"] == "totp_enrolment", r
    assert r.json()["second_factor"]["required"] is True
    audit = s.ctl("audit", "tail", "-n", "30").stdout
    assert ("rampartd from local user.require_second_factor walker@m.test success: "
            "sign-in anomaly: impossible-travel") in audit, audit
