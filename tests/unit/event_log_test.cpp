#include "service/event_log.hpp"

#include <gtest/gtest.h>

namespace gha {
namespace {

TEST(EventLog, KeepsTheNewestWithinItsCapacity) {
    EventLog log(3);
    for (int i = 0; i < 5; ++i) log.add("monitor", "pid", "event " + std::to_string(i));
    EXPECT_EQ(log.size(), 3u);
    EXPECT_EQ(log.last_seq(), 5u);
    auto all = log.since(0, 100);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all.front().seq, 3u);
    EXPECT_EQ(all.back().message, "event 4");
}

TEST(EventLog, SinceReturnsOnlyNewerEventsUpToTheLimit) {
    EventLog log(100);
    for (int i = 0; i < 10; ++i) log.add("monitor", "pid", "e");
    EXPECT_EQ(log.since(7, 100).size(), 3u);
    EXPECT_EQ(log.since(7, 100).front().seq, 8u);
    EXPECT_EQ(log.since(10, 100).size(), 0u);
    EXPECT_EQ(log.since(99, 100).size(), 0u);
    EXPECT_EQ(log.since(0, 4).size(), 4u);
}

TEST(EventLog, TimestampsAreMonotonicAndSerialized) {
    EventLog log(10);
    const auto& a = log.add("monitor", "pid", "a", {{"to", "unhealthy"}});
    const auto mono_a = a.mono;
    const auto& b = log.add("monitor", "pid", "b");
    EXPECT_LE(mono_a, b.mono);
    auto json = to_json(log.since(0, 1).front());
    EXPECT_EQ(json["fields"]["to"], "unhealthy");
    EXPECT_GT(json["time"].get<double>(), 1.6e9);
    EXPECT_GT(json["monotonic_ns"].get<long long>(), 0);
}

TEST(EventLog, ShrinkingTheCapacityDropsTheOldest) {
    EventLog log(10);
    for (int i = 0; i < 10; ++i) log.add("t", "s", std::to_string(i));
    log.set_capacity(2);
    auto rest = log.since(0, 10);
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest.front().message, "8");
}

}  // namespace
}  // namespace gha
