// XEP-0363 HTTP File Upload 1.1.0: slot requests over XMPP, PUT and GET over HTTPS.
#include <charconv>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "modules/xep0363_upload/upload.h"
#include "rampart/core/dataform.h"
#include "rampart/core/datetime.h"
#include "rampart/core/random.h"
#include "rampart/core/stanza.h"
#include "rampart/security/content_service.h"

namespace rampart::modules::upload {
namespace {
constexpr std::string_view kStore = "uploads";      // host-level: token -> metadata
constexpr std::string_view kUsage = "upload_usage";  // host-level: localpart -> bytes
constexpr std::string_view kNsInternal = "urn:rampart:upload:0";

// A byte count as stored by this module (0 when it is not a number).
std::size_t parseBytes(std::string_view text) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : 0;
}

// The bytes an account's uploads take, or nothing when storage fails.
std::optional<std::size_t> usedBytes(storage::Storage& s, const std::string& host,
                                     const std::string& owner) {
  auto used = s.keyValue().get(host, "", kUsage, owner);
  if (!used.isOk()) {
    return std::nullopt;
  }
  return used.value() ? parseBytes(*used.value()) : 0;
}


bool validToken(std::string_view t) {
  if (t.size() != 32) {
    return false;
  }
  for (char c : t) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return std::nullopt;
      }
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "/upload/HOST/TOKEN/NAME" minus the prefix -> (token, decoded name).
std::optional<std::pair<std::string, std::string>> splitPath(std::string_view rest) {
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  std::string token(rest.substr(0, slash));
  auto name = percentDecode(rest.substr(slash + 1));
  if (!validToken(token) || !name || !validFileName(*name)) {
    return std::nullopt;
  }
  return std::pair{token, *name};
}

http::Response cors(http::Response r) {
  // XEP-0363 section 9: web clients upload from other origins.
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS");
  r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
  return r;
}
}  // namespace

bool validFileName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") {
    return false;
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
      return false;
    }
  }
  return true;
}

std::string percentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::pair<std::string, std::string> servingHeaders(std::string_view declaredType,
                                                   std::string_view fileName) {
  static const char* const kInline[] = {"image/png",  "image/jpeg", "image/gif", "image/webp",
                                        "video/mp4",  "video/webm", "audio/mpeg", "audio/ogg",
                                        "audio/mp4",  "audio/webm", "audio/aac", "video/ogg"};
  std::string type(declaredType.substr(0, declaredType.find(';')));
  bool inlineOk = false;
  for (const char* t : kInline) {
    inlineOk = inlineOk || type == t;
  }
  std::string disposition = std::string(inlineOk ? "inline" : "attachment") +
                            "; filename*=UTF-8''" + percentEncode(fileName);
  return {inlineOk ? type : std::string("application/octet-stream"), disposition};
}

void UploadModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  maxFileSize_ = static_cast<std::size_t>(
      ctx.optionInt("max_file_size", 16 * 1024 * 1024, 1024, 1024LL * 1024 * 1024));
  quota_ = static_cast<std::size_t>(
      ctx.optionInt("quota_bytes", 1024LL * 1024 * 1024, 0, 1LL << 50));
  slotLifetime_ = std::chrono::seconds(ctx.optionInt("slot_seconds", 300, 10, 86400));
  (void)ctx.optionInt("retention_days", 365, 0, 36500);  // checked here; [retention] applies it
  prefix_ = "/upload/" + ctx.host() + "/";
  ctx.addFeature(kNs);
  core::DataForm form;
  form.type = "result";
  form.add("FORM_TYPE", "hidden", {}, {std::string(kNs)});
  form.add("max-file-size", "text-single", {}, {std::to_string(maxFileSize_)});
  ctx.addDiscoForm(form.toElement());
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNs,
           [this](const core::Element& iq, core::Session*) { onRequest(iq); });
  // Bodies stream to a spool directory beside the files (a rename stores them); what a crash
  // left there is removed.
  const std::string spool = directory() + "/.incoming";
  std::error_code ec;
  std::filesystem::remove_all(spool, ec);
  std::filesystem::create_directories(spool, ec);
  if (ec) {
    throw std::runtime_error("cannot create the upload directory " + spool + ": " + ec.message());
  }
  ctx.http().addPrefix(
      "PUT", prefix_, maxFileSize_,
      [this](http::Request r, http::Respond done) { onPut(std::move(r), done); }, spool);
  ctx.http().addPrefix("GET", prefix_, 0,
                       [this](http::Request r, http::Respond done) { onGet(std::move(r), done); });
  ctx.http().addPrefix("OPTIONS", prefix_, 0, [](http::Request, http::Respond done) {
    http::Response r;
    r.status = 204;
    r.contentType = "text/plain";
    done(cors(std::move(r)));
  });
  // Retention (security/retention decides when).
  ctx.addRetention(core::DataKind::kFile, ctx.host(),
                   [host = ctx.host(), dir = directory()](storage::Storage& s,
                                                          const core::RetentionCutoff& c) {
                     return expireFiles(s, host, dir, c.beforeUs);
                   });
  // Re-encryption after a key rotation seals the files again too.
  ctx.addKeptFiles([host = ctx.host(), dir = directory()](storage::Storage& s) {
    std::vector<storage::KeptFile> out;
    auto files = s.keyValue().list(host, "", kStore);
    if (!files.isOk()) return out;
    for (const auto& [token, doc] : files.value()) {
      auto meta = core::parseElement(doc);
      if (meta) out.push_back({host, std::string(meta->attrOr("owner")), token, dir + "/" + token});
    }
    return out;
  });
}

std::size_t UploadModule::expireFiles(storage::Storage& s, const std::string& host,
                                      const std::string& dir, std::int64_t cutoff) {
  std::size_t removed = 0;
  {
    auto files = s.keyValue().list(host, "", kStore);
    if (!files.isOk()) {
      return 0;
    }
    std::unordered_map<std::string, std::size_t> freed;  // localpart -> bytes
    for (const auto& [token, doc] : files.value()) {
      auto meta = core::parseElement(doc);
      auto created = meta ? core::parseDateTime(meta->attrOr("created")) : std::nullopt;
      if (!created || *created >= cutoff) {
        continue;
      }
      // Files of an account under legal hold stay.
      if (auto held = s.admin().holdOn(host, meta->attrOr("owner")); !held.isOk() || held.value()) {
        continue;
      }
      std::error_code ec;
      std::filesystem::remove(dir + "/" + token, ec);
      if (s.keyValue().remove(host, "", kStore, token).isOk()) {
        freed[std::string(meta->attrOr("owner"))] += parseBytes(meta->attrOr("size"));
        ++removed;
      }
    }
    for (const auto& [owner, bytes] : freed) {
      if (auto before = usedBytes(s, host, owner)) {
        (void)s.keyValue().put(host, "", kUsage, owner,
                               std::to_string(*before > bytes ? *before - bytes : 0));
      }
    }
  }
  return removed;
}

std::string UploadModule::directory() const {
  return ctx_->dataDir() + "/uploads/" + ctx_->host();
}

void UploadModule::onRequest(const core::Element& iq) {
  core::Router& router = ctx_->router();
  const core::Element* req = iq.firstChild();
  auto from = core::Jid::parse(iq.attrOr("from"));
  if (req->name() != "request" || !from || from->domain() != ctx_->host()) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
    return;
  }
  std::string name(req->attrOr("filename"));
  std::string sizeText(req->attrOr("size"));
  std::string type(req->attrOr("content-type"));
  if (!validFileName(name) || sizeText.empty() || sizeText.size() > 15 ||
      sizeText.find_first_not_of("0123456789") != std::string::npos || type.size() > 255) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "a valid filename and size are required"));
    return;
  }
  const std::size_t size = std::stoull(sizeText);
  if (size == 0 || size > maxFileSize_) {
    // XEP-0363 section 4.2: the limit in <file-too-large/>.
    core::Element err = core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                             "the file is too large");
    if (core::Element* e = err.child("error", core::kNsClient)) {
      e->addChild("file-too-large", std::string(kNs))
          .addChild("max-file-size", std::string(kNs))
          .addText(std::to_string(maxFileSize_));
    }
    router.route(std::move(err));
    return;
  }
  auto request = std::make_shared<core::Element>(iq);
  const std::string host = ctx_->host();
  const std::string owner(from->local());
  const std::size_t quota = quota_;
  ctx_->query<int>(
      [host, owner, size, quota](storage::Storage& s) {
        auto used = usedBytes(s, host, owner);
        if (!used) {
          return -1;
        }
        return *used + size > quota ? 0 : 1;
      },
      [this, request, owner, name, size, type](int verdict) {
        core::Router& router = ctx_->router();
        if (verdict <= 0) {
          router.route(core::makeErrorReply(
              *request, core::ErrorType::kWait,
              verdict < 0 ? "internal-server-error" : "resource-constraint",
              verdict < 0 ? "" : "the upload quota of this account is used up"));
          return;
        }
        std::string token = core::randomToken(24);
        {
          std::lock_guard lock(mu_);
          // Expired slots go away as new ones are made.
          const auto now = std::chrono::steady_clock::now();
          std::erase_if(slots_, [&](const auto& kv) { return kv.second.expires < now; });
          if (slots_.size() > 100000) {
            router.route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                              "resource-constraint"));
            return;
          }
          slots_[token] = Slot{owner, name, size, type, now + slotLifetime_};
        }
        const std::string url = ctx_->httpsBaseUrl() + prefix_ + token + "/" + percentEncode(name);
        core::Element reply = core::makeIqResult(*request);
        core::Element& slot = reply.addChild("slot", std::string(kNs));
        slot.addChild("put", std::string(kNs)).setAttr("url", url);
        slot.addChild("get", std::string(kNs)).setAttr("url", url);
        router.route(std::move(reply));
      });
}

void UploadModule::onPut(http::Request req, http::Respond respond) {
  auto parts = splitPath(std::string_view(req.path).substr(prefix_.size()));
  if (!parts) {
    respond(cors(http::problem(404, "Not Found", "no such upload slot")));
    return;
  }
  Slot slot;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(parts->first);
    if (it == slots_.end() || it->second.expires < std::chrono::steady_clock::now() ||
        it->second.fileName != parts->second) {
      respond(cors(http::problem(403, "Forbidden", "the upload slot is unknown or expired")));
      return;
    }
    slot = it->second;
    if (req.bodySize != slot.size) {
      respond(cors(http::problem(400, "Bad Request",
                                 "the body must have exactly the size given for the slot")));
      return;
    }
    if (!slot.contentType.empty() && !req.contentType.empty() &&
        req.contentType != slot.contentType) {
      respond(cors(http::problem(400, "Bad Request",
                                 "the Content-Type differs from the one given for the slot")));
      return;
    }
    slots_.erase(it);  // one PUT per slot
  }
  const std::string host = ctx_->host();
  const std::string dir = directory();
  const std::string token = parts->first;
  core::Element meta("file", std::string(kNsInternal));
  meta.setAttr("name", slot.fileName).setAttr("type", slot.contentType);
  meta.setAttr("size", std::to_string(slot.size)).setAttr("owner", slot.owner);
  meta.setAttr("created", core::formatDateTime(core::nowMicros()));
  std::string metaXml = meta.str("");
  core::ModuleContext* ctx = ctx_;
  auto store = [ctx, host, dir, token, metaXml, spooled = req.bodyFile, slot, quota = quota_,
                respond] {
    ctx->runStorage([host, dir, token, metaXml, spooled, slot, quota,
                     respond](storage::Storage& s) {
      auto used = usedBytes(s, host, slot.owner);
      // Checked again here: several slots may have been granted against the same free space.
      if (!used || *used + slot.size > quota) {
        std::error_code ec;
        std::filesystem::remove(spooled, ec);
        respond(cors(http::problem(507, "Insufficient Storage",
                                   "the upload quota of this account is used up")));
        return;
      }
      std::error_code ec;
      const std::string path = dir + "/" + token;
      // Sealed under the owner's key when the storage encrypts (storage/encrypted).
      if (!s.files().keepFile(host, slot.owner, token, spooled, path).isOk()) {
        respond(http::problem(507, "Insufficient Storage", "the file could not be stored"));
        return;
      }
      if (!s.keyValue().put(host, "", kStore, token, metaXml).isOk() ||
          !s.keyValue().put(host, "", kUsage, slot.owner, std::to_string(*used + slot.size))
               .isOk()) {
        std::filesystem::remove(path, ec);
        respond(http::problem(500, "Internal Server Error", "the upload could not be recorded"));
        return;
      }
      http::Response r;
      r.status = 201;
      r.contentType = "text/plain";
      respond(cors(std::move(r)));
    });
  };
  security::ContentService* content = ctx_->contentService();
  if (content == nullptr) {
    store();
    return;
  }
  // Content security first: nothing is servable before its checks (type, viruses, DLP) pass.
  security::UploadCheck check{host, slot.owner + "@" + host, slot.fileName, slot.contentType,
                              req.bodyFile, token};
  auto verdict = [ctx, store, respond, host, owner = slot.owner,
                  name = slot.fileName](security::UploadVerdict v) {
    if (v.accepted) {
      store();
      return;
    }
    const bool busy = v.reason == "busy" || v.reason == "scanner-unavailable";
    const std::string why = v.reason == "malware"          ? "it contains malware (" + v.detail + ")"
                            : v.reason == "forbidden-type" ? "files of type " + v.detail +
                                                                 " are not allowed"
                            : v.reason == "type-mismatch"  ? "its content does not match its type (" +
                                                                 v.detail + ")"
                            : v.reason == "content-policy" ? "its text breaks the content policy (rule " +
                                                                 v.detail + ")"
                            : v.reason == "blocked-link" ? v.detail
                                                           : "it could not be checked now; try again later";
    respond(cors(http::problem(busy ? 503 : 422, busy ? "Service Unavailable" : "Unprocessable Content",
                               "The file was refused: " + why,
                               "urn:rampart:problem:upload-" + v.reason)));
    // The uploader hears it over XMPP too (its client may show only a failed upload).
    core::Element m = core::makeNotice(host, owner + "@" + host, "Content policy",
                                       "Your file " + name + " was refused: " + why + ".");
    m.addChild("upload-refused", "urn:rampart:content:0")
        .setAttr("reason", v.reason)
        .setAttr("detail", v.detail);
    ctx->router().route(std::move(m));
  };
  // Handed over from the storage thread: when the scanners' queue is full the refusal (its
  // audit record, the evidence file) is written there, never on a network thread.
  ctx_->runStorage([content, check = std::move(check), verdict = std::move(verdict)](
                       storage::Storage&) mutable {
    content->checkUpload(std::move(check), std::move(verdict));
  });
}

void UploadModule::onGet(http::Request req, http::Respond respond) {
  auto parts = splitPath(std::string_view(req.path).substr(prefix_.size()));
  if (!parts) {
    respond(cors(http::problem(404, "Not Found", "no such file")));
    return;
  }
  const std::string host = ctx_->host();
  const std::string path = directory() + "/" + parts->first;
  const std::string token = parts->first;
  const std::string name = parts->second;
  ctx_->runStorage([host, path, token, name, respond](storage::Storage& s) {
    auto doc = s.keyValue().get(host, "", kStore, token);
    std::optional<core::Element> meta;
    if (doc.isOk() && doc.value()) {
      meta = core::parseElement(*doc.value());
    }
    if (!meta || meta->attrOr("name") != name) {
      respond(cors(http::problem(404, "Not Found", "no such file")));
      return;
    }
    auto source = s.files().readFile(host, meta->attrOr("owner"), token, path);
    if (!source.isOk()) {
      const bool gone = source.status().code() == core::Status::Code::kNotFound;
      respond(cors(http::problem(gone ? 404 : 500, gone ? "Not Found" : "Internal Server Error",
                                 gone ? "the file is gone" : "the file cannot be read")));
      return;
    }
    auto [type, disposition] = servingHeaders(meta->attrOr("type"), name);
    http::Response r;
    r.contentType = type;
    r.source = std::move(source).value();  // read (and decrypted) as the listener sends it
    r.headers.emplace_back("Content-Disposition", disposition);
    // Served files never run as part of this origin.
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
    r.headers.emplace_back("Cache-Control", "private, max-age=86400");
    respond(cors(std::move(r)));
  });
}

}  // namespace rampart::modules::upload
