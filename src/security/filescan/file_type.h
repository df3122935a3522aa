#pragma once
// A file's real type by its content (libmagic), and the checks of an upload's type: the real
// type against the one the uploader announced, and against the tenant's forbidden types.
// realType() keeps one libmagic handle per thread; thread-safe.

#include <string>
#include <string_view>
#include <vector>

namespace rampart::security::filescan {

// The MIME type libmagic finds in the file ("application/octet-stream" when it cannot tell).
std::string realType(const std::string& path);

// Whether a file whose content is `real` may be announced as `announced`: the same type, the
// same top-level type ("image/jpeg" announced, "image/png" found), or an announcement too
// generic to be wrong (empty, application/octet-stream). Text announced as any text/* type is
// text. Anything else is a mismatch (an executable announced as an image).
bool typesAgree(std::string_view announced, std::string_view real);

// Executables and installers of the common platforms: the default forbidden types.
const std::vector<std::string>& defaultForbiddenTypes();

}  // namespace rampart::security::filescan
