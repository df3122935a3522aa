#pragma once
// A person's rights over their data (PIPL arts. 44-47, GDPR arts. 15-20): a complete,
// machine-readable export of everything the server stores about an account, and its erasure
// with a report of what was removed. Callers authorize and audit (AdminOps::check/record);
// these run against the storage (with encryption, through it) on the calling thread, which
// must be the one that owns `storage`.

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "rampart/storage/stores.h"

namespace rampart::security::privacy {

struct Where {
  std::string dataDir;                    // uploads live in DATA_DIR/uploads/HOST/
  // Every group chat service of the server, the tenant's own first: a person may have spoken
  // in rooms of other tenants when cross_host_traffic allows it.
  std::vector<std::string> roomServices;
  // The server's other account domains: the person's messages to accounts there sit in their
  // archives and offline queues.
  std::vector<std::string> otherHosts;
  bool encrypted = true;                  // erasure destroys the account's keys
  std::int64_t nowMs = 0;
};

// Writes a ZIP archive to `outFile` (mode 0600): manifest.json (the format, what each file
// holds, counts), account.json, roster.json, documents.json, archive.json, room-messages.json,
// offline.json, logins.json, devices.json, consents.json, files.json and files/. Returns the
// manifest.
core::Result<boost::json::object> exportAccount(storage::Storage& storage, std::string_view host,
                                                std::string_view user, const Where& where,
                                                const std::string& outFile);

// Deletes the account and everything about it: its archive, offline messages, documents,
// contact list, devices, passkeys, sign-in records and locks, held messages it sent, uploaded
// files, and the messages it sent that are still waiting for other accounts (never delivered);
// replaces its messages in other accounts' (of every host) and rooms' archives with tombstones;
// and destroys its keys (crypto-shredding). Returns the report: what was removed, and what is
// kept and why (the audit log).
core::Result<boost::json::object> eraseAccount(storage::Storage& storage, std::string_view host,
                                               std::string_view user, const Where& where);

// The report as text for a terminal.
std::string reportText(const boost::json::object& report);

}  // namespace rampart::security::privacy
