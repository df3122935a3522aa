// Element tree and serializer. Every byte the server writes as XML passes through here.

#include "rampart/core/element.h"

namespace rampart::core {

Element::Element(const Element& other)
    : name_(other.name_), ns_(other.ns_), attrs_(other.attrs_) {
  children_.reserve(other.children_.size());
  for (const auto& n : other.children_) {
    Node copy;
    if (n.element) {
      copy.element = std::make_unique<Element>(*n.element);
    } else {
      copy.text = n.text;
    }
    children_.push_back(std::move(copy));
  }
}

Element& Element::operator=(const Element& other) {
  if (this != &other) {
    Element tmp(other);
    *this = std::move(tmp);
  }
  return *this;
}

std::optional<std::string_view> Element::attr(std::string_view name) const {
  for (const auto& a : attrs_) {
    if (a.name == name) {
      return std::string_view(a.value);
    }
  }
  return std::nullopt;
}

std::string_view Element::attrOr(std::string_view name, std::string_view fallback) const {
  auto v = attr(name);
  return v ? *v : fallback;
}

Element& Element::setAttr(std::string_view name, std::string_view value) {
  for (auto& a : attrs_) {
    if (a.name == name) {
      a.value.assign(value);
      return *this;
    }
  }
  attrs_.push_back(Attr{std::string(name), std::string(value)});
  return *this;
}

void Element::removeAttr(std::string_view name) {
  std::erase_if(attrs_, [&](const Attr& a) { return a.name == name; });
}

Element& Element::addChild(Element child) {
  Node n;
  n.element = std::make_unique<Element>(std::move(child));
  children_.push_back(std::move(n));
  return *children_.back().element;
}

Element& Element::addChild(std::string name, std::string ns) {
  return addChild(Element(std::move(name), std::move(ns)));
}

Element& Element::addText(std::string_view text) {
  if (!children_.empty() && !children_.back().element) {
    children_.back().text.append(text);
  } else {
    Node n;
    n.text.assign(text);
    children_.push_back(std::move(n));
  }
  return *this;
}

void Element::removeChildren(std::string_view name, std::string_view ns) {
  std::erase_if(children_, [&](const Node& n) { return n.element && n.element->is(name, ns); });
}

const Element* Element::child(std::string_view name, std::string_view ns) const {
  for (const auto& n : children_) {
    if (n.element && n.element->is(name, ns)) {
      return n.element.get();
    }
  }
  return nullptr;
}

Element* Element::child(std::string_view name, std::string_view ns) {
  return const_cast<Element*>(std::as_const(*this).child(name, ns));
}

const Element* Element::firstChild() const {
  for (const auto& n : children_) {
    if (n.element) {
      return n.element.get();
    }
  }
  return nullptr;
}

std::vector<const Element*> Element::childElements() const {
  std::vector<const Element*> out;
  for (const auto& n : children_) {
    if (n.element) {
      out.push_back(n.element.get());
    }
  }
  return out;
}

std::vector<Element*> Element::childElements() {
  std::vector<Element*> out;
  for (auto& n : children_) {
    if (n.element) {
      out.push_back(n.element.get());
    }
  }
  return out;
}

std::string Element::text() const {
  std::string out;
  for (const auto& n : children_) {
    if (!n.element) {
      out += n.text;
    }
  }
  return out;
}

std::string Element::deepText(std::size_t limit) const {
  std::string out;
  // Iterative, depth-first: (element, next child index).
  std::vector<std::pair<const Element*, std::size_t>> stack{{this, 0}};
  while (!stack.empty() && out.size() < limit) {
    auto& [e, i] = stack.back();
    if (i >= e->children_.size()) {
      stack.pop_back();
      continue;
    }
    const Node& n = e->children_[i++];
    if (n.element) {
      if (stack.size() < 64) {
        stack.emplace_back(n.element.get(), 0);
      }
    } else {
      out += n.text;
    }
  }
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

std::string Element::childText(std::string_view name, std::string_view ns) const {
  const Element* c = child(name, ns);
  return c ? c->text() : std::string();
}

void appendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
}

void appendEscapedAttr(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      // Attribute-value normalization would turn these into spaces on the other side.
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
}

void Element::serialize(std::string& out, std::string_view parentNs) const {
  serializeImpl(out, parentNs, nullptr);
}

void Element::serializeAddressed(std::string& out, std::string_view parentNs,
                                 std::string_view to) const {
  serializeImpl(out, parentNs, &to);
}

void Element::serializeImpl(std::string& out, std::string_view parentNs,
                            const std::string_view* to) const {
  out += '<';
  out += name_;
  if (ns_ != parentNs) {
    out += " xmlns='";
    appendEscapedAttr(out, ns_);
    out += '\'';
  }
  for (const auto& a : attrs_) {
    if (to != nullptr && a.name == "to") {
      continue;
    }
    out += ' ';
    out += a.name;
    out += "='";
    appendEscapedAttr(out, a.value);
    out += '\'';
  }
  if (to != nullptr) {
    out += " to='";
    appendEscapedAttr(out, *to);
    out += '\'';
  }
  if (children_.empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& n : children_) {
    if (n.element) {
      n.element->serialize(out, ns_);
    } else {
      appendEscaped(out, n.text);
    }
  }
  out += "</";
  out += name_;
  out += '>';
}

std::string Element::str(std::string_view parentNs) const {
  std::string out;
  serialize(out, parentNs);
  return out;
}

}  // namespace rampart::core
