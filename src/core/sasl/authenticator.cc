#include "core/sasl/authenticator.h"
#include "core/sasl/sasl2.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstring>

#include "core/credentials.h"
#include "core/log_value.h"
#include "core/module_host.h"
#include "security/admin/admin_ops.h"
#include "security/audit/audit_log.h"
#include "security/mfa/second_factor.h"
#include "rampart/core/jid.h"

namespace rampart::core::sasl {

namespace asio = boost::asio;
using asio::awaitable;
using security::throttle::SignInThrottle;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Failures that answer a guess (wrong or malformed credentials): paced and counted. An abort,
// an unknown mechanism or a refusal for missing TLS reveals nothing about a password.
bool answersGuess(SaslError e) {
  switch (e) {
    case SaslError::kNotAuthorized:
    case SaslError::kMalformedRequest:
    case SaslError::kIncorrectEncoding:
    case SaslError::kInvalidAuthzid:
      return true;
    default:
      return false;
  }
}

// Work handed to the storage thread; the coroutine waits on `done`, then reads `result`.
// (A plain function, not a coroutine: GCC 12 miscompiles lambdas passed as coroutine
// arguments, destroying their captures twice.)
template <typename T>
struct StorageCall {
  std::shared_ptr<T> result = std::make_shared<T>();
  std::shared_ptr<asio::steady_timer> done;
};

template <typename T, typename F>
StorageCall<T> onStorage(StorageRunner& runner, const asio::any_io_executor& ex, F work) {
  StorageCall<T> call;
  call.done = std::make_shared<asio::steady_timer>(ex, std::chrono::steady_clock::time_point::max());
  runner.run([result = call.result, done = call.done, ex, work = std::move(work)](
                 storage::Storage& s) mutable {
    *result = work(s);
    asio::post(ex, [done] { done->cancel(); });
  });
  return call;
}

}  // namespace

std::uint64_t secretFingerprint(const std::string& key, const std::string& account,
                                const std::string& secret) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string what = account + "\n" + secret;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(what.data()), what.size(), mac, &len);
  std::uint64_t fp = 0;
  std::memcpy(&fp, mac, sizeof fp);
  return fp | 1;
}

namespace {

// The SASL text for a password past the tenant's maximum age (a plain function: coroutine
// bodies keep string arithmetic out, see GCC 12 notes in CONVENTIONS).
std::string expiredText(std::uint32_t days, const std::string& center) {
  std::string text = "the password is older than this organisation's maximum of " +
                     std::to_string(days) + " days: it must be changed (";
  text += center.empty() ? std::string("ask your administrator to set a new one")
                         : "sign in to the account center at " + center + " to change it";
  return text + ")";
}

bool suspendedNow(const storage::AccountState& s, std::int64_t now) {
  return s.freezeMode == "suspend" && (s.frozenUntilMs == 0 || now < s.frozenUntilMs);
}

}  // namespace

// What the exchange in progress knows about the account it names.
struct Authenticator::Lookup {
  bool known = false;
  ScramCredential main;
  std::vector<std::string> deviceIds;          // app passwords (in the order of the
                                               // alternatives), then FAST tokens
  std::vector<std::string> deviceKinds;        // "app-password" or "fast", as deviceIds
  std::vector<ScramCredential> deviceKeys;     // same salt and iterations as `main`
  std::vector<std::pair<std::string, std::string>> fastTokens;  // (seed, id), current first
  bool oneTimePassword = false;                // first-start administrator: must change it
  bool secondFactor = false;                   // a second factor (TOTP) is enrolled
  std::string role;                            // the administrator role held, if any
  storage::AccountState state;
};

Authenticator::Authenticator(AuthDeps& deps, asio::any_io_executor ex, std::string host,
                             AuthPeer peer)
    : deps_(deps), ex_(std::move(ex)), host_(std::move(host)), peer_(std::move(peer)) {}

std::vector<std::string> Authenticator::mechanisms(const ChannelBindings& cb) const {
  std::vector<std::string> out;
  if (!cb.empty()) {
    out.emplace_back("SCRAM-SHA-256-PLUS");
    out.emplace_back("SCRAM-SHA-1-PLUS");
  }
  out.emplace_back("SCRAM-SHA-256");
  out.emplace_back("SCRAM-SHA-1");
  if (deps_.config.allowPlain && peer_.tls) {
    out.emplace_back("PLAIN");
  }
  return out;
}

std::string Authenticator::accountKeyFor(const std::string& rawUser) const {
  auto user = prepareLocalpart(rawUser);
  return user ? SignInThrottle::accountKey(host_, *user) : std::string();
}

std::string Authenticator::accountCenterUrl() const {
  if (deps_.services == nullptr || !deps_.config.accountCenter) {
    return {};
  }
  const std::string base = deps_.services->httpsBase();
  return base.empty() ? std::string() : base + "/account/";
}

void Authenticator::startGrace(const std::string& user, std::int64_t deadlineMs,
                               const std::string& center) {
  // The grace period starts when the account is first told; the notice waits with the others
  // and goes out once the session is bound.
  const std::string body =
      "Your organisation requires a second factor for this account. Enrol one in the account "
      "center" + (center.empty() ? std::string() : " (" + center + ")") + " before " +
      security::audit::formatUtcMillis(deadlineMs) + ": after that your password alone will no longer sign in "
      "chat apps, and each device will need its own app password from the account center.";
  const std::string host = host_;
  deps_.storage.run([host, user, body, now = nowMs(), sent = deps_.noticesQueued](
                        storage::Storage& s) {
    auto st = s.accountSecurity().accountState(host, user);
    if (!st.isOk() || st.value().mfaGraceStartMs != 0) {
      return;
    }
    auto state = std::move(st).value();
    state.mfaGraceStartMs = now;
    if (s.accountSecurity().putAccountState(host, user, state).isOk()) {
      security::admin::queueNotice(s, host, user, body, now);
      if (sent) sent();
    }
  });
}

storage::LoginRecord Authenticator::newRecord(const std::string& user) const {
  storage::LoginRecord r;
  r.timeMs = nowMs();
  r.host = host_;
  r.user = prepareLocalpart(user).value_or(user.substr(0, 64));
  r.protocol = peer_.protocol;
  r.source = peer_.address;
  r.port = peer_.port;
  r.client = client_;
  r.credential = "password";
  return r;
}

void Authenticator::record(storage::LoginRecord r) {
  if (deps_.recordLogin) {
    deps_.recordLogin(std::move(r));
  }
}

awaitable<bool> Authenticator::answerWhenDue(const std::string& account, bool right,
                                             std::uint64_t attempt) {
  auto at = deps_.throttle.checked(peer_.key, account,
                                   right ? SignInThrottle::Verdict::kRight
                                         : SignInThrottle::Verdict::kWrong,
                                   attempt);
  if (!at) {
    deps_.refusals.refuse("sign-in-throttled", peer_.address, "answer would wait beyond the limit");
    co_return false;
  }
  // The wait depends only on the attempts before this one, never on whether it was right: a
  // client that gives up early learns nothing, and a wrong guess has counted already.
  if (*at > std::chrono::steady_clock::now()) {
    asio::steady_timer t(ex_, *at);
    co_await t.async_wait(kUseTuple);
  }
  co_return true;
}

awaitable<AuthStep> Authenticator::failure(SaslError error, std::string text,
                                           std::uint64_t attempt) {
  if (answersGuess(error)) {
    const std::string key = accountKeyFor(saslUser_);
    const bool due = co_await answerWhenDue(key, false, attempt);
    ++failures_;
    spdlog::info("event=auth_failed peer={} user={} host={} condition={} failures={}",
                 peer_.address, logQuoted(saslUser_), host_, saslErrorName(error), failures_);
    if (error != SaslError::kNotAuthorized) {
      deps_.refusals.refuse("sasl-malformed", peer_.address, saslErrorName(error));
    }
    auto r = newRecord(saslUser_);
    r.reason = std::string(saslErrorName(error));
    record(std::move(r));
    if (!due) {
      error = SaslError::kTemporaryAuthFailure;
    }
  }
  if (error == SaslError::kTemporaryAuthFailure && text.empty()) {
    text = "too many sign-in attempts from this address or for this account; try later";
  }
  scram_.reset();
  scramGotFirst_ = false;
  saslUser_.clear();
  account_.reset();
  AuthStep step;
  step.kind = AuthStep::Kind::kFailure;
  step.error = error;
  step.text = std::move(text);
  step.endStream = failures_ >= deps_.config.maxAuthFailures;
  co_return step;
}

awaitable<AuthStep> Authenticator::fail(SaslError error) { co_return co_await failure(error); }

awaitable<std::shared_ptr<Authenticator::Lookup>> Authenticator::lookup(const std::string& user,
                                                                         ScramHash hash) {
  const std::string mech = hash == ScramHash::kSha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
  auto call = onStorage<std::shared_ptr<Lookup>>(
      deps_.storage, ex_,
      [host = host_, user, mech, hash](storage::Storage& s) -> std::shared_ptr<Lookup> {
        auto out = std::make_shared<Lookup>();
        auto creds = s.accounts().credentials(host, user);
        if (!creds.isOk()) {
          return out;
        }
        for (auto& c : creds.value()) {
          if (c.mechanism == mech) {
            out->known = true;
            out->main.hash = hash;
            out->main.salt = c.salt;
            out->main.iterations = c.iterations;
            out->main.storedKey = c.storedKey;
            out->main.serverKey = c.serverKey;
          }
        }
        if (!out->known) {
          return out;
        }
        // A one-time password (first-start administrators) opens nothing until it is changed.
        auto sec = s.admin().adminSecurity(host, user);
        out->oneTimePassword = !sec.isOk() || (sec.value() && sec.value()->mustChangePassword);
        // The TOTP state is in `sec` already; a passkey also counts as a second factor.
        bool totp = sec.isOk() && sec.value() && sec.value()->totpEnrolled;
        auto keys = totp ? core::Result<std::vector<storage::Passkey>>(std::vector<storage::Passkey>{})
                         : s.accountSecurity().passkeys(host, user);
        out->secondFactor = totp || (keys.isOk() && !keys.value().empty());
        if (auto grant = s.admin().roleOf(host, user); grant.isOk() && grant.value()) {
          out->role = grant.value()->role;
        }
        if (auto st = s.accountSecurity().accountState(host, user); st.isOk()) {
          out->state = std::move(st).value();
        }
        const auto now = nowMs();
        if (auto devs = s.accountSecurity().devices(host, user); devs.isOk()) {
          for (auto& d : devs.value()) {
            if (d.kind != "app-password" || (d.expiresMs != 0 && d.expiresMs <= now)) {
              continue;
            }
            const bool sha256 = hash == ScramHash::kSha256;
            const std::string& salt = sha256 ? d.salt : d.salt1;
            if (salt != out->main.salt || d.iterations != out->main.iterations) {
              continue;  // made before the account's salt changed: no longer usable
            }
            ScramCredential k;
            k.hash = hash;
            k.salt = salt;
            k.iterations = d.iterations;
            k.storedKey = sha256 ? d.storedKey256 : d.storedKey1;
            k.serverKey = sha256 ? d.serverKey256 : d.serverKey1;
            out->deviceIds.push_back(d.id);
            out->deviceKinds.push_back(d.kind);
            out->deviceKeys.push_back(std::move(k));
          }
          for (auto& d : devs.value()) {
            if (d.kind != "fast" || (d.expiresMs != 0 && d.expiresMs <= now)) continue;
            out->deviceIds.push_back(d.id);
            out->deviceKinds.push_back(d.kind);
            out->fastTokens.emplace_back(d.secretHash, d.id);
            if (!d.previousHash.empty()) out->fastTokens.emplace_back(d.previousHash, d.id);
          }
        }
        return out;
      });
  co_await call.done->async_wait(kUseTuple);
  std::shared_ptr<Lookup> found = *call.result;
  if (!found->known) {
    // Unknown user: a stable fake salt so that probing cannot tell users apart.
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const std::string msg = host_ + "/" + user;
    HMAC(EVP_sha256(), deps_.fakeSaltKey.data(), static_cast<int>(deps_.fakeSaltKey.size()),
         reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
    found->main.hash = hash;
    found->main.salt.assign(reinterpret_cast<char*>(mac), 16);
    found->main.iterations = deps_.config.scramIterations;
    found->main.storedKey = randomBytes(hash == ScramHash::kSha256 ? 32 : 20);
    found->main.serverKey = randomBytes(hash == ScramHash::kSha256 ? 32 : 20);
  }
  co_return found;
}

awaitable<AuthStep> Authenticator::start(const std::string& mech,
                                         std::optional<std::string> initial,
                                         const ChannelBindings& cb) {
  if (scram_) {
    co_return co_await failure(SaslError::kAborted);
  }
  result_ = AuthResult{};
  if (mech == "PLAIN" && deps_.config.allowPlain && peer_.tls) {
    co_return co_await plain(initial);
  }
  if (mech == kFastMechanism && fastAllowed_) {
    co_return co_await fast(initial);
  }
  ScramHash hash;
  bool plus = false;
  if (mech == "SCRAM-SHA-256") {
    hash = ScramHash::kSha256;
  } else if (mech == "SCRAM-SHA-1") {
    hash = ScramHash::kSha1;
  } else if (mech == "SCRAM-SHA-256-PLUS" && !cb.empty()) {
    hash = ScramHash::kSha256;
    plus = true;
  } else if (mech == "SCRAM-SHA-1-PLUS" && !cb.empty()) {
    hash = ScramHash::kSha1;
    plus = true;
  } else {
    co_return co_await failure(SaslError::kInvalidMechanism);
  }
  if (plus && initial && initial->starts_with("p=")) {
    std::string_view type = std::string_view(*initial).substr(2);
    type = type.substr(0, type.find(','));
    if (cb.find(type) == cb.end()) {
      cbTypeMismatch_ = true;
    }
  }
  // RFC 5802 section 6: while -PLUS is offered, "y" is a downgrade and fails. COMPAT:
  // slixmpp <= 1.8 knows only tls-unique, which TLS 1.3 lacks; after its -PLUS attempt fails
  // it retries with "y". sasl.accept_channel_binding_downgrade (off by default) lets such a
  // retry through, at the cost that an attacker who terminates TLS can do the same.
  const bool offersPlus = !cb.empty() && !(deps_.config.acceptCbDowngrade && cbTypeMismatch_);
  scram_ = std::make_unique<ScramServer>(hash, plus, offersPlus, cb);
  scramHash_ = hash;
  scramGotFirst_ = false;
  if (!initial || initial->empty()) {
    // No initial response: an empty challenge asks for client-first.
    AuthStep step;
    step.kind = AuthStep::Kind::kChallenge;
    co_return step;
  }
  co_return co_await respond(std::move(*initial));
}

awaitable<AuthStep> Authenticator::respond(std::string data) {
  if (!scram_) {
    co_return co_await failure(SaslError::kMalformedRequest);
  }
  if (!scramGotFirst_) {
    if (auto e = scram_->receiveClientFirst(data); e != SaslError::kNone) {
      co_return co_await failure(e);
    }
    scramGotFirst_ = true;
    saslUser_ = scram_->username();
    const std::string user = prepareLocalpart(saslUser_).value_or(saslUser_);
    account_ = co_await lookup(user, scramHash_);
    AuthStep step;
    if (!scram_) {
      co_return co_await failure(SaslError::kAborted);
    }
    step.kind = AuthStep::Kind::kChallenge;
    step.data = scram_->serverFirst(account_->main);
    for (std::size_t i = 0; i < account_->deviceKeys.size(); ++i) {
      scram_->addAlternative(account_->deviceKeys[i].storedKey, account_->deviceKeys[i].serverKey);
    }
    co_return step;
  }
  // The proof is checked at once and the check recorded; its answer, right or wrong, is then
  // paced by what came before it.
  if (!deps_.throttle.admits(peer_.key, accountKeyFor(saslUser_))) {
    deps_.refusals.refuse("sign-in-throttled", peer_.address, "answer would wait beyond the limit");
    co_return co_await failure(SaslError::kTemporaryAuthFailure);
  }
  if (auto e = scram_->receiveClientFinal(data); e != SaslError::kNone) {
    co_return co_await failure(e);
  }
  auto prepared = prepareLocalpart(saslUser_);
  const std::string authz = scram_->authzid();
  if (!prepared || !account_ || !account_->known) {
    co_return co_await failure(SaslError::kNotAuthorized);
  }
  if (!authz.empty() && authz != *prepared + "@" + host_) {
    co_return co_await failure(SaslError::kInvalidAuthzid);
  }
  const std::size_t matched = scram_->matched();
  std::string serverFinal = scram_->serverFinal();
  co_return co_await succeeded(*prepared, matched, std::move(serverFinal));
}

// XEP-0484 FAST with HT-SHA-256-NONE (draft-schmaltz-hashed-token-sasl): the initial response
// is the user name, NUL, and HMAC-SHA-256 keyed with the token over "Initiator"; the server
// proves it holds the token too with HMAC over "Responder". Only inside SASL2.
awaitable<AuthStep> Authenticator::fast(const std::optional<std::string>& initial) {
  auto parsed = initial ? parseFastInitial(*initial) : std::nullopt;
  if (!parsed) {
    co_return co_await failure(SaslError::kMalformedRequest);
  }
  saslUser_ = parsed->user;
  const std::string proof = parsed->proof;
  auto user = prepareLocalpart(saslUser_);
  if (!deps_.throttle.admits(peer_.key, accountKeyFor(saslUser_))) {
    deps_.refusals.refuse("sign-in-throttled", peer_.address, "answer would wait beyond the limit");
    co_return co_await failure(SaslError::kTemporaryAuthFailure);
  }
  if (!user) {
    co_return co_await failure(SaslError::kNotAuthorized);
  }
  account_ = co_await lookup(*user, ScramHash::kSha256);
  std::optional<std::size_t> matched;
  std::string responder;
  for (const auto& [seed, id] : account_->fastTokens) {
    const std::string token = fastTokenFor(deps_.fastKey, seed);
    const std::string expect = fastProof(token, "Initiator");
    if (expect.size() == proof.size() &&
        CRYPTO_memcmp(expect.data(), proof.data(), proof.size()) == 0) {
      for (std::size_t i = 0; i < account_->deviceIds.size(); ++i) {
        if (account_->deviceIds[i] == id && account_->deviceKinds[i] == "fast") matched = i + 1;
      }
      responder = fastProof(token, "Responder");
      result_.fastToken = seed;
      break;
    }
  }
  if (!matched) {
    co_return co_await failure(SaslError::kNotAuthorized);
  }
  co_return co_await succeeded(*user, *matched, std::move(responder));
}

// RFC 4616 PLAIN (only when configured, only inside TLS): verified against the SCRAM-SHA-256
// keys, so PBKDF2 runs on the storage thread.
awaitable<AuthStep> Authenticator::plain(const std::optional<std::string>& initial) {
  auto msg = initial ? parsePlain(*initial) : std::nullopt;
  if (!msg) {
    co_return co_await failure(SaslError::kMalformedRequest);
  }
  auto user = prepareLocalpart(msg->authcid);
  saslUser_ = msg->authcid;
  if (!deps_.throttle.admits(peer_.key, accountKeyFor(saslUser_))) {
    deps_.refusals.refuse("sign-in-throttled", peer_.address, "answer would wait beyond the limit");
    co_return co_await failure(SaslError::kTemporaryAuthFailure);
  }
  if (!user) {
    co_return co_await failure(SaslError::kNotAuthorized);
  }
  account_ = co_await lookup(*user, ScramHash::kSha256);
  std::optional<std::size_t> matched;
  if (account_->known) {
    // Stored keys come from the OpaqueString-prepared password (RFC 8265). All of the
    // account's credentials share one salt: one derivation, compared with each.
    const std::string pw = preparePassword(msg->password).value_or(std::string());
    auto acct = account_;
    auto call = onStorage<std::optional<std::size_t>>(
        deps_.storage, ex_, [acct, pw](storage::Storage&) -> std::optional<std::size_t> {
          const auto& m = acct->main;
          auto derived = deriveScramCredential(m.hash, pw, m.salt, m.iterations);
          auto same = [&](const std::string& k) {
            return k.size() == derived.storedKey.size() && !k.empty() &&
                   CRYPTO_memcmp(k.data(), derived.storedKey.data(), k.size()) == 0;
          };
          if (same(m.storedKey)) {
            return 0;
          }
          for (std::size_t i = 0; i < acct->deviceKeys.size(); ++i) {
            if (same(acct->deviceKeys[i].storedKey)) {
              return i + 1;
            }
          }
          return std::nullopt;
        });
    co_await call.done->async_wait(kUseTuple);
    matched = *call.result;
  }
  if (!matched) {
    // The server sees a PLAIN password: the same wrong one again (a client retrying a stale
    // saved password) counts once. A keyed digest, never the password, is remembered.
    const std::string account = host_ + "/" + *user;
    const std::uint64_t fp = secretFingerprint(deps_.fakeSaltKey, account, msg->password);
    std::string none;
    auto step = co_await failure(SaslError::kNotAuthorized, none, fp);
    co_return step;
  }
  if (!msg->authzid.empty() && msg->authzid != *user + "@" + host_) {
    co_return co_await failure(SaslError::kInvalidAuthzid);
  }
  co_return co_await succeeded(*user, *matched, {});
}

awaitable<AuthStep> Authenticator::succeeded(const std::string& user, std::size_t matched,
                                             std::string data) {
  scram_.reset();
  scramGotFirst_ = false;
  auto acct = std::move(account_);
  // (Named locals, not temporaries in the condition: GCC 12 miscompiles the latter.)
  const std::string key = accountKeyFor(user);
  const bool due = co_await answerWhenDue(key, true);
  if (!due) {
    co_return co_await failure(SaslError::kTemporaryAuthFailure);
  }
  auto r = newRecord(user);
  if (matched > 0) {
    result_.deviceId = acct->deviceIds[matched - 1];
    r.credential = acct->deviceKinds[matched - 1] + ":" + result_.deviceId;
  }
  const auto now = nowMs();
  const std::string center = accountCenterUrl();
  auto refuse = [&](SaslError e, std::string reason, std::string text) -> AuthStep {
    spdlog::info("event=auth_failed peer={} user={} host={} condition={} reason={}", peer_.address,
                 logQuoted(user), host_, saslErrorName(e), reason);
    r.reason = std::move(reason);
    record(std::move(r));
    saslUser_.clear();
    AuthStep step;
    step.kind = AuthStep::Kind::kFailure;
    step.error = e;
    step.text = std::move(text);
    return step;
  };
  // Only the right credential learns that the account is locked: a guess learns nothing.
  if (acct->state.lockedAt(now)) {
    co_return refuse(SaslError::kAccountDisabled, "account-locked",
                     "this account is locked; ask your security administrator");
  }
  // RFC 6120 6.5.2 <credentials-expired/>: the right password, which must be changed first.
  if (matched == 0 && acct->oneTimePassword) {
    co_return refuse(SaslError::kCredentialsExpired, "password-must-change",
                     "this one-time password must be changed first (sign in to the admin "
                     "console)");
  }
  // A password past the tenant's maximum age (mlps profile) opens no XMPP session until it is
  // changed; app passwords are separate credentials and keep working.
  if (matched == 0 && deps_.passwords != nullptr && acct->state.passwordChangedMs > 0) {
    const auto days = deps_.passwords->rules(host_).maxAgeDays;
    if (days > 0 && now - acct->state.passwordChangedMs > std::int64_t{days} * 86400000) {
      co_return refuse(SaslError::kCredentialsExpired, "password-expired",
                       expiredText(days, center));
    }
  }
  // A tenant that requires a second factor: XMPP clients cannot ask for one, so the main
  // password alone opens no session once the account has enrolled (or its grace period is
  // over); each device uses a credential made in the account center.
  if (matched == 0) {
    const auto policy =
        security::mfa::secondFactorPolicy(deps_.config, host_, acct->role, &acct->state);
    const auto standing = security::mfa::standing(policy, acct->secondFactor,
                                                  acct->state.mfaGraceStartMs, now);
    if (policy.required && standing != security::mfa::FactorStanding::kGrace) {
      co_return refuse(SaslError::kNotAuthorized, "second-factor-required",
                       "this organisation requires a second factor: sign in to the account "
                       "center" + (center.empty() ? std::string() : " at " + center) +
                           " and create an app password for this device");
    }
    if (standing == security::mfa::FactorStanding::kGrace && acct->state.mfaGraceStartMs == 0) {
      startGrace(user, now + policy.graceMs, center);
    }
  }
  result_.user = user;
  result_.credential = r.credential;
  result_.suspended = suspendedNow(acct->state, now);
  result_.atMs = now;
  r.success = true;
  result_.record = std::move(r);
  saslUser_.clear();
  spdlog::info("event=auth_ok peer={} user={}@{} credential={}", peer_.address, user, host_,
               result_.credential);
  AuthStep step;
  step.kind = AuthStep::Kind::kSuccess;
  step.data = std::move(data);
  co_return step;
}

}  // namespace rampart::core::sasl
