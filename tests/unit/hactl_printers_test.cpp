// ganesha-hactl's printers for events, actions (pipelines), list-commands
// and peers fed odd JSON: a daemon of another version (or a bug) may send a
// negative or fractional number where a count is meant, a string for a
// number, a null, a list for an object. Every field prints, as "-" when it
// cannot be read; nothing throws. Plus the layout: times with milliseconds
// and zone, ages relative, columns as wide as their data.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <limits>
#include <sstream>

#include "ctl/peers_table.hpp"
#include "ctl/pipeline_output.hpp"
#include "ctl/status_output.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;

// Odd values of every type, for any member.
const std::vector<json>& odd_values() {
    static const std::vector<json> values = {
        json(),      json(-1),     json(-1.5),          json(1e300),  json(18446744073709551615ull),
        json(0.5),   json("12"),   json(""),            json(true),   json::array({1, "x"}),
        json::object({{"a", 1}}),  json(-9.3e18),       json(std::numeric_limits<double>::quiet_NaN())};
    return values;
}

// Each of `keys` in turn set to each odd value in `base`, at `path` (an
// object inside base, or base itself for "").
void each_odd_member(const json& base, const std::string& path, const std::vector<std::string>& keys,
                     const std::function<void(const json&)>& check) {
    for (const auto& key : keys)
        for (const auto& v : odd_values()) {
            json doc = base;
            json& target = path.empty() ? doc : doc[json::json_pointer(path)];
            target[key] = v;
            check(doc);
        }
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
        out.push_back(text.substr(at, nl - at));
    return out;
}

// TZ for one test: format_wall_time prints local time.
class UtcClock : public ::testing::Test {
protected:
    void SetUp() override {
        const char* tz = std::getenv("TZ");
        had_tz_ = tz != nullptr;
        if (tz) old_tz_ = tz;
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    void TearDown() override {
        if (had_tz_) ::setenv("TZ", old_tz_.c_str(), 1);
        else ::unsetenv("TZ");
        ::tzset();
    }

private:
    bool had_tz_ = false;
    std::string old_tz_;
};

using EventsPrinter = UtcClock;

TEST_F(EventsPrinter, TimesHaveMillisecondsAndAZone) {
    EXPECT_EQ(format_wall_time(json(1796094245.123)), "2026-12-01 03:04:05.123 +0000");
    EXPECT_EQ(format_wall_time(json(1796094245)), "2026-12-01 03:04:05.000 +0000");
    EXPECT_EQ(format_wall_time(json(1796094245.9996)), "2026-12-01 03:04:06.000 +0000");  // never .1000
    EXPECT_EQ(format_wall_time(json(1796094245.5), WallTime::short_form), "12-01 03:04:05");
    const json a = {{"events", {{{"seq", 7}, {"time", 1796094245.123}, {"type", "peer"}, {"subject", "node2"},
                                 {"message", "down"}}}}};
    EXPECT_EQ(format_events(a), "SEQ  TIME                           TYPE  SUBJECT  MESSAGE\n"
                                "7    2026-12-01 03:04:05.123 +0000  peer  node2    down\n");
}

TEST_F(EventsPrinter, LongSubjectsKeepTheColumnsAligned) {
    json events = json::array();
    for (const char* subject : {"node2", "nfs-40.storage.example.com", "-"})
        events.push_back({{"seq", 1000}, {"time", 1796094245.0}, {"type", "monitor"}, {"subject", subject},
                          {"message", "m"}});
    const auto lines = lines_of(format_events({{"events", events}}));
    ASSERT_EQ(lines.size(), 4u);
    const auto column = lines[0].find("MESSAGE");
    for (std::size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(lines[i].size() - 1, column) << lines[i];  // "m" last
}

TEST(EventsPrinterOdd, EveryMemberCopesWithOddValues) {
    const json base = {{"events", {{{"seq", 1}, {"time", 1.7e9}, {"type", "t"}, {"subject", "s"}, {"message", "m"}}}}};
    each_odd_member(base, "/events/0", {"seq", "time", "type", "subject", "message"}, [](const json& doc) {
        std::string out;
        ASSERT_NO_THROW(out = format_events(doc)) << doc.dump();
        EXPECT_EQ(lines_of(out).size(), 2u) << doc.dump();
    });
    for (const auto& v : odd_values()) EXPECT_NO_THROW(format_events({{"events", json::array({v})}})) << v.dump();
}

TEST(PipelinePrinter, AWellFormedPipeline) {
    const json p = json::parse(R"({"id": 4, "pipeline": "failover", "target": "node1", "state": "succeeded",
        "steps": [{"name": "grace", "state": "succeeded", "attempts": 1, "duration_ms": 12.34, "detail": "ok"},
                  {"name": "move-vip-to-a-long-named-node", "state": "skipped", "attempts": 3, "duration_ms": 0,
                   "detail": ""}]})");
    EXPECT_EQ(format_pipeline(p), "pipeline 4 failover (node1): succeeded\n"
                                  "  grace                          succeeded  1 try    12.3 ms  ok\n"
                                  "  move-vip-to-a-long-named-node  skipped    3 tries  0.0 ms   -\n");
    EXPECT_FALSE(pipeline_finished(json{{"state", "running"}}));
    EXPECT_FALSE(pipeline_finished(json{{"state", "queued"}}));
    EXPECT_TRUE(pipeline_finished(json{{"state", "failed"}}));
}

TEST(PipelinePrinter, EveryFieldCopesWithOddValues) {
    const json base = json::parse(R"({"id": 4, "pipeline": "p", "target": "t", "state": "running",
        "steps": [{"name": "n", "state": "s", "attempts": 1, "duration_ms": 1.0, "detail": "d"}]})");
    each_odd_member(base, "", {"id", "pipeline", "target", "state", "steps"}, [](const json& doc) {
        EXPECT_NO_THROW(format_pipeline(doc)) << doc.dump();
        EXPECT_NO_THROW(pipeline_finished(doc)) << doc.dump();
    });
    each_odd_member(base, "/steps/0", {"name", "state", "attempts", "duration_ms", "detail"}, [](const json& doc) {
        std::string out;
        ASSERT_NO_THROW(out = format_pipeline(doc)) << doc.dump();
        EXPECT_EQ(lines_of(out).size(), 2u) << out;
    });
    // What used to abort: a negative or fractional count, a string for a number.
    const std::string out = format_pipeline(json::parse(
        R"({"id": -1, "steps": [{"attempts": -2, "duration_ms": "5"}, {"attempts": 1e300, "duration_ms": -3}]})"));
    EXPECT_EQ(out, "pipeline -1 - (-): -\n"
                   "  -  -  -  -  -\n"
                   "  -  -  -  -  -\n");
    for (const auto& v : odd_values()) EXPECT_NO_THROW(format_pipeline(v)) << v.dump();
}

TEST(CommandsPrinter, OddValues) {
    EXPECT_EQ(format_commands(json::parse(R"({"commands": [{"name": "status", "help": "h", "changes": false},
        {"name": "drain", "help": "d", "changes": true}, {"name": 3, "changes": "yes"}, null]})")),
              "status  h\n"
              "drain   d [changes state]\n"
              "3       -\n"
              "-       -\n");
    for (const auto& v : odd_values()) {
        EXPECT_NO_THROW(format_commands(v)) << v.dump();
        EXPECT_NO_THROW(format_commands({{"commands", v}})) << v.dump();
    }
}

json good_peers() {
    return json::parse(R"({"enabled": true, "node": "node1", "address": "10.0.0.1:62049", "incarnation": "0x1",
        "sequence": 12, "settings": {"interval_ms": 500, "rise": 2, "fall": 4, "detection_bound_ms": 2000},
        "local": {"nfsd": "healthy", "grace_held": ["node3"]}, "drops": {"replay": 1, "bad-mac": 0},
        "last_bad_mac": {"source": "10.0.0.9:1", "at": 1796094245.5},
        "server_scope": "prod", "server_scope_fingerprint": "ab", "ganesha_conf": "/etc/ganesha/ganesha.conf",
        "peers": [{"node": "node2", "state": "up", "why": "ok", "nfsd": "healthy", "last_heard": 1796094245.25,
                   "last_heard_ago_ms": 3210, "incarnation": "0x2", "sequence": 5, "grace_held": [],
                   "drops": {"replay": 0}, "address": "10.0.0.2:62049", "wrong_source": "",
                   "server_scope_fingerprint": "ab", "server_scope_mismatch": false}]})");
}

using PeersPrinter = UtcClock;

TEST_F(PeersPrinter, AgesAreRelative) {
    const std::string out = format_peers(good_peers());
    EXPECT_NE(out.find("03:04:05.250  3.2 s ago"), std::string::npos) << out;
    EXPECT_NE(out.find("last from 10.0.0.9:1 at 2026-12-01 03:04:05.500 +0000"), std::string::npos) << out;
    EXPECT_EQ(format_age(json(3210)), "3.2 s ago");
    EXPECT_EQ(format_age(json(0)), "0.0 s ago");
    EXPECT_EQ(format_age(json(125000)), "2 min ago");
    EXPECT_EQ(format_age(json(5.5 * 3600 * 1000)), "5.5 h ago");
    EXPECT_EQ(format_age(json(3.0 * 86400 * 1000)), "3 d ago");
    EXPECT_EQ(format_age(json()), "never");
    for (const json& odd : {json(-1), json("3"), json(1e300), json::array()}) EXPECT_EQ(format_age(odd), "-");
}

TEST(PeersPrinterOdd, EveryFieldCopesWithOddValues) {
    const json base = good_peers();
    each_odd_member(base, "",
                    {"enabled", "node", "address", "incarnation", "sequence", "settings", "local", "drops",
                     "last_bad_mac", "server_scope", "server_scope_fingerprint", "ganesha_conf", "peers"},
                    [](const json& doc) { EXPECT_NO_THROW(format_peers(doc)) << doc.dump(); });
    each_odd_member(base, "/settings", {"interval_ms", "rise", "fall", "detection_bound_ms"},
                    [](const json& doc) { EXPECT_NO_THROW(format_peers(doc)) << doc.dump(); });
    each_odd_member(base, "/local", {"nfsd", "grace_held"},
                    [](const json& doc) { EXPECT_NO_THROW(format_peers(doc)) << doc.dump(); });
    each_odd_member(base, "/last_bad_mac", {"source", "at"},
                    [](const json& doc) { EXPECT_NO_THROW(format_peers(doc)) << doc.dump(); });
    each_odd_member(base, "/drops", {"replay"}, [](const json& doc) { EXPECT_NO_THROW(format_peers(doc)) << doc.dump(); });
    each_odd_member(base, "/peers/0",
                    {"node", "state", "why", "nfsd", "last_heard", "last_heard_ago_ms", "incarnation", "sequence",
                     "grace_held", "drops", "address", "wrong_source", "server_scope_fingerprint",
                     "server_scope_mismatch", "address_error"},
                    [](const json& doc) {
                        std::string out;
                        ASSERT_NO_THROW(out = format_peers(doc)) << doc.dump();
                        EXPECT_NE(out.find("\nPEER"), std::string::npos) << out;
                    });
    // What used to throw or convert with undefined behaviour.
    json odd = base;
    odd["sequence"] = -5;
    odd["peers"][0]["sequence"] = 1.5;
    odd["peers"][0]["incarnation"] = 7;
    odd["peers"][0]["last_heard_ago_ms"] = "soon";
    odd["peers"][0]["grace_held"] = {"node3", 4, nullptr};
    odd["peers"][0]["drops"] = {{"replay", -1}, {"bad-mac", "x"}};
    std::string out;
    ASSERT_NO_THROW(out = format_peers(odd));
    EXPECT_NE(out.find("sequence -5"), std::string::npos) << out;
    std::vector<std::string> row;
    for (const auto& l : lines_of(out))
        if (l.rfind("node2 ", 0) == 0) {
            std::istringstream words(l);
            for (std::string w; words >> w;) row.push_back(w);
        }
    ASSERT_GE(row.size(), 10u) << out;
    // PEER STATE NFSD LAST-HEARD AGO INCARNATION SEQ GRACE SCOPE DROPS
    EXPECT_EQ(std::vector<std::string>(row.begin() + 4, row.begin() + 10),
              (std::vector<std::string>{"-", "7", "1", "node3", "same", "replay=-1"}))
        << out;
    for (const auto& v : odd_values()) EXPECT_NO_THROW(format_peers(v)) << v.dump();
}

}  // namespace
}  // namespace gha::ctl
