#include "modules/xep0163_pep/caps.h"

#include <gtest/gtest.h>

namespace rampart::modules::pep {
namespace {

TEST(EntityCaps, SimpleExampleOfXep0115) {
  auto info = core::parseElement(
      "<query xmlns='http://jabber.org/protocol/disco#info'>"
      "<identity category='client' type='pc' name='Exodus 0.9.1'/>"
      "<feature var='http://jabber.org/protocol/disco#info'/>"
      "<feature var='http://jabber.org/protocol/disco#items'/>"
      "<feature var='http://jabber.org/protocol/muc'/>"
      "<feature var='http://jabber.org/protocol/caps'/></query>");
  ASSERT_TRUE(info);
  EXPECT_EQ(capsVerSha1(*info), "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

TEST(EntityCaps, ComplexExampleOfXep0115WithForm) {
  auto info = core::parseElement(
      "<query xmlns='http://jabber.org/protocol/disco#info'>"
      "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
      "<identity xml:lang='el' category='client' name='&#936; 0.11' type='pc'/>"
      "<feature var='http://jabber.org/protocol/caps'/>"
      "<feature var='http://jabber.org/protocol/disco#info'/>"
      "<feature var='http://jabber.org/protocol/disco#items'/>"
      "<feature var='http://jabber.org/protocol/muc'/>"
      "<x xmlns='jabber:x:data' type='result'>"
      "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
      "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"
      "<field var='os'><value>Mac</value></field>"
      "<field var='os_version'><value>10.5.1</value></field>"
      "<field var='software'><value>Psi</value></field>"
      "<field var='software_version'><value>0.11</value></field>"
      "</x></query>");
  ASSERT_TRUE(info);
  EXPECT_EQ(capsVerSha1(*info), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

TEST(EntityCaps, DuplicateFeaturesAreRejected) {
  auto info = core::parseElement(
      "<query xmlns='http://jabber.org/protocol/disco#info'>"
      "<feature var='a'/><feature var='a'/></query>");
  ASSERT_TRUE(info);
  EXPECT_FALSE(capsVerSha1(*info));
}

}  // namespace
}  // namespace rampart::modules::pep
