// A flapping peer against a real second failure (issue 13, defect 2): only a
// silence from the same incarnation, with its nfsd healthy throughout and
// its VIP not moved, within the grace period of the last grace, is a flap.
// Everything else takes grace. The fake clock moves time.
#include "service/peer_flaps.hpp"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kFirstLife = 0x0000019ad8f2c9b4ULL << 20;
constexpr std::uint64_t kSecondLife = (0x0000019ad8f2c9b4ULL + 60'000) << 20;  // a minute later

class PeerFlapsTest : public ::testing::Test {
protected:
    // node3 went down (silent) and a grace for its VIP was confirmed.
    void first_failure(PeerFlaps::Seen seen = {kFirstLife, 0}) { flaps.grace_taken("node3", seen, clock.now()); }
    PeerFlaps::Verdict silent_again(PeerFlaps::Seen seen = {kFirstLife, 0}) {
        return flaps.judge("node3", true, seen, clock.now());
    }

    test::FakeClock clock;
    PeerFlaps flaps{90s};
};

TEST_F(PeerFlapsTest, AFlapWithinTheGracePeriodIsNotAFailure) {
    first_failure();
    clock.advance(30s);  // back up, heard with the same incarnation, silent again
    const auto v = silent_again();
    EXPECT_TRUE(v.flap) << v.why;
    EXPECT_EQ(v.why, "peer node3 flapped, same incarnation, last grace 30.0 s ago");
    EXPECT_EQ(v.since_grace, 30s);
    // Again and again within the period: still the first grace that counts.
    clock.advance(50s);
    EXPECT_TRUE(silent_again().flap);
}

// The lab's case that the time-only limit (edde687) got wrong: the node was
// lost, came back (its daemon restarted: a greater incarnation), and was
// lost again within 90 s. That is a second real failure.
TEST_F(PeerFlapsTest, ANodeThatRestartedAndFailsAgainWithinTheWindowGetsGrace) {
    first_failure({kFirstLife, 0});
    clock.advance(40s);
    const auto v = silent_again({kSecondLife, 1});  // its new daemon said "nfsd unknown" once at start
    EXPECT_FALSE(v.flap);
    EXPECT_NE(v.why.find("it restarted since the last grace"), std::string::npos) << v.why;
    // Also when its new daemon reported its nfsd healthy from the start.
    EXPECT_FALSE(silent_again({kSecondLife, 0}).flap);
    // An incarnation that cannot be compared is no evidence of a flap.
    EXPECT_FALSE(silent_again({std::nullopt, 0}).flap);
    PeerFlaps other{90s};
    other.grace_taken("node3", {std::nullopt, 0}, clock.now());
    EXPECT_FALSE(other.judge("node3", true, {kFirstLife, 0}, clock.now()).flap);
}

TEST_F(PeerFlapsTest, APeerWhoseVipMovedGetsGrace) {
    first_failure();
    clock.advance(10s);
    flaps.changed("node3", "its VIP 192.0.2.3 came to this node", clock.now());
    clock.advance(10s);
    const auto v = silent_again();
    EXPECT_FALSE(v.flap);
    EXPECT_EQ(v.why, "its VIP 192.0.2.3 came to this node since the last grace (last grace 20.0 s ago)");
}

// A change at the very instant of the grace's request counts (the safe side);
// one before it belongs to an earlier failure.
TEST_F(PeerFlapsTest, OnlyChangesSinceTheLastGraceCount) {
    flaps.changed("node3", "Pacemaker asked for grace for its VIP", clock.now());
    clock.advance(1s);
    first_failure();
    clock.advance(5s);
    EXPECT_TRUE(silent_again().flap);
    flaps.changed("node3", "Pacemaker asked for grace for its VIP", clock.now() - 5s);  // at the request
    EXPECT_FALSE(silent_again().flap);
}

TEST_F(PeerFlapsTest, APeerThatReportedItsNfsdNotHealthyMeanwhileGetsGrace) {
    first_failure({kFirstLife, 2});
    clock.advance(20s);
    const auto v = silent_again({kFirstLife, 3});  // one datagram since said down (or unknown)
    EXPECT_FALSE(v.flap);
    EXPECT_NE(v.why.find("reported its nfsd not healthy"), std::string::npos) << v.why;
}

TEST_F(PeerFlapsTest, AReportedNfsdFailureIsNeverAFlap) {
    first_failure();
    clock.advance(5s);
    const auto v = flaps.judge("node3", false, {kFirstLife, 0}, clock.now());
    EXPECT_FALSE(v.flap);
    EXPECT_EQ(v.why, "it reports its nfsd down");
}

TEST_F(PeerFlapsTest, AfterTheGracePeriodTheNextSilenceTakesGrace) {
    first_failure();
    clock.advance(89s);
    EXPECT_TRUE(silent_again().flap);
    clock.advance(1s);
    const auto v = silent_again();
    EXPECT_FALSE(v.flap);
    EXPECT_NE(v.why.find("not within the 90.0 s grace period"), std::string::npos) << v.why;
}

TEST_F(PeerFlapsTest, ARestartOfTheLocalGaneshaForgetsEveryGrace) {
    first_failure();
    flaps.grace_taken("node2", {kFirstLife, 0}, clock.now());
    clock.advance(3s);
    flaps.ganesha_restarted(clock.now());
    clock.advance(3s);
    EXPECT_FALSE(silent_again().flap);
    EXPECT_FALSE(flaps.judge("node2", true, {kFirstLife, 0}, clock.now()).flap);
    // A grace taken after the restart counts again.
    first_failure();
    clock.advance(1s);
    EXPECT_TRUE(silent_again().flap);
}

TEST_F(PeerFlapsTest, NoEarlierGraceNoFlapAndPeersAreApart) {
    EXPECT_FALSE(silent_again().flap);
    EXPECT_EQ(silent_again().why, "no earlier grace here for it");
    flaps.grace_taken("node2", {kFirstLife, 0}, clock.now());
    clock.advance(1s);
    EXPECT_FALSE(silent_again().flap);  // node2's grace says nothing about node3
    flaps.changed("node2", "its VIP left this node", clock.now());
    first_failure();
    clock.advance(1s);
    EXPECT_TRUE(silent_again().flap);  // node2's change says nothing about node3 either
}

}  // namespace
}  // namespace gha
