// XEP-0115 Entity Capabilities 1.6, section 5.1 (verification string).
#include "modules/xep0163_pep/caps.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>
#include <vector>

#include "rampart/core/dataform.h"

namespace rampart::modules::pep {
namespace {
constexpr std::string_view kNsInfo = "http://jabber.org/protocol/disco#info";
}

std::optional<std::string> capsVerSha1(const core::Element& info) {
  std::vector<std::string> identities;
  std::vector<std::string> features;
  std::vector<std::pair<std::string, std::string>> forms;  // (FORM_TYPE, rest of S)
  for (const core::Element* c : info.childElements()) {
    if (c->is("identity", kNsInfo)) {
      identities.push_back(std::string(c->attrOr("category")) + "/" +
                           std::string(c->attrOr("type")) + "/" +
                           std::string(c->attrOr("xml:lang")) + "/" +
                           std::string(c->attrOr("name")));
    } else if (c->is("feature", kNsInfo)) {
      features.emplace_back(c->attrOr("var"));
    } else if (c->is("x", core::kNsDataForms)) {
      auto form = core::parseDataForm(*c);
      if (!form) {
        return std::nullopt;
      }
      const core::FormField* type = form->field("FORM_TYPE");
      if (type == nullptr || type->type != "hidden") {
        continue;  // forms without a hidden FORM_TYPE are ignored (section 5.4)
      }
      std::vector<const core::FormField*> fields;
      for (const auto& f : form->fields) {
        if (f.var != "FORM_TYPE") {
          fields.push_back(&f);
        }
      }
      std::sort(fields.begin(), fields.end(),
                [](const auto* a, const auto* b) { return a->var < b->var; });
      std::string s;
      for (const auto* f : fields) {
        s += f->var + "<";
        std::vector<std::string> values = f->values;
        std::sort(values.begin(), values.end());
        for (const auto& v : values) {
          s += v + "<";
        }
      }
      forms.emplace_back(type->value(), std::move(s));
    }
  }
  std::sort(identities.begin(), identities.end());
  std::sort(features.begin(), features.end());
  std::sort(forms.begin(), forms.end());
  if (std::adjacent_find(identities.begin(), identities.end()) != identities.end() ||
      std::adjacent_find(features.begin(), features.end()) != features.end()) {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < forms.size(); ++i) {
    if (forms[i].first == forms[i - 1].first) {
      return std::nullopt;
    }
  }
  std::string s;
  for (const auto& i : identities) {
    s += i + "<";
  }
  for (const auto& f : features) {
    s += f + "<";
  }
  for (const auto& [type, rest] : forms) {
    s += type + "<" + rest;
  }
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_sha1(), nullptr);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

}  // namespace rampart::modules::pep
