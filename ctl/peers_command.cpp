#include "ctl/peers_command.hpp"

#include <cstdio>

#include "monitors/heartbeat_codec.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;

constexpr const char* kKeygenUsage =
    "usage: ganesha-hactl keygen [--force] PATH\n"
    "  writes a new random peer heartbeat key (HA_HEARTBEAT_KEY) to PATH, mode 0600;\n"
    "  copy the same file to every node of the cluster. An existing file is only\n"
    "  replaced with --force (atomically: readers see the old key or the new one).\n";

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

void print_peers(const json& a) { std::fputs(format_peers(a).c_str(), stdout); }

}  // namespace gha::ctl
