"""Password reset in the account center through a real HTTPS client against a real rampartd:
a phone number confirmed by a code sent through the SMS gateway (the development outbox file),
the 7-day wait before it can reset anything, the reset code (6 digits, attempt and resend
limits), identical answers for unknown accounts, the second factor still required, security
questions (a tenant that turns them on; answers normalised), the new password under the policy,
and the sessions ending unless the person keeps them."""

import json
import sqlite3
import time

import pytest

from admin_client import totp
from raw_xmpp import NS_SASL, RawStream, account_password, q
from test_account_center import (AccountClient, enrol_totp, new_account, problem, signed_in,
                                 xmpp_auth)
from test_config_hosts import ConfigServer, write_config


def outbox(server):
    path = server.data_dir / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_sms(server, number_tail, after, timeout=5):
    """The newest message to a number ending in `number_tail` written after `after` entries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msgs = [m for m in outbox(server)[after:] if m["to"].endswith(number_tail)]
        if msgs:
            return msgs[-1]
        time.sleep(0.05)  # the gateway's thread appends to a file: nothing to wait on
    raise AssertionError("no text message to ...%s" % number_tail)


def code_in(message):
    return next(w for w in message["text"].replace(".", " ").split() if w.isdigit() and len(w) == 6)


def backdate_phone(server, account, days=8):
    db = sqlite3.connect(str(server.data_dir / "rampart.db"), timeout=10)
    try:
        with db:
            db.execute("UPDATE account_state SET phone_added = ? WHERE host = ? AND user = ?",
                       (int((time.time() - days * 86400) * 1000), account.jid.split("@")[1],
                        account.local))
    finally:
        db.close()


def confirm_phone(server, c, number):
    seen = len(outbox(server))
    r = c.post("/phone", {"number": number})
    assert r.status == 202, r
    msg = wait_for_sms(server, number[-4:], seen)
    r = c.post("/phone/confirm", {"code": code_in(msg)})
    assert r.status == 200, r
    return r.json()


_numbers = iter(range(13800000000, 13900000000, 7919))


def started_reset(server, c, account):
    """A phone confirmed (and aged past the 7-day wait) for `account`, then a reset started from
    a browser without a session: (that browser, the reset id, the code sent)."""
    number = str(next(_numbers))
    confirm_phone(server, c, number)
    backdate_phone(server, account)
    anon = AccountClient(server)
    seen = len(outbox(server))
    rid = anon.post("/reset", {"jid": account.jid}, csrf=False).json()["reset_id"]
    return anon, rid, code_in(wait_for_sms(server, number[-4:], seen))


def test_phone_is_confirmed_by_a_code_and_waits_seven_days(server):
    a = new_account(server, "ph")
    c = signed_in(server, a)
    number = str(next(_numbers))
    problem(c.post("/phone", {"number": "12ab"}), 422, "invalid-input")
    seen = len(outbox(server))
    assert c.post("/phone", {"number": number}).status == 202
    msg = wait_for_sms(server, number[-4:], seen)
    assert msg["to"] == "+86" + number and msg["tenant"] == server.host
    problem(c.post("/phone/confirm", {"code": "000000" if code_in(msg) != "000000" else "111111"}),
            422, "wrong-code")
    r = c.post("/phone/confirm", {"code": code_in(msg)})
    assert r.status == 200, r
    info = r.json()
    assert info["phone"] == "+86 " + "*" * 7 + number[-4:], info
    assert info["phone_usable_from"] > info["phone_added"]
    # A reset now sends nothing: the number is too new.
    seen = len(outbox(server))
    anon = AccountClient(server)
    r = anon.post("/reset", {"jid": a.jid}, csrf=False)
    assert r.status == 202 and r.json()["next"] == "code", r
    # The gateway sends in order: once a later message is out, a reset code would be too.
    marker = str(next(_numbers))
    assert c.post("/phone", {"number": marker}).status == 202
    wait_for_sms(server, marker[-4:], seen)
    assert not [m for m in outbox(server)[seen:] if m["to"].endswith(number[-4:])]


def test_reset_by_code_sets_a_new_password_and_ends_sessions(server):
    a = new_account(server, "rs")
    c = signed_in(server, a)
    number = str(next(_numbers))
    confirm_phone(server, c, number)
    backdate_phone(server, a)
    live = RawStream(server.tls_port, direct_tls=True, host=server.host)
    with live:
        live.login(a.local, a.password, "desk")
        anon = AccountClient(server)
        seen = len(outbox(server))
        r = anon.post("/reset", {"jid": a.jid}, csrf=False)
        assert r.status == 202, r
        rid = r.json()["reset_id"]
        msg = wait_for_sms(server, number[-4:], seen)
        code = code_in(msg)
        # The next step is refused until the code is given.
        problem(anon.post("/reset/%s/password" % rid, {"new_password": "x"}, csrf=False),
                409, "precondition")
        problem(anon.post("/reset/%s/resend" % rid, csrf=False), 429, "throttled")
        r = anon.post("/reset/%s/code" % rid, {"code": code}, csrf=False)
        assert r.status == 200 and r.json()["next"] == "password", r
        body = problem(anon.post("/reset/%s/password" % rid, {"new_password": a.local + "-Kq9x"},
                                 csrf=False), 422, "invalid-input")
        assert "account name" in body["detail"], body
        new = account_password("reset " + a.jid)
        r = anon.post("/reset/%s/password" % rid, {"new_password": new}, csrf=False)
        assert r.status == 204, r
        assert live.wait_closed(5), "the session signed in before the reset is still open"
    assert xmpp_auth(server, a.local, new).tag == q(NS_SASL, "success")
    assert xmpp_auth(server, a.local, a.password).tag == q(NS_SASL, "failure")
    # The reset is over: its id answers no more.
    problem(AccountClient(server).post("/reset/%s/code" % rid, {"code": code}, csrf=False),
            404, "not-found")


def test_unknown_accounts_get_the_same_answers(server):
    a = new_account(server, "ru")
    anon = AccountClient(server)
    known = anon.post("/reset", {"jid": a.jid}, csrf=False)
    unknown = anon.post("/reset", {"jid": "nobody-at-all@" + server.host}, csrf=False)
    foreign = anon.post("/reset", {"jid": "someone@elsewhere.test"}, csrf=False)
    for r in (known, unknown, foreign):
        assert r.status == 202, r
        assert set(r.json()) == {"reset_id", "next"} and r.json()["next"] == "code"
    for r in (known, unknown):
        body = problem(anon.post("/reset/%s/code" % r.json()["reset_id"], {"code": "123456"},
                                 csrf=False), 422, "wrong-code")
        assert body["detail"].startswith("wrong or expired code")


def test_five_wrong_codes_spend_the_code(server):
    a = new_account(server, "rw")
    c = signed_in(server, a)
    anon, rid, code = started_reset(server, c, a)
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    for _ in range(5):
        problem(anon.post("/reset/%s/code" % rid, {"code": wrong}, csrf=False), 422, "wrong-code")
    problem(anon.post("/reset/%s/code" % rid, {"code": code}, csrf=False), 422, "wrong-code")


def test_reset_still_needs_the_second_factor(server):
    a = new_account(server, "rf")
    c = signed_in(server, a)
    secret, _ = enrol_totp(c)
    anon, rid, code = started_reset(server, c, a)
    r = anon.post("/reset/%s/code" % rid, {"code": code}, csrf=False)
    assert r.json()["next"] == "second_factor" and r.json()["factors"] == ["totp"], r
    problem(anon.post("/reset/%s/password" % rid, {"new_password": "whatever-Kq9x"}, csrf=False),
            409, "precondition")
    # No passkey to ask for; one answer at a time.
    problem(anon.post("/reset/%s/passkey-options" % rid, csrf=False), 409, "precondition")
    problem(anon.post("/reset/%s/second-factor" % rid, {"code": "123456", "passkey": {}},
                      csrf=False), 422, "invalid-input")
    problem(anon.post("/reset/%s/second-factor" % rid, {"code": "000000"}, csrf=False)
            if totp(secret, step_offset=1) != "000000" else
            anon.post("/reset/%s/second-factor" % rid, {"code": "111111"}, csrf=False),
            422, "wrong-code")
    r = anon.post("/reset/%s/second-factor" % rid, {"code": totp(secret, step_offset=1)},
                  csrf=False)
    assert r.status == 200 and r.json()["next"] == "password", r
    new = account_password("second " + a.jid)
    r = anon.post("/reset/%s/password" % rid, {"new_password": new, "keep_sessions": True},
                  csrf=False)
    assert r.status == 204, r
    assert xmpp_auth(server, a.local, new).tag == q(NS_SASL, "success")


def test_bad_input_is_refused(server):
    anon = AccountClient(server)
    problem(anon.post("/reset", {"jid": "x@y", "extra": 1}, csrf=False), 422, "invalid-input")
    problem(anon.post("/reset", {}, csrf=False), 422, "invalid-input")
    problem(anon.post("/reset/nonexistent/code", {"code": "123456"}, csrf=False), 404, "not-found")
    r = anon.request("POST", "/reset", body="not json", headers={"Content-Type": "application/json"},
                     csrf=False)
    problem(r, 400, "malformed-json")


@pytest.fixture(scope="module")
def questions_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reset-questions")
    path, data = write_config(tmp, "[account_security]\nreset_questions = true\n")
    s = ConfigServer(data, path, "a.test").start()
    yield s
    s.stop()


def test_security_questions_are_an_extra_step(questions_server):
    s = questions_server
    a = new_account(s, "rq", host="a.test")
    c = signed_in(s, a)
    items = [{"question": "First school?", "answer": "Nanjing  Road   Primary"},
             {"question": "Favourite dish?", "answer": "Mapo Tofu"},
             {"question": "First pet's name?", "answer": "Ｗａｎｇｃａｉ"}]
    problem(c.put("/security-questions", {"items": items[:2]}), 422, "invalid-input")
    r = c.put("/security-questions", {"items": items})
    assert r.status == 200, r
    assert r.json()["questions"] == [i["question"] for i in items]
    anon, rid, code = started_reset(s, c, a)
    r = anon.post("/reset/%s/code" % rid, {"code": code}, csrf=False)
    assert r.json() == {"reset_id": rid, "next": "questions",
                        "questions": [i["question"] for i in items]}, r.json()
    problem(anon.post("/reset/%s/questions" % rid,
                      {"answers": ["nanjing road primary", "mapo tofu", "wrong"]}, csrf=False),
            422, "wrong-answers")
    # Case, width and spacing do not matter.
    r = anon.post("/reset/%s/questions" % rid,
                  {"answers": [" NANJING road primary", "mapo   TOFU", "wangcai"]}, csrf=False)
    assert r.status == 200 and r.json()["next"] == "password", r
    new = account_password("questions " + a.jid)
    assert anon.post("/reset/%s/password" % rid, {"new_password": new}, csrf=False).status == 204
