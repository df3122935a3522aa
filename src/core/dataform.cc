// XEP-0004 Data Forms 2.13.
#include "rampart/core/dataform.h"

namespace rampart::core {
namespace {
constexpr std::size_t kMaxFields = 256;
constexpr std::size_t kMaxValues = 256;
}  // namespace

const std::string& FormField::value() const {
  static const std::string kEmpty;
  return values.empty() ? kEmpty : values.front();
}

const FormField* DataForm::field(std::string_view var) const {
  for (const auto& f : fields) {
    if (f.var == var) {
      return &f;
    }
  }
  return nullptr;
}

std::string DataForm::formType() const {
  const FormField* f = field("FORM_TYPE");
  return f ? f->value() : std::string();
}

FormField& DataForm::add(std::string var, std::string type, std::string label,
                         std::vector<std::string> values) {
  fields.push_back(FormField{std::move(var), std::move(type), std::move(label), std::move(values), {}});
  return fields.back();
}

Element DataForm::toElement() const {
  Element x("x", std::string(kNsDataForms));
  x.setAttr("type", type);
  if (!title.empty()) {
    x.addChild("title", std::string(kNsDataForms)).addText(title);
  }
  for (const auto& f : fields) {
    Element& fe = x.addChild("field", std::string(kNsDataForms));
    if (!f.var.empty()) {
      fe.setAttr("var", f.var);
    }
    if (!f.type.empty()) {
      fe.setAttr("type", f.type);
    }
    if (!f.label.empty()) {
      fe.setAttr("label", f.label);
    }
    for (const auto& [label, value] : f.options) {
      Element& o = fe.addChild("option", std::string(kNsDataForms));
      if (!label.empty()) {
        o.setAttr("label", label);
      }
      o.addChild("value", std::string(kNsDataForms)).addText(value);
    }
    for (const auto& v : f.values) {
      fe.addChild("value", std::string(kNsDataForms)).addText(v);
    }
  }
  return x;
}

std::optional<DataForm> parseDataForm(const Element& x) {
  if (!x.is("x", kNsDataForms)) {
    return std::nullopt;
  }
  DataForm form;
  form.type = std::string(x.attrOr("type", "form"));
  if (form.type != "form" && form.type != "submit" && form.type != "cancel" &&
      form.type != "result") {
    return std::nullopt;
  }
  form.title = x.childText("title", kNsDataForms);
  for (const Element* f : x.childElements()) {
    if (f->ns() != kNsDataForms || f->name() != "field") {
      continue;
    }
    if (form.fields.size() >= kMaxFields) {
      return std::nullopt;
    }
    FormField field;
    field.var = std::string(f->attrOr("var"));
    field.type = std::string(f->attrOr("type"));
    field.label = std::string(f->attrOr("label"));
    if (field.var.empty() && form.type == "submit" && field.type != "fixed") {
      return std::nullopt;
    }
    for (const Element* v : f->childElements()) {
      if (v->ns() != kNsDataForms) {
        continue;
      }
      if (v->name() == "value") {
        if (field.values.size() >= kMaxValues) {
          return std::nullopt;
        }
        field.values.push_back(v->text());
      } else if (v->name() == "option" && field.options.size() < kMaxValues) {
        field.options.emplace_back(std::string(v->attrOr("label")),
                                   v->childText("value", kNsDataForms));
      }
    }
    form.fields.push_back(std::move(field));
  }
  return form;
}

}  // namespace rampart::core
