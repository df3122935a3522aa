#include "security/dlp/evidence.h"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rampart::security::dlp {

std::string evidenceDir(const std::string& dataDir, const std::string& tenant) {
  return dataDir + "/evidence/" + tenant;
}

std::size_t removeEvidence(const std::string& dataDir, const std::string& tenant,
                           const std::function<bool(const std::string&, std::int64_t)>& keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(evidenceDir(dataDir, tenant), ec)) {
    const fs::path description = entry.path();
    if (description.extension() != ".json") continue;
    std::ifstream in(description);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code jec;
    const auto v = boost::json::parse(text.str(), jec);
    if (jec || !v.is_object()) continue;  // not one of ours: left alone
    const auto& o = v.as_object();
    const auto* owner = o.if_contains("owner");
    const auto* time = o.if_contains("time");
    if (owner == nullptr || !owner->is_string() || time == nullptr || !time->is_int64()) continue;
    if (keep(std::string(owner->as_string()), time->as_int64())) continue;
    fs::path file = description;
    file.replace_extension();
    std::error_code rec;
    const bool had = fs::remove(file, rec);
    fs::remove(description, rec);
    if (had) ++removed;
  }
  return removed;
}

}  // namespace rampart::security::dlp
