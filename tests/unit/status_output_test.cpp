// ganesha-hactl's status table and --field lines: whatever the daemon's
// answer holds (a monitor without a first result, nulls, missing members,
// empty strings, other types), printing never throws.
#include "ctl/status_output.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace gha::ctl {
namespace {

using nlohmann::json;

// What the daemon answers in its first second, before any probe came back.
json first_second() {
    return json::parse(R"({
      "node": "n1", "ha_name": "c", "cluster_nodes": ["n1", "n2"],
      "vips": {"n1": "10.0.0.1", "n2": "10.0.0.2"},
      "nfsd": {"code": 1, "text": "not probed yet"},
      "monitors": [{"name": "pid", "kind": "pid", "health": "unknown", "counter": 0,
                    "reason": "", "detail": "", "last_change": 0, "last_success": 0,
                    "probes": 0, "failures": 0,
                    "settings": {"rise": 2, "fall": 2, "detection_bound_ms": 3000}}]
    })");
}

TEST(StatusOutput, AMonitorWithoutAFirstResultPrintsNever) {
    std::string out;
    ASSERT_NO_THROW(out = format_status(first_second()));
    EXPECT_NE(out.find("pid        unknown    -          0/3       3000ms   -"), std::string::npos) << out;
    EXPECT_NE(out.find("n1=10.0.0.1 n2=10.0.0.2"), std::string::npos) << out;
}

TEST(StatusOutput, OddValuesPrintAsDashes) {
    const json odd = json::parse(R"({
      "node": null, "nfsd": null, "vips": {"n1": null, "n2": 7},
      "monitors": [{}, null, 3, "x",
                   {"name": "rpc", "health": null, "counter": "1", "reason": 5, "detail": [],
                    "last_change": null, "settings": null},
                   {"name": "", "last_change": "yesterday", "settings": {"rise": null, "fall": 2}},
                   {"name": "neg", "last_change": -5.0, "counter": 1.5,
                    "settings": {"rise": 2, "fall": 2, "detection_bound_ms": "x"}}]
    })");
    std::string out;
    ASSERT_NO_THROW(out = format_status(odd));
    EXPECT_NE(out.find("node        - (cluster -)"), std::string::npos) << out;
    EXPECT_NE(out.find("nfsd        UNKNOWN: -"), std::string::npos) << out;
    EXPECT_NE(out.find("rpc        -          5          -"), std::string::npos) << out;
    EXPECT_NE(out.find("neg        -          -          1/3       -        -"), std::string::npos) << out;
    EXPECT_NE(out.find("n1=- n2=7"), std::string::npos) << out;
    for (const json& nothing : {json(), json::array(), json::object(), json("status"), json(3)})
        EXPECT_NO_THROW(format_status(nothing)) << nothing.dump();
}

// Issue 14: the drain (and who holds it) and the moves to this node.
TEST(StatusOutput, DrainedAndMovesAreShown) {
    json a = first_second();
    a["drained"] = true;
    a["drain"] = {{"by", {"operator"}}, {"attribute", "ganesha-drained"}, {"in_cib", true}};
    a["moves"] = {{"n2", {{"address", "10.0.0.2"}, {"state", "requested"}, {"ready", true}}}};
    std::string out = format_status(a);
    EXPECT_NE(out.find("drain       DRAINED by the operator (ganesha-drained=1 in the CIB: kept across restarts)"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("move        10.0.0.2 (n2's VIP) to this node: requested, in grace for it"), std::string::npos)
        << out;
    a["drained"] = false;
    a["drain"]["by"] = json::array();
    EXPECT_NE(format_status(a).find("drain       not drained"), std::string::npos);
    // Odd shapes print without throwing.
    for (const json& odd : {json(nullptr), json(3), json("x"), json::array({1}), json::object({{"by", 7}})}) {
        a["drain"] = odd;
        a["moves"] = odd;
        a["drained"] = true;
        EXPECT_NO_THROW(format_status(a));
    }
}

TEST(StatusOutput, ATimeIsShownWithoutTheYear) {
    json s = first_second();
    s["monitors"][0]["last_change"] = 1.7e9;  // 2023-11-14 in every time zone
    const std::string out = format_status(s);
    EXPECT_NE(out.find("11-1"), std::string::npos) << out;
    EXPECT_EQ(out.find("2023-"), std::string::npos) << out;
    EXPECT_EQ(format_wall_time(json()), "-");
    EXPECT_EQ(format_wall_time(json(0)), "-");
    EXPECT_EQ(format_wall_time(json("0")), "-");
    EXPECT_EQ(format_wall_time(json(1.7e9)).substr(0, 5), "2023-");
}

// Found by fuzz/hactl_status (UBSan: 6.7e86 is outside the range of long):
// numbers no time_t or long long can hold print as "-", never convert.
TEST(StatusOutput, NumbersTooLargeForTheirTypePrintAsDashes) {
    EXPECT_EQ(format_wall_time(json(6.66667e86)), "-");
    EXPECT_EQ(format_wall_time(json(std::numeric_limits<double>::infinity())), "-");
    EXPECT_EQ(format_wall_time(json(253402300800.0)), "-");  // year 10000
    EXPECT_NE(format_wall_time(json(253402200000.0)), "-");  // 9999
    json s = first_second();
    s["monitors"][0]["last_change"] = 1e300;
    s["monitors"][0]["counter"] = -1e300;
    s["monitors"][0]["settings"]["detection_bound_ms"] = 18446744073709551615u;  // 2^64 - 1
    s["nfsd"]["code"] = 9.3e18;
    std::string out;
    ASSERT_NO_THROW(out = format_status(s));
    EXPECT_NE(out.find("pid        unknown    -          -         -        -"), std::string::npos) << out;
    EXPECT_NE(out.find("nfsd        UNKNOWN"), std::string::npos) << out;
    // rise + fall - 1 would overflow
    s = first_second();
    s["monitors"][0]["settings"]["rise"] = std::numeric_limits<long long>::max();
    s["monitors"][0]["settings"]["fall"] = 2;
    out = format_status(s);
    EXPECT_NE(out.find("pid        unknown    -          -         3000ms"), std::string::npos) << out;
    s["monitors"][0]["settings"]["rise"] = std::numeric_limits<long long>::min();
    s["monitors"][0]["settings"]["fall"] = 0;
    out = format_status(s);
    EXPECT_NE(out.find("pid        unknown    -          -         3000ms"), std::string::npos) << out;
}

TEST(StatusOutput, FieldPrintsOneValuePerLine) {
    std::string out, problem;
    ASSERT_TRUE(format_status_field(first_second(), "cluster_nodes", out, problem)) << problem;
    EXPECT_EQ(out, "n1\nn2\n");
    ASSERT_TRUE(format_status_field(first_second(), "vips", out, problem)) << problem;
    EXPECT_EQ(out, "n1 10.0.0.1\nn2 10.0.0.2\n");
    ASSERT_TRUE(format_status_field(first_second(), "node", out, problem)) << problem;
    EXPECT_EQ(out, "n1\n");
    json s = first_second();
    s["cluster_nodes"] = json::array();
    s["drained"] = false;
    s["empty"] = nullptr;
    ASSERT_TRUE(format_status_field(s, "cluster_nodes", out, problem));
    EXPECT_EQ(out, "");
    ASSERT_TRUE(format_status_field(s, "drained", out, problem));
    EXPECT_EQ(out, "false\n");
    ASSERT_TRUE(format_status_field(s, "empty", out, problem));
    EXPECT_EQ(out, "\n");
}

TEST(StatusOutput, FieldRefusesWhatALineCannotCarry) {
    std::string out, problem;
    EXPECT_FALSE(format_status_field(first_second(), "nope", out, problem));
    EXPECT_NE(problem.find("nope"), std::string::npos);
    EXPECT_FALSE(format_status_field(first_second(), "monitors", out, problem));  // objects inside
    EXPECT_FALSE(format_status_field(json{{"l", {"a\nb"}}}, "l", out, problem));
    EXPECT_FALSE(format_status_field(json{{"o", {{"a b", "x"}}}}, "o", out, problem));
    EXPECT_FALSE(format_status_field(json::array(), "l", out, problem));
}

// ganesha-hactl events: whatever an event holds (or lacks), it prints.
TEST(EventsOutput, AWellFormedEventPrintsItsColumns) {
    const json answer = json::parse(R"({"events": [{"seq": 12, "time": 0, "monotonic_ns": 5, "type": "peer",
        "subject": "node2", "message": "down: silent", "fields": {"from": "up"}}]})");
    std::string out;
    ASSERT_NO_THROW(out = format_events(answer));
    EXPECT_EQ(out, "SEQ  TIME  TYPE  SUBJECT  MESSAGE\n"
                   "12   -     peer  node2    down: silent\n");
}

// The cells of a table row (separated by two blanks or more).
std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < line.size()) {
        const auto gap = line.find("  ", at);
        out.push_back(line.substr(at, gap - at));
        if (gap == std::string::npos) break;
        at = line.find_first_not_of(' ', gap);
    }
    return out;
}

TEST(EventsOutput, MissingNullAndOddMembersPrintAsDashes) {
    const json answer = json::parse(R"({"events": [
        {},
        null,
        7,
        "text",
        {"seq": null, "time": null, "type": null, "subject": null, "message": null, "fields": null},
        {"seq": "12", "time": "yesterday", "type": 3, "subject": [], "message": {"a": 1}},
        {"seq": 1.5, "time": -1, "type": "", "subject": true, "message": "only a message"}
    ]})");
    std::string out;
    ASSERT_NO_THROW(out = format_events(answer));
    std::vector<std::string> lines;
    for (std::size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1)
        lines.push_back(out.substr(at, nl - at));
    ASSERT_EQ(lines.size(), 8u) << out;
    using Cells = std::vector<std::string>;
    EXPECT_EQ(cells(lines[1]), (Cells{"-", "-", "-", "-", "-"})) << out;
    EXPECT_EQ(lines[2], lines[1]);
    EXPECT_EQ(lines[5], lines[1]);
    EXPECT_EQ(cells(lines[6]), (Cells{"12", "-", "3", "-", "-"})) << out;
    EXPECT_EQ(cells(lines[7]), (Cells{"1.5", "-", "-", "true", "only a message"})) << out;
}

TEST(EventsOutput, AnAnswerWithoutEventsPrintsNothing) {
    for (const char* text : {R"({})", R"({"events": null})", R"({"events": {"seq": 1}})", "null", "[1, 2]"}) {
        std::string out = "x";
        ASSERT_NO_THROW(out = format_events(json::parse(text))) << text;
        EXPECT_EQ(out, "") << text;
    }
}

}  // namespace
}  // namespace gha::ctl
