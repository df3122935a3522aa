#include "core/cidr.h"

#include <charconv>

namespace rampart::core {
namespace ip = boost::asio::ip;

namespace {
ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

template <std::size_t N>
bool prefixEqual(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned bits) {
  for (std::size_t i = 0; i < N && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) {
      return false;
    }
    bits -= take;
  }
  return true;
}
}  // namespace

std::optional<CidrList> CidrList::parse(const std::vector<std::string>& entries,
                                        std::string* bad) {
  CidrList list;
  for (const auto& e : entries) {
    std::string_view s = e;
    auto slash = s.find('/');
    boost::system::error_code ec;
    auto addr = ip::make_address(std::string(s.substr(0, slash)), ec);
    unsigned prefix = 0;
    bool ok = !ec;
    if (ok) {
      addr = unmapped(addr);
      const unsigned max = addr.is_v4() ? 32 : 128;
      prefix = max;
      if (slash != std::string_view::npos) {
        auto digits = s.substr(slash + 1);
        auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        ok = err == std::errc() && p == digits.data() + digits.size() && !digits.empty() &&
             prefix <= max;
      }
    }
    if (!ok) {
      if (bad != nullptr) {
        *bad = e;
      }
      return std::nullopt;
    }
    list.ranges_.push_back(Range{addr, prefix});
  }
  return list;
}

bool CidrList::contains(const ip::address& raw) const {
  const ip::address a = unmapped(raw);
  for (const auto& r : ranges_) {
    if (a.is_v4() && r.network.is_v4()) {
      if (prefixEqual(a.to_v4().to_bytes(), r.network.to_v4().to_bytes(), r.prefix)) {
        return true;
      }
    } else if (a.is_v6() && r.network.is_v6()) {
      if (prefixEqual(a.to_v6().to_bytes(), r.network.to_v6().to_bytes(), r.prefix)) {
        return true;
      }
    }
  }
  return false;
}

bool CidrList::contains(std::string_view address) const {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(address), ec);
  return !ec && contains(a);
}

}  // namespace rampart::core
