// Which node takes a failed VIP (issue 11): the first able node of the VIP's
// failover order, its home first, then the nodes after it, wrapping.
#include <gtest/gtest.h>

#include <set>

#include "service/vip_taker.hpp"

namespace gha {
namespace {

const std::vector<std::string> kNodes{"a", "b", "c", "d", "e"};

auto able_except(std::set<std::string> down) {
    return [down = std::move(down)](const std::string& n) { return !down.count(n); };
}

TEST(VipTaker, IsTheNextAbleNodeAfterTheHomeInClusterOrder) {
    EXPECT_EQ(vip_taker(kNodes, "a", able_except({"a"})), "b");
    EXPECT_EQ(vip_taker(kNodes, "c", able_except({"c"})), "d");
    EXPECT_EQ(vip_taker(kNodes, "c", able_except({"c", "d"})), "e");
}

TEST(VipTaker, WrapsAroundTheEndOfTheList) {
    EXPECT_EQ(vip_taker(kNodes, "e", able_except({"e"})), "a");
    EXPECT_EQ(vip_taker(kNodes, "d", able_except({"d", "e", "a"})), "b");
}

TEST(VipTaker, IsTheHomeWhenTheHomeIsAble) {
    // A VIP held elsewhere whose holder fails goes home if home can take it.
    EXPECT_EQ(vip_taker(kNodes, "a", able_except({"b"})), "a");
}

TEST(VipTaker, IsNobodyWhenNoNodeIsAbleOrTheHomeIsUnknown) {
    EXPECT_EQ(vip_taker(kNodes, "a", able_except({"a", "b", "c", "d", "e"})), std::nullopt);
    EXPECT_EQ(vip_taker(kNodes, "z", able_except({})), std::nullopt);
    EXPECT_EQ(vip_taker({}, "a", able_except({})), std::nullopt);
}

TEST(VipTaker, EveryNodeComputesTheSameTakerForTwoFailuresAtOnce) {
    // a and b fail together: whoever asks, a's and b's VIPs both go to c.
    const auto able = able_except({"a", "b"});
    EXPECT_EQ(vip_taker(kNodes, "a", able), "c");
    EXPECT_EQ(vip_taker(kNodes, "b", able), "c");
}

TEST(VipTaker, TheReadinessAttributeNamesTheHome) { EXPECT_EQ(vip_ready_attribute("node1"), "grace-for-node1"); }

}  // namespace
}  // namespace gha
