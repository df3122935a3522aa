// XEP-0054 vcard-temp 1.2: <vCard xmlns='vcard-temp'/> get on any local account, set on
// one's own.
#include <memory>

#include "modules/xep0054_vcard/vcard.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::vcard {
namespace {
constexpr std::string_view kStore = "vcard";
}  // namespace

void VcardModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  // Inline avatars make vCards large; the stanza limit still applies on top.
  maxBytes_ = static_cast<std::size_t>(ctx.optionInt("max_bytes", 131072, 1024, 1 << 24));
  ctx.addFeature(kNs);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs,
           [this](const core::Element& iq, core::Session*) { handleGet(iq); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session*) { handleSet(iq); });
  // The server's own vCard: empty.
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNs,
           [this](const core::Element& iq, core::Session*) {
             core::Element reply = core::makeIqResult(iq);
             reply.addChild("vCard", std::string(kNs));
             ctx_->router().route(std::move(reply));
           });
}

void VcardModule::handleGet(const core::Element& iq) {
  auto from = core::Jid::parse(iq.attrOr("from"));
  auto toAttr = iq.attr("to");
  std::optional<core::Jid> target = toAttr ? core::Jid::parse(*toAttr) : from->bare();
  if (!target) {
    ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kModify, "jid-malformed"));
    return;
  }
  core::Jid owner = target->bare();
  auto request = std::make_shared<core::Element>(iq);
  struct Found {
    bool ok = true;
    bool exists = false;
    std::optional<std::string> vcard;
  };
  ctx_->query<Found>(
      [owner](storage::Storage& s) {
        Found f;
        auto ex = s.accounts().exists(owner.domain(), owner.local());
        auto doc = s.keyValue().get(owner.domain(), owner.local(), kStore, "");
        f.ok = ex.isOk() && doc.isOk();
        if (f.ok) {
          f.exists = ex.value();
          f.vcard = doc.value();
        }
        return f;
      },
      [this, request](Found f) {
        core::Router& router = ctx_->router();
        if (!f.ok) {
          router.route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                            "internal-server-error"));
          return;
        }
        if (!f.exists) {
          router.route(core::makeErrorReply(*request, core::ErrorType::kCancel,
                                            "service-unavailable"));
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        std::optional<core::Element> stored;
        if (f.vcard) {
          stored = core::parseElement(*f.vcard);
        }
        // An account without a vCard has an empty one (XEP-0054 section 3.1).
        reply.addChild(stored ? std::move(*stored) : core::Element("vCard", std::string(kNs)));
        router.route(std::move(reply));
      });
}

void VcardModule::handleSet(const core::Element& iq) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden",
                                      "only the owner may change a vCard"));
    return;
  }
  const core::Element* card = iq.firstChild();
  if (card->name() != "vCard") {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
    return;
  }
  std::string xml = card->str("");
  if (xml.size() > maxBytes_) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                      "the vCard is too large"));
    return;
  }
  auto user = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  ctx_->query<bool>(
      [user, xml = std::move(xml)](storage::Storage& s) {
        return s.keyValue().put(user.domain(), user.local(), kStore, "", xml).isOk();
      },
      [this, request](bool ok) {
        if (!ok) {
          ctx_->router().route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        ctx_->router().route(std::move(reply));
      });
}

}  // namespace rampart::modules::vcard
