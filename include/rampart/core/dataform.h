#pragma once
// XEP-0004 data forms: a plain value type with a parser and a serializer, used by modules
// for search filters and configuration (MAM, MUC, publish-options). Stateless; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/element.h"

namespace rampart::core {

inline constexpr std::string_view kNsDataForms = "jabber:x:data";

struct FormField {
  std::string var;
  std::string type;  // empty: not given
  std::string label;
  std::vector<std::string> values;
  std::vector<std::pair<std::string, std::string>> options;  // (label, value)

  const std::string& value() const;  // first value or empty
};

struct DataForm {
  std::string type = "form";  // form, submit, cancel, result
  std::string title;
  std::vector<FormField> fields;

  const FormField* field(std::string_view var) const;
  // The FORM_TYPE hidden field's value, or empty.
  std::string formType() const;
  FormField& add(std::string var, std::string type, std::string label = {},
                 std::vector<std::string> values = {});
  Element toElement() const;
};

// Parses <x xmlns='jabber:x:data'/>; nullopt when the element is malformed (unknown form
// type, a field without 'var' in a submission, more than 256 fields or 256 values).
std::optional<DataForm> parseDataForm(const Element& x);

}  // namespace rampart::core
