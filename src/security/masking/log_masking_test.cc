#include "security/masking/log_masking.h"

#include <gtest/gtest.h>

namespace rampart::security::masking {
namespace {

TEST(LogMasking, PersonalDataAndAddressesKeepOnlyTheirEnds) {
  EXPECT_EQ(maskPersonalData("event=auth_failed peer=192.168.10.20 user=\"13812345678\""),
            "event=auth_failed peer=192.168.*.* user=\"138****5678\"");
  EXPECT_EQ(maskPersonalData("peer=[2001:db8:1:2::5]:5222 jid=\"zhang.san@example.com/phone\""),
            "peer=[2001:db8:*]:5222 jid=\"z***@example.com/phone\"");
  EXPECT_EQ(maskPersonalData("from 10.0.0.7:40522 id 11010519491231002X"),
            "from 10.0.*.*:40522 id 110105********002X");
  // Not addresses: versions, times, hex digests, port numbers.
  EXPECT_EQ(maskPersonalData("version=1.2.3 at 12:30:45 sha=deadbeef port=5222"),
            "version=1.2.3 at 12:30:45 sha=deadbeef port=5222");
  EXPECT_EQ(maskPersonalData("jid=\"alice@localhost/res\""), "jid=\"alice@localhost/res\"");
}

}  // namespace
}  // namespace rampart::security::masking
