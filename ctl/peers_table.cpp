#include "ctl/peers_table.hpp"

#include <cstdio>
#include <ctime>
#include <map>
#include <vector>

#include "ctl/text_table.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;

// Names shown in a GRACE HELD cell and in the summary line before "and N more".
constexpr std::size_t kGraceShown = 3;
constexpr std::size_t kNamesShown = 8;

std::string clock_time(double seconds) {
    if (seconds <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%T", &tm);
    char with_ms[40];
    std::snprintf(with_ms, sizeof with_ms, "%s.%03d", buffer, static_cast<int>((seconds - static_cast<double>(t)) * 1000));
    return with_ms;
}

std::vector<std::string> names(const json& list) {
    std::vector<std::string> out;
    for (const auto& item : list) out.push_back(item.get<std::string>());
    return out;
}

// "a,b,c" or "a,b,c +4" beyond `shown`; "-" for none.
std::string joined(const json& list, std::size_t shown) {
    const auto all = names(list);
    if (all.empty()) return "-";
    std::string out;
    for (std::size_t i = 0; i < all.size() && i < shown; ++i) out += (i ? "," : "") + all[i];
    if (all.size() > shown) out += " +" + std::to_string(all.size() - shown);
    return out;
}

std::string drops_text(const json& drops) {
    std::string out;
    for (const auto& [reason, count] : drops.items())
        if (count.get<unsigned long long>() > 0)
            out += (out.empty() ? "" : " ") + reason + "=" + std::to_string(count.get<unsigned long long>());
    return out.empty() ? "-" : out;
}

}  // namespace

std::string format_peers(const json& a) {
    if (!a.value("enabled", false))
        return "peer heartbeats are off on " + a.value("node", "") + " (set HA_HEARTBEAT_KEY)\n";
    const json& s = a["settings"];
    std::string out;
    out += "node        " + a.value("node", "") + " on " + a.value("address", "") + ", incarnation " +
           a.value("incarnation", "") + ", sequence " + std::to_string(a.value("sequence", 0ULL)) + "\n";
    out += "heartbeats  every " + std::to_string(s.value("interval_ms", 0LL)) + " ms, rise " +
           std::to_string(s.value("rise", 0)) + ", fall " + std::to_string(s.value("fall", 0)) +
           ": a silent peer is down after " + std::to_string(s.value("detection_bound_ms", 0LL)) + " ms\n";
    const auto held = names(a["local"]["grace_held"]);
    out += "we send     nfsd " + a["local"].value("nfsd", "") + ", grace held for " +
           (held.empty() ? std::string("-") : some_of(held, kNamesShown)) + "\n";
    out += "drops       " + drops_text(a["drops"]) + "\n";
    if (a.contains("last_bad_mac") && a["last_bad_mac"].is_object())
        out += "bad MAC     last from " + a["last_bad_mac"].value("source", "") + " at " +
               clock_time(a["last_bad_mac"].value("at", 0.0)) + " (not charged to the peer it named)\n";
    if (a.contains("server_scope_fingerprint")) {
        if (a["server_scope"].is_string())
            out += "scope       \"" + a["server_scope"].get<std::string>() + "\" (fingerprint " +
                   a.value("server_scope_fingerprint", "") + ", from " + a.value("ganesha_conf", "") + ")\n";
        else
            out += "scope       unknown: " + a.value("server_scope_problem", "") + "\n";
    }

    // One line for the whole cluster: how many peers in each state, and
    // which ones are not up (what an operator looks for among 63 rows).
    std::map<std::string, std::vector<std::string>> by_state;
    std::vector<std::string> scope_differs;
    for (const auto& p : a["peers"]) {
        by_state[p.value("state", "")].push_back(p.value("node", ""));
        if (p.value("server_scope_mismatch", false)) scope_differs.push_back(p.value("node", ""));
    }
    std::string summary = "peers       " + std::to_string(a["peers"].size()) + ": " +
                          std::to_string(by_state["up"].size()) + " up";
    for (const char* state : {"down", "unknown"}) {
        const auto& list = by_state[state];
        summary += ", " + std::to_string(list.size()) + " " + state;
        if (!list.empty()) summary += " (" + some_of(list, kNamesShown) + ")";
    }
    if (!scope_differs.empty()) summary += "; server scope DIFFERS (or unknown) on " + some_of(scope_differs, kNamesShown);
    out += summary + "\n\n";

    std::vector<std::vector<std::string>> rows = {{"PEER", "STATE", "NFSD", "LAST HEARD", "AGO", "INCARNATION", "SEQ",
                                                   "GRACE HELD", "SCOPE", "DROPS", "ADDRESS / WHY"}};
    for (const auto& p : a["peers"]) {
        const std::string ago =
            p["last_heard_ago_ms"].is_null() ? "never" : std::to_string(p["last_heard_ago_ms"].get<long long>()) + "ms";
        const std::string incarnation = p["incarnation"].is_null() ? "-" : p["incarnation"].get<std::string>();
        std::string address = p.value("address", "");
        if (address.empty()) address = "unresolved: " + p.value("address_error", "");
        if (!p.value("wrong_source", "").empty()) address += ", last wrong source " + p.value("wrong_source", "");
        // "same", "DIFFERS" (or unknown on either side), "-" not heard yet.
        const std::string scope = p["server_scope_fingerprint"].is_null() ? "-"
                                  : p.value("server_scope_mismatch", false) ? "DIFFERS"
                                                                            : "same";
        rows.push_back({p.value("node", ""), p.value("state", ""), p.value("nfsd", ""),
                        clock_time(p.value("last_heard", 0.0)), ago, incarnation,
                        std::to_string(p.value("sequence", 0ULL)), joined(p["grace_held"], kGraceShown), scope,
                        drops_text(p["drops"]), address + " (" + p.value("why", "") + ")"});
    }
    return out + text_table(rows);
}

}  // namespace gha::ctl
