// XEP-0049 Private XML Storage 1.3: <query xmlns='jabber:iq:private'> get/set on the
// sender's own account. Older clients keep XEP-0048 bookmarks here.
#include <memory>

#include "modules/xep0049_private/private.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::privatexml {
namespace {
constexpr std::string_view kStore = "private";

std::string keyOf(const core::Element& e) { return "{" + e.ns() + "}" + e.name(); }

// XEP-0049 section 3: these namespaces may not be stored.
bool reserved(std::string_view ns) {
  return ns.empty() || ns == "jabber:client" || ns == "jabber:server" || ns == kNs;
}
}  // namespace

void PrivateModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  maxBytes_ = static_cast<std::size_t>(ctx.optionInt("max_bytes", 65536, 1024, 1 << 20));
  maxDocuments_ = static_cast<std::size_t>(ctx.optionInt("max_documents", 100, 1, 10000));
  ctx.addAccountFeature(kNs);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs,
           [this](const core::Element& iq, core::Session*) { handleGet(iq); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session*) { handleSet(iq); });
}

void PrivateModule::handleGet(const core::Element& iq) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "forbidden"));
    return;
  }
  auto children = iq.firstChild()->childElements();
  if (children.size() != 1 || reserved(children[0]->ns())) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "ask for exactly one element in its own namespace"));
    return;
  }
  auto user = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  std::string key = keyOf(*children[0]);
  ctx_->query<core::Result<std::optional<std::string>>>(
      [user, key](storage::Storage& s) {
        return s.keyValue().get(user.domain(), user.local(), kStore, key);
      },
      [this, request](core::Result<std::optional<std::string>> r) {
        if (!r.isOk()) {
          ctx_->router().route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        core::Element& q = reply.addChild("query", std::string(kNs));
        std::optional<core::Element> stored;
        if (r.value()) {
          stored = core::parseElement(*r.value());
        }
        if (stored) {
          q.addChild(std::move(*stored));
        } else {
          // Nothing stored: the empty element asked for (XEP-0049 section 2.2).
          const core::Element* asked = request->firstChild()->firstChild();
          q.addChild(core::Element(asked->name(), asked->ns()));
        }
        ctx_->router().route(std::move(reply));
      });
}

void PrivateModule::handleSet(const core::Element& iq) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "forbidden"));
    return;
  }
  auto children = iq.firstChild()->childElements();
  if (children.empty()) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "nothing to store"));
    return;
  }
  std::vector<storage::KeyValue> docs;
  for (const auto* c : children) {
    if (reserved(c->ns())) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                        "this namespace cannot be stored"));
      return;
    }
    std::string xml = c->str("");
    if (xml.size() > maxBytes_) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                        "the document is too large"));
      return;
    }
    docs.push_back({keyOf(*c), std::move(xml)});
  }
  auto user = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  const std::size_t limit = maxDocuments_;
  ctx_->query<std::string>(
      [user, docs = std::move(docs), limit](storage::Storage& s) -> std::string {
        auto existing = s.keyValue().list(user.domain(), user.local(), kStore);
        if (!existing.isOk()) {
          return "internal-server-error";
        }
        std::size_t n = existing.value().size();
        for (const auto& d : docs) {
          bool known = false;
          for (const auto& e : existing.value()) {
            known = known || e.key == d.key;
          }
          n += known ? 0 : 1;
        }
        if (n > limit) {
          return "resource-constraint";
        }
        for (const auto& d : docs) {
          if (!s.keyValue().put(user.domain(), user.local(), kStore, d.key, d.value).isOk()) {
            return "internal-server-error";
          }
        }
        return {};
      },
      [this, request](std::string condition) {
        if (!condition.empty()) {
          ctx_->router().route(core::makeErrorReply(*request, core::defaultErrorType(condition),
                                                    condition));
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        ctx_->router().route(std::move(reply));
      });
}

}  // namespace rampart::modules::privatexml
