// ganesha-hactl's arguments: typed as the daemon reads them, not guessed
// from how a value looks.
#include "ctl/cli_arguments.hpp"

#include <gtest/gtest.h>

namespace gha::ctl {
namespace {

using nlohmann::json;

json arguments(const std::vector<std::string>& words) {
    json out;
    std::string problem;
    EXPECT_TRUE(build_arguments(words, out, problem)) << problem;
    return out;
}

std::string problem_of(const std::vector<std::string>& words) {
    json out;
    std::string problem;
    EXPECT_FALSE(build_arguments(words, out, problem));
    return problem;
}

TEST(CliArguments, AnAllDigitNodeNameStaysAString) {
    const json a = arguments({"node=123"});
    ASSERT_TRUE(a["node"].is_string()) << a.dump();
    EXPECT_EQ(a["node"], "123");
    EXPECT_EQ(arguments({"--node", "007"})["node"], "007");  // leading zeros kept
    // Whatever a value looks like, it is the text that was typed.
    const json b = arguments({"address=10", "event=true", "x=1e3", "y=null", "z=-1"});
    EXPECT_EQ(b, json({{"address", "10"}, {"event", "true"}, {"x", "1e3"}, {"y", "null"}, {"z", "-1"}}));
}

TEST(CliArguments, CountersAndIdsAreNumbers) {
    const json a = arguments({"--since", "5", "limit=20", "--id", "18446744073709551615"});
    EXPECT_EQ(a["since"], 5u);
    EXPECT_TRUE(a["since"].is_number_unsigned());
    EXPECT_EQ(a["limit"], 20u);
    EXPECT_EQ(a["id"].get<std::uint64_t>(), 18446744073709551615ull);
    EXPECT_EQ(problem_of({"--since", "five"}), "since 'five' is not a whole number");
    EXPECT_EQ(problem_of({"limit=-1"}), "limit '-1' is not a whole number");
    EXPECT_EQ(problem_of({"id="}), "id '' is not a whole number");
    EXPECT_EQ(problem_of({"id=1.5"}), "id '1.5' is not a whole number");
}

TEST(CliArguments, PositionalWordsAndMissingValues) {
    EXPECT_EQ(arguments({"10.0.0.1", "=x"}), json({{"args", {"10.0.0.1", "=x"}}}));
    EXPECT_EQ(arguments({}), json::object());
    EXPECT_EQ(problem_of({"--event"}), "--event needs a value");
}

}  // namespace
}  // namespace gha::ctl
