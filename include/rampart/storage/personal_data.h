#pragma once
// The data inventory: every column the server stores, what it holds, why, for how long and how
// it is protected at rest. `rampartctl privacy inventory` prints the personal ones; a unit test
// checks this list against the database schema (every column of every table is listed), and
// the encryption layer seals exactly the columns marked sealed, so the inventory cannot drift
// from the code (PIPL art. 6 and 19, GDPR art. 5(1)(c) and 30: minimisation, made visible).
// Constant data; thread-safe.

#include <array>
#include <string_view>

namespace rampart::storage {

enum class Protection {
  kAccountKey,  // AES-256-GCM under the owning account's key (crypto-shredded on erasure)
  kTenantKey,   // AES-256-GCM under the tenant's key
  kOwnerKey,    // the owning account's key on a tenant's domain; the tenant's key for rooms
  kHashed,      // a one-way hash or verifier (SCRAM, Argon2id, SHA-256)
  kWrapped,     // a key, encrypted by the key above it
  kBlindIndex,  // keyed digests (HMAC-SHA-256) of words: equality and frequency of words show
  kClear,       // stored as is: an identifier or time the server must look up or sort by
};

struct DataField {
  std::string_view database;  // "rampart.db", "audit.db", "keys.db", "uploads"
  std::string_view table;
  std::string_view columns;   // comma-separated
  bool personal;              // personal information (PIPL art. 4) or not
  std::string_view what;
  std::string_view purpose;
  std::string_view retention;
  Protection protection;
};

std::string_view protectionName(Protection p);

// A sealed column (the encryption layer seals it; SealedCellStore pages through it).
struct SealedColumn {
  std::string_view table;
  std::string_view column;
};

inline constexpr SealedColumn kSealedColumns[] = {
    {"archive", "stanza"},
    {"offline", "stanza"},
    {"kv", "value"},
    {"quarantine", "stanza"},
    {"quarantine", "findings"},
    {"quarantine", "report"},
    {"account_state", "phone"},
    {"account_state", "security_questions"},
    {"account_state", "freeze_reason"},
    {"logins", "source"},
    {"logins", "client"},
    {"logins", "resource"},
    {"logins", "country"},
    {"logins", "city"},
    {"admin_security", "totp_secret"},
};

// Raised whenever a column joins kSealedColumns: a tenant marked as holding nothing in clear
// under an older generation is not any more, until a pass has sealed the new columns too.
inline constexpr int kSealedGeneration = 3;

inline constexpr DataField kDataInventory[] = {
    // Accounts and sign-in.
    {"rampart.db", "accounts", "host, user", true, "account name (JID)",
     "identifies the account; routing", "until the account is deleted or erased", Protection::kClear},
    {"rampart.db", "accounts", "created", true, "when the account was created",
     "account administration", "until the account is deleted or erased", Protection::kClear},
    {"rampart.db", "credentials", "host, user, mechanism, iterations", true,
     "which password verifiers the account has", "sign-in (SCRAM, RFC 5802)",
     "until the account is deleted or erased", Protection::kClear},
    {"rampart.db", "credentials", "salt, stored_key, server_key", true,
     "password verifier (never the password)", "sign-in (SCRAM, RFC 5802)",
     "until the password changes or the account is deleted", Protection::kHashed},
    {"rampart.db", "roster", "host, user, contact, subscription, ask_out, pending_in, in_roster",
     true, "contact list entries and subscription state", "presence and contact list (RFC 6121)",
     "until removed by the user or the account is deleted", Protection::kClear},
    {"rampart.db", "roster", "name, groups", true, "names and groups the user gave contacts",
     "contact list (RFC 6121)", "until removed by the user or the account is deleted",
     Protection::kClear},
    {"rampart.db", "roster_version", "host, user, version", false, "contact list version",
     "roster versioning (RFC 6121 2.6)", "until the account is deleted", Protection::kClear},
    // Messages and documents.
    {"rampart.db", "offline", "id, host, user, created", true,
     "that a message waits for an offline account, and when", "offline delivery",
     "until delivered or the account is deleted", Protection::kClear},
    {"rampart.db", "offline", "stanza", true, "messages waiting for an offline account",
     "offline delivery", "until delivered or the account is deleted", Protection::kAccountKey},
    {"rampart.db", "kv", "host, owner, store, key", true,
     "which documents an account or room keeps (vCard, private XML, PEP node, blocking list, "
     "room configuration, push registration, upload record)",
     "the features that store them", "until removed or the owner is deleted", Protection::kClear},
    {"rampart.db", "kv", "value", true,
     "vCards, private XML, PEP items (OMEMO keys, avatars, bookmarks), blocking lists, room "
     "configurations and member lists, push registrations, upload records",
     "the features that store them", "until removed or the owner is deleted", Protection::kOwnerKey},
    {"rampart.db", "archive", "seq, host, owner, id, ts", true,
     "that a message was archived in an account's or room's archive, and when",
     "message history (XEP-0313)", "[retention] archive_days / room_archive_days (365), per tenant and room",
     Protection::kClear},
    {"rampart.db", "archive", "with_bare, with_full", true, "the other party of an archived message",
     "history filtered by contact (XEP-0313 'with')",
     "[retention] archive_days / room_archive_days (365), per tenant and room", Protection::kClear},
    {"rampart.db", "archive", "terms", true,
     "digests of the words of archived messages (8 bytes each)",
     "full-text search in the archive (XEP-0431)",
     "[retention] archive_days / room_archive_days (365), per tenant and room", Protection::kBlindIndex},
    {"rampart.db", "archive", "stanza", true, "archived messages (1:1 and group chat)",
     "message history (XEP-0313)", "[retention] archive_days / room_archive_days (365), per tenant and room",
     Protection::kOwnerKey},
    // Administration.
    {"rampart.db", "admin_roles", "host, user, role, tenant, granted, granted_by", true,
     "administrative roles and who granted them", "authorization (least privilege)",
     "until revoked or the account is deleted", Protection::kClear},
    {"rampart.db", "admin_tokens", "id, host, user, role, tenant, created, expires, last_used, "
     "created_by", true, "API tokens' owners and use", "authorization of the admin API",
     "until revoked or expired", Protection::kClear},
    {"rampart.db", "admin_tokens", "hash", false, "API token digest", "authentication",
     "until revoked or expired", Protection::kHashed},
    {"rampart.db", "admin_tokens", "label", false, "an administrator's label for a token",
     "administration", "until revoked or expired", Protection::kClear},
    {"rampart.db", "alerts", "id, rule, severity, tenant, created, acknowledged_by, acknowledged",
     false, "security alerts", "incident response", "until the database is pruned by an operator",
     Protection::kClear},
    {"rampart.db", "alerts", "summary", true,
     "alert text (may name an account or client address)", "incident response",
     "until pruned by an operator", Protection::kClear},
    {"rampart.db", "admin_security", "host, user, must_change_password, totp_enrolled, "
     "totp_last_step", false, "administrators' sign-in requirements", "administrator sign-in",
     "until the account is deleted", Protection::kClear},
    {"rampart.db", "admin_security", "totp_secret", false,
     "the second factor's TOTP secret (RFC 6238)", "second-factor sign-in",
     "until re-enrolled or the account is deleted", Protection::kAccountKey},
    {"rampart.db", "admin_security", "recovery_codes", false,
     "administrators' recovery codes (hashed)", "administrator sign-in",
     "until used, re-enrolled or the account is deleted", Protection::kHashed},
    {"rampart.db", "legal_holds", "host, owner, kind, reason, set_by, set_at", true,
     "legal holds on accounts and rooms, why and by whom", "legal hold (suspends deletion)",
     "until cleared by a security administrator", Protection::kClear},
    // Account security.
    {"rampart.db", "account_state", "host, user, freeze_mode, frozen_until, frozen_by, "
     "password_changed, sessions_revoked, mfa_grace_start, phone_added, second_factor_required",
     true, "account security state (freeze, password age, second-factor requirement)",
     "account security", "until the account is deleted or erased", Protection::kClear},
    {"rampart.db", "account_state", "password_history", true, "earlier passwords' Argon2id strings",
     "password reuse policy", "the policy's history length", Protection::kHashed},
    {"rampart.db", "account_state", "phone", true, "confirmed phone number (E.164)",
     "password reset by SMS", "until changed or the account is erased", Protection::kAccountKey},
    {"rampart.db", "account_state", "security_questions", true,
     "security questions (sealed) and their answers' Argon2id strings",
     "password reset", "until changed or the account is erased", Protection::kAccountKey},
    {"rampart.db", "account_state", "freeze_reason", true, "why an account was frozen",
     "account security", "until unfrozen or the account is erased", Protection::kAccountKey},
    {"rampart.db", "devices", "id, host, user, kind, name, client, created, last_used, "
     "last_address, expires, iterations", true,
     "device credentials (app passwords, FAST tokens): names, clients, last use and address",
     "device management and sign-in", "until revoked, expired or the account is deleted",
     Protection::kClear},
    {"rampart.db", "devices", "secret_hash, previous_hash, salt, stored_key256, server_key256, "
     "salt1, stored_key1, server_key1", false, "device credential verifiers",
     "sign-in", "until revoked, expired or the account is deleted", Protection::kHashed},
    {"rampart.db", "logins", "id, time, host, user, protocol, port, credential, located, "
     "success, reason", true, "sign-in records: when, to which account, how, and whether it "
     "succeeded", "login records the user and the security team review; anomaly detection",
     "[retention] login_days (the audit log's: 180)", Protection::kClear},
    {"rampart.db", "logins", "source, client, resource, country, city", true,
     "sign-in records: from which address and place (the city's coordinates sealed with it; "
     "latitude and longitude hold 0), with which client and resource",
     "login records the user and the security team review; anomaly detection",
     "[retention] login_days (the audit log's: 180)", Protection::kTenantKey},
    {"rampart.db", "logins", "latitude, longitude", false,
     "0 (with encryption on, the coordinates are sealed with the city)", "none",
     "as the record", Protection::kClear},
    {"rampart.db", "sign_in_locks", "key, kind, host, user, source, failures, locked_until, updated",
     true, "failed sign-in counters per account and address", "brute-force lockout",
     "until the lock expires or is cleared", Protection::kClear},
    {"rampart.db", "passkeys", "id, host, user, name, alg, sign_count, created, last_used", true,
     "passkeys registered to an account", "sign-in (WebAuthn)",
     "until removed or the account is deleted", Protection::kClear},
    {"rampart.db", "passkeys", "public_key", false, "passkey public key", "sign-in (WebAuthn)",
     "until removed or the account is deleted", Protection::kClear},
    // Content security.
    {"rampart.db", "quarantine", "id, tenant, sender, recipient, rule, created, status, decided_by, "
     "decided, settled", true, "messages held for review: who, to whom, which rule, the decision",
     "content security review", "[content_security] evidence_days (180) after the decision",
     Protection::kClear},
    {"rampart.db", "quarantine", "reason", true, "the reviewer's reason", "content security review",
     "[content_security] evidence_days (180) after the decision", Protection::kClear},
    {"rampart.db", "quarantine", "stanza, findings, report", true,
     "the held message, what matched in it, the sender's dispute", "content security review",
     "[content_security] evidence_days (180) after the decision", Protection::kAccountKey},
    {"uploads", "files", "content", true, "uploaded files (XEP-0363)", "file sharing",
     "[retention] file_days (365)", Protection::kAccountKey},
    // Audit log (its own database).
    {"audit.db", "audit_log", "seq, time_ms, actor, tenant, action, result, body, leaf, checkpoint",
     true, "audit records: who did what, when, from where", "accountability (MLPS 8.1.4.3)",
     "[retention] audit_days (180), at least 180 days", Protection::kClear},
    {"audit.db", "audit_head", "id, size, frontier, checkpoint, anchor_size, anchor_frontier", false,
     "the audit log's Merkle tree head", "tamper evidence", "kept", Protection::kClear},
    {"audit.db", "audit_meta", "key, value", false, "audit log settings", "tamper evidence", "kept",
     Protection::kClear},
    // Keys (their own database).
    {"keys.db", "data_keys", "tenant, account, version, wrapped_by, created", true,
     "which accounts and tenants have data keys", "envelope encryption",
     "until the account or tenant is erased", Protection::kClear},
    {"keys.db", "data_keys", "wrapped", false, "data keys, each wrapped by the key above it",
     "envelope encryption", "until the account or tenant is erased (crypto-shredding)",
     Protection::kWrapped},
    {"keys.db", "key_meta", "key, value", false, "re-encryption progress", "key rotation", "kept",
     Protection::kClear},
    {"rampart.db", "sqlite_sequence", "name, seq", false, "row counters", "storage", "kept",
     Protection::kClear},
    {"audit.db", "sqlite_sequence", "name, seq", false, "row counters", "storage", "kept",
     Protection::kClear},
    {"uploads", "files", "name, type, size, owner, created", true,
     "uploaded files' names, types, sizes and owners (the upload record in kv.value)",
     "file sharing", "[retention] file_days (365)", Protection::kTenantKey},
    {"uploads", "evidence", "content", true, "files refused by content security, kept as evidence",
     "content security", "until removed by an operator", Protection::kClear},
};

}  // namespace rampart::storage
