#include "monitors/health_counter.hpp"

#include <gtest/gtest.h>

namespace gha {
namespace {

constexpr auto ok = Outcome::success;
constexpr auto bad = Outcome::failure;
constexpr auto dead = Outcome::definite_failure;

TEST(HealthCounter, FirstResultDecidesAtOnce) {
    HealthCounter up(3, 3);
    EXPECT_EQ(up.health(), Health::unknown);
    EXPECT_EQ(up.record(ok), Transition::changed);
    EXPECT_EQ(up.health(), Health::healthy);

    HealthCounter down(3, 3);
    EXPECT_EQ(down.record(bad), Transition::changed);
    EXPECT_EQ(down.health(), Health::unhealthy);
}

TEST(HealthCounter, FallFailuresInARowMakeItUnhealthy) {
    HealthCounter c(2, 3);
    c.record(ok);
    EXPECT_EQ(c.record(bad), Transition::pending);
    EXPECT_EQ(c.record(bad), Transition::pending);
    EXPECT_EQ(c.health(), Health::healthy);
    EXPECT_EQ(c.record(bad), Transition::changed);
    EXPECT_EQ(c.health(), Health::unhealthy);
    EXPECT_EQ(c.record(bad), Transition::unchanged);
}

TEST(HealthCounter, RiseSuccessesInARowMakeItHealthy) {
    HealthCounter c(3, 2);
    c.record(bad);
    EXPECT_EQ(c.record(ok), Transition::pending);
    EXPECT_EQ(c.record(ok), Transition::pending);
    EXPECT_EQ(c.record(ok), Transition::changed);
    EXPECT_EQ(c.health(), Health::healthy);
    EXPECT_EQ(c.record(ok), Transition::unchanged);
}

TEST(HealthCounter, ASuccessWhileHealthyRestoresTheWholeFallBudget) {
    HealthCounter c(2, 3);
    c.record(ok);
    c.record(bad);
    c.record(bad);
    EXPECT_EQ(c.record(ok), Transition::pending);  // counter moved back to the top
    EXPECT_EQ(c.record(bad), Transition::pending);
    EXPECT_EQ(c.record(bad), Transition::pending);
    EXPECT_EQ(c.health(), Health::healthy);
    EXPECT_EQ(c.record(bad), Transition::changed);
}

TEST(HealthCounter, AFailureWhileRisingStartsTheRiseOver) {
    HealthCounter c(3, 1);
    c.record(bad);
    c.record(ok);
    c.record(ok);
    EXPECT_EQ(c.record(bad), Transition::pending);
    EXPECT_EQ(c.record(ok), Transition::pending);
    EXPECT_EQ(c.record(ok), Transition::pending);
    EXPECT_EQ(c.health(), Health::unhealthy);
    EXPECT_EQ(c.record(ok), Transition::changed);
}

TEST(HealthCounter, DefiniteFailureSkipsTheFallCount) {
    HealthCounter c(2, 5);
    c.record(ok);
    EXPECT_EQ(c.record(dead), Transition::changed);
    EXPECT_EQ(c.health(), Health::unhealthy);
}

TEST(HealthCounter, CounterStaysWithinItsRange) {
    HealthCounter c(2, 2);
    for (int i = 0; i < 50; ++i) {
        c.record(i % 3 == 0 ? bad : ok);
        EXPECT_GE(c.counter(), 0);
        EXPECT_LE(c.counter(), 3);
        EXPECT_EQ(c.health() == Health::healthy, c.counter() >= c.rise());
    }
}

TEST(HealthCounter, FlappingCannotChangeStateFasterThanRiseAndFall) {
    HealthCounter c(2, 2);
    c.record(ok);
    int edges = 0;
    for (int i = 0; i < 40; ++i)  // ok, bad, ok, bad...: never two in a row
        edges += c.record(i % 2 ? ok : bad) == Transition::changed;
    EXPECT_EQ(edges, 0);
}

}  // namespace
}  // namespace gha
