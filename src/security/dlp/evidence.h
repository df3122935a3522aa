#pragma once
// The evidence area of refused uploads: DATA_DIR/evidence/TENANT/TIME-REF, each file with
// TIME-REF.json beside it naming its uploader (`owner`, a bare JID) and `time` (ms). Kept for
// the security team; removed with the uploader's erasure and, after `evidence_days`, by the
// retention scheduler. Filesystem only; any thread.

#include <cstdint>
#include <functional>
#include <string>

namespace rampart::security::dlp {

// DATA_DIR/evidence/TENANT (DATA_DIR: the tenant's region's).
std::string evidenceDir(const std::string& dataDir, const std::string& tenant);

// Removes the kept files (and descriptions) whose description `keep` rejects; returns how many
// files went. `keep(owner, timeMs)`.
std::size_t removeEvidence(const std::string& dataDir, const std::string& tenant,
                           const std::function<bool(const std::string&, std::int64_t)>& keep);

}  // namespace rampart::security::dlp
