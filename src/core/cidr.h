#pragma once
// Address ranges in CIDR notation ("10.0.0.0/8", "::1/128", or a bare address), for the
// allow-lists of listeners and endpoints. Immutable after parse(); safe to share.

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::core {

class CidrList {
 public:
  struct Range {
    boost::asio::ip::address network;
    unsigned prefix = 0;
  };
  // nullopt names the first entry that is not a CIDR range (in *bad).
  static std::optional<CidrList> parse(const std::vector<std::string>& entries,
                                       std::string* bad = nullptr);
  // IPv4-mapped IPv6 addresses match IPv4 ranges.
  bool contains(const boost::asio::ip::address& a) const;
  bool contains(std::string_view address) const;
  bool empty() const { return ranges_.empty(); }

 private:
  std::vector<Range> ranges_;
};

}  // namespace rampart::core
