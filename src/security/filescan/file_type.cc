#include "security/filescan/file_type.h"

#include <magic.h>

namespace rampart::security::filescan {
namespace {

struct Magic {
  magic_t cookie = nullptr;
  Magic() {
    cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
    if (cookie != nullptr && magic_load(cookie, nullptr) != 0) {
      magic_close(cookie);
      cookie = nullptr;
    }
  }
  ~Magic() {
    if (cookie != nullptr) {
      magic_close(cookie);
    }
  }
};

std::string_view topLevel(std::string_view type) { return type.substr(0, type.find('/')); }

std::string_view base(std::string_view type) {
  const auto semi = type.find(';');
  type = type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  return type;
}

}  // namespace

std::string realType(const std::string& path) {
  thread_local Magic magic;
  if (magic.cookie == nullptr) {
    return "application/octet-stream";
  }
  const char* t = magic_file(magic.cookie, path.c_str());
  return t != nullptr ? std::string(t) : std::string("application/octet-stream");
}

bool typesAgree(std::string_view announced, std::string_view real) {
  announced = base(announced);
  real = base(real);
  if (announced.empty() || announced == "application/octet-stream" || announced == real) {
    return true;
  }
  if (real == "application/octet-stream" || real == "inode/x-empty") {
    // Content libmagic cannot name is not evidence of a lie (rare formats, truncated files);
    // it is served as an attachment or with its safe announced type, never sniffed.
    return true;
  }
  if (topLevel(announced) == topLevel(real)) {
    return true;
  }
  // Text formats that libmagic files under application/ (JSON, XML, JavaScript) and
  // office documents that are zip or CDF containers.
  if (topLevel(real) == "text" && (announced.ends_with("json") || announced.ends_with("xml") ||
                                   announced.ends_with("javascript") ||
                                   announced.ends_with("csv"))) {
    return true;
  }
  if ((real == "application/zip" || real == "application/x-ole-storage" ||
       real == "application/CDFV2") &&
      (announced.find("officedocument") != std::string_view::npos ||
       announced.find("ms-") != std::string_view::npos ||
       announced.find("opendocument") != std::string_view::npos ||
       announced == "application/msword" || announced.ends_with("zip"))) {
    return true;
  }
  return false;
}

const std::vector<std::string>& defaultForbiddenTypes() {
  static const std::vector<std::string> types = {
      "application/x-dosexec",        "application/vnd.microsoft.portable-executable",
      "application/x-msdownload",     "application/x-msi",
      "application/x-ms-installer",   "application/x-executable",
      "application/x-pie-executable", "application/x-sharedlib",
      "application/x-mach-binary",    "application/x-elf",
      "application/vnd.android.package-archive",
  };
  return types;
}

}  // namespace rampart::security::filescan
