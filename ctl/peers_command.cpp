#include "ctl/peers_command.hpp"

#include <cstdio>

#include "monitors/heartbeat_codec.hpp"

namespace gha::ctl {

int keygen_main(const std::string& path, bool force) {
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

void print_peers(const nlohmann::json& a) { std::fputs(format_peers(a).c_str(), stdout); }

}  // namespace gha::ctl
