#include "ctl/peers_command.hpp"

#include <cstdio>
#include <ctime>

#include "monitors/heartbeat_codec.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;

constexpr const char* kKeygenUsage =
    "usage: ganesha-hactl keygen [--force] PATH\n"
    "  writes a new random peer heartbeat key (HA_HEARTBEAT_KEY) to PATH, mode 0600;\n"
    "  copy the same file to every node of the cluster. An existing file is only\n"
    "  replaced with --force (atomically: readers see the old key or the new one).\n";

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

std::string joined(const json& list) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : ",") + item.get<std::string>();
    return out.empty() ? "-" : out;
}

std::string drops_text(const json& drops) {
    std::string out;
    for (const auto& [reason, count] : drops.items())
        if (count.get<unsigned long long>() > 0) out += (out.empty() ? "" : " ") + reason + "=" + std::to_string(count.get<unsigned long long>());
    return out.empty() ? "-" : out;
}

}  // namespace

int keygen_main(const std::vector<std::string>& args) {
    bool force = false;
    std::string path;
    for (const auto& arg : args) {
        if (arg == "--force" || arg == "-f") {
            force = true;
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kKeygenUsage, stdout);
            return 0;
        } else if (!arg.empty() && arg[0] != '-' && path.empty()) {
            path = arg;
        } else {
            std::fprintf(stderr, "ganesha-hactl keygen: unexpected '%s'\n%s", arg.c_str(), kKeygenUsage);
            return 2;
        }
    }
    if (path.empty()) {
        std::fputs(kKeygenUsage, stderr);
        return 2;
    }
    try {
        HeartbeatKey::generate().save(path, force);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ganesha-hactl keygen: %s\n", e.what());
        return 1;
    }
    std::printf("wrote a new heartbeat key to %s (mode 0600); copy it to every node and set HA_HEARTBEAT_KEY=%s\n",
                path.c_str(), path.c_str());
    return 0;
}

void print_peers(const json& a) {
    if (!a.value("enabled", false)) {
        std::printf("peer heartbeats are off on %s (set HA_HEARTBEAT_KEY)\n", a.value("node", "").c_str());
        return;
    }
    const json& s = a["settings"];
    std::printf("node        %s on %s, incarnation %s, sequence %llu\n", a.value("node", "").c_str(),
                a.value("address", "").c_str(), a.value("incarnation", "").c_str(), a.value("sequence", 0ULL));
    std::printf("heartbeats  every %lld ms, rise %d, fall %d: a silent peer is down after %lld ms\n",
                s.value("interval_ms", 0LL), s.value("rise", 0), s.value("fall", 0), s.value("detection_bound_ms", 0LL));
    std::printf("we send     nfsd %s, grace held for %s\n", a["local"].value("nfsd", "").c_str(),
                joined(a["local"]["grace_held"]).c_str());
    std::printf("drops       %s\n", drops_text(a["drops"]).c_str());
    if (a.contains("last_bad_mac") && a["last_bad_mac"].is_object())
        std::printf("bad MAC     last from %s at %s (not charged to the peer it named)\n",
                    a["last_bad_mac"].value("source", "").c_str(),
                    clock_time(a["last_bad_mac"].value("at", 0.0)).c_str());
    if (a.contains("server_scope_fingerprint")) {
        const std::string problem = a.value("server_scope_problem", "");
        if (a["server_scope"].is_string())
            std::printf("scope       \"%s\" (fingerprint %s, from %s)\n", a["server_scope"].get<std::string>().c_str(),
                        a.value("server_scope_fingerprint", "").c_str(), a.value("ganesha_conf", "").c_str());
        else
            std::printf("scope       unknown: %s\n", problem.c_str());
    }
    std::printf("\n%-14s %-7s %-8s %-12s %-8s %-18s %-8s %-12s %-9s %-16s %s\n", "PEER", "STATE", "NFSD", "LAST HEARD",
                "AGO", "INCARNATION", "SEQ", "GRACE HELD", "SCOPE", "DROPS", "ADDRESS / WHY");
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
        std::printf("%-14s %-7s %-8s %-12s %-8s %-18s %-8llu %-12s %-9s %-16s %s (%s)\n", p.value("node", "").c_str(),
                    p.value("state", "").c_str(), p.value("nfsd", "").c_str(),
                    clock_time(p.value("last_heard", 0.0)).c_str(), ago.c_str(), incarnation.c_str(),
                    p.value("sequence", 0ULL), joined(p["grace_held"]).c_str(), scope.c_str(),
                    drops_text(p["drops"]).c_str(),
                    address.c_str(), p.value("why", "").c_str());
    }
}

}  // namespace gha::ctl
