#include "ctl/peers_table.hpp"

#include <cstdio>
#include <map>
#include <vector>

#include "ctl/json_fields.hpp"
#include "ctl/status_output.hpp"
#include "ctl/text_table.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;

// Names shown in a GRACE HELD cell and in the summary line before "and N more".
constexpr std::size_t kGraceShown = 3;
constexpr std::size_t kNamesShown = 8;

// The time of day with milliseconds: the date is today's (heartbeats come
// every interval_ms), the AGO column says how long ago.
std::string clock_time(const json& seconds) {
    const std::string full = format_wall_time(seconds);  // "YYYY-MM-DD HH:MM:SS.mmm +zzzz"
    const auto space = full.find(' ');
    if (space == std::string::npos) return full;
    return full.substr(space + 1, full.find(' ', space + 1) - space - 1);
}

// "a,b,c" or "a,b,c +4" beyond `shown`; "-" for none.
std::string joined(const json& list, std::size_t shown) {
    const auto all = strings(list);
    if (all.empty()) return "-";
    std::string out;
    for (std::size_t i = 0; i < all.size() && i < shown; ++i) out += (i ? "," : "") + all[i];
    if (all.size() > shown) out += " +" + std::to_string(all.size() - shown);
    return out;
}

std::string drops_text(const json& drops) {
    std::string out;
    if (drops.is_object())
        for (const auto& [reason, count] : drops.items()) {
            long long n = 0;
            if (!integer(count, n) || n == 0) continue;
            out += (out.empty() ? "" : " ") + reason + "=" + std::to_string(n);
        }
    return out.empty() ? "-" : out;
}

// A string member, "" when it is absent or not a string.
std::string str(const json& object, const char* key) {
    const json& v = member(object, key);
    return v.is_string() ? v.get<std::string>() : std::string();
}

bool flag(const json& object, const char* key) {
    const json& v = member(object, key);
    return v.is_boolean() && v.get<bool>();
}

std::string whole(const json& value) {
    long long n = 0;
    return integer(value, n) ? std::to_string(n) : "-";
}

}  // namespace

std::string format_age(const json& ms) {
    if (ms.is_null()) return "never";
    double v = 0;
    if (!number(ms, v) || v < 0) return "-";
    const double s = v / 1000.0;
    char buffer[48];
    if (s < 60) std::snprintf(buffer, sizeof buffer, "%.1f s ago", s);
    else if (s < 3600) std::snprintf(buffer, sizeof buffer, "%.0f min ago", s / 60);
    else if (s < 48 * 3600) std::snprintf(buffer, sizeof buffer, "%.1f h ago", s / 3600);
    else if (s < 1e12) std::snprintf(buffer, sizeof buffer, "%.0f d ago", s / 86400);
    else return "-";
    return buffer;
}

std::string format_peers(const json& a) {
    if (!flag(a, "enabled")) return "peer heartbeats are off on " + text(member(a, "node")) + " (set HA_HEARTBEAT_KEY)\n";
    const json& s = member(a, "settings");
    const json& local = member(a, "local");
    std::string out;
    out += "node        " + text(member(a, "node")) + " on " + text(member(a, "address")) + ", incarnation " +
           text(member(a, "incarnation")) + ", sequence " + whole(member(a, "sequence")) + "\n";
    out += "heartbeats  every " + whole(member(s, "interval_ms")) + " ms, rise " + whole(member(s, "rise")) +
           ", fall " + whole(member(s, "fall")) + ": a silent peer is down after " +
           whole(member(s, "detection_bound_ms")) + " ms\n";
    const auto held = strings(member(local, "grace_held"));
    out += "we send     nfsd " + text(member(local, "nfsd")) + ", grace held for " +
           (held.empty() ? std::string("-") : some_of(held, kNamesShown)) + "\n";
    out += "drops       " + drops_text(member(a, "drops")) + "\n";
    const json& bad_mac = member(a, "last_bad_mac");
    if (bad_mac.is_object())
        out += "bad MAC     last from " + text(member(bad_mac, "source")) + " at " +
               format_wall_time(member(bad_mac, "at")) + " (not charged to the peer it named)\n";
    if (a.is_object() && a.contains("server_scope_fingerprint")) {
        if (member(a, "server_scope").is_string())
            out += "scope       \"" + str(a, "server_scope") + "\" (fingerprint " +
                   text(member(a, "server_scope_fingerprint")) + ", from " + text(member(a, "ganesha_conf")) + ")\n";
        else
            out += "scope       unknown: " + text(member(a, "server_scope_problem")) + "\n";
    }

    // One line for the whole cluster: how many peers in each state, and
    // which ones are not up (what an operator looks for among 63 rows).
    const json& peers = member(a, "peers").is_array() ? member(a, "peers") : json::array();
    std::map<std::string, std::vector<std::string>> by_state;
    std::vector<std::string> scope_differs;
    for (const auto& p : peers) {
        by_state[str(p, "state")].push_back(text(member(p, "node")));
        if (flag(p, "server_scope_mismatch")) scope_differs.push_back(text(member(p, "node")));
    }
    std::string summary = "peers       " + std::to_string(peers.size()) + ": " + std::to_string(by_state["up"].size()) +
                          " up";
    for (const char* state : {"down", "unknown"}) {
        const auto& list = by_state[state];
        summary += ", " + std::to_string(list.size()) + " " + state;
        if (!list.empty()) summary += " (" + some_of(list, kNamesShown) + ")";
    }
    if (!scope_differs.empty()) summary += "; server scope DIFFERS (or unknown) on " + some_of(scope_differs, kNamesShown);
    out += summary + "\n\n";

    std::vector<std::vector<std::string>> rows = {{"PEER", "STATE", "NFSD", "LAST HEARD", "AGO", "INCARNATION", "SEQ",
                                                   "GRACE HELD", "SCOPE", "DROPS", "ADDRESS / WHY"}};
    for (const auto& p : peers) {
        std::string address = str(p, "address");
        if (address.empty()) address = "unresolved: " + text(member(p, "address_error"));
        if (!str(p, "wrong_source").empty()) address += ", last wrong source " + str(p, "wrong_source");
        // "same", "DIFFERS" (or unknown on either side), "-" not heard yet.
        const std::string scope = member(p, "server_scope_fingerprint").is_null() ? "-"
                                  : flag(p, "server_scope_mismatch")               ? "DIFFERS"
                                                                                   : "same";
        rows.push_back({text(member(p, "node")), text(member(p, "state")), text(member(p, "nfsd")),
                        clock_time(member(p, "last_heard")), format_age(member(p, "last_heard_ago_ms")),
                        text(member(p, "incarnation")), whole(member(p, "sequence")),
                        joined(member(p, "grace_held"), kGraceShown), scope, drops_text(member(p, "drops")),
                        address + " (" + text(member(p, "why")) + ")"});
    }
    return out + text_table(rows);
}

}  // namespace gha::ctl
