// ganesha-had: the per-node ganesha-ha daemon.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "monitors/heartbeat_codec.hpp"
#include "service/config.hpp"
#include "service/daemon.hpp"
#include "service/log.hpp"

namespace {

constexpr const char* kUsage =
    "usage: ganesha-had [--config PATH] [--node NAME] [--socket PATH] [--check-config]\n"
    "\n"
    "  --config PATH    ganesha-ha.conf (default /etc/ganesha/ganesha-ha.conf)\n"
    "  --node NAME      this node's name (overrides HA_NODE)\n"
    "  --socket PATH    control socket (overrides HA_CONTROL_SOCKET)\n"
    "  --check-config   validate the configuration and exit: 0 valid, 1 invalid\n"
    "  --version        print the version\n";

struct Options {
    std::string config = "/etc/ganesha/ganesha-ha.conf";
    gha::ConfigOverrides overrides;
    bool check_only = false;
};

// Returns -1 to go on, otherwise the exit code.
int parse_args(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&](std::string_view name) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "ganesha-had: %.*s needs a value\n%s", static_cast<int>(name.size()),
                             name.data(), kUsage);
                return nullptr;
            }
            return argv[++i];
        };
        if (arg == "--config") {
            auto v = value(arg);
            if (!v) return 2;
            options.config = v;
        } else if (arg == "--node") {
            auto v = value(arg);
            if (!v) return 2;
            options.overrides.node = v;
        } else if (arg == "--socket") {
            auto v = value(arg);
            if (!v) return 2;
            options.overrides.control_socket = v;
        } else if (arg == "--check-config") {
            options.check_only = true;
        } else if (arg == "--version") {
            std::printf("ganesha-had %s\n", GHA_VERSION);
            return 0;
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "ganesha-had: unknown option '%s'\n%s", argv[i], kUsage);
            return 2;
        }
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (int rc = parse_args(argc, argv, options); rc >= 0) return rc;
    gha::log::init("ganesha-had");

    gha::Config config;
    try {
        config = gha::load_config(options.config, options.overrides);
    } catch (const gha::ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    if (options.check_only) {
        for (const auto& warning : config.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
        if (config.heartbeat.enabled()) {
            try {
                gha::HeartbeatKey::from_file(config.heartbeat.key_file, config.heartbeat.key_derived);  // the checks start-up makes
            } catch (const gha::HeartbeatKeyError& e) {
                std::fprintf(stderr, "%s\n", e.what());
                return 1;
            }
        }
        std::printf("%s: valid (node %s, %zu nodes)\n", options.config.c_str(), config.node.c_str(),
                    config.cluster_nodes.size());
        return 0;
    }

    try {
        asio::io_context io(1);
        gha::Daemon daemon(io, std::move(config), options.overrides);
        daemon.start();
        io.run();
    } catch (const std::exception& e) {
        gha::log::error(std::string("cannot run: ") + e.what());
        return 1;
    }
    return 0;
}
