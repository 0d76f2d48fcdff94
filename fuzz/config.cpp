// ganesha-ha.conf: parse_config() must either return a Config or throw
// ConfigError (the daemon and ganesha-hactl catch only that one); anything
// else escaping is a finding. Parsed twice: as node n1 (the daemon's view)
// and for any node (ganesha-hactl cluster's view).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    gha::ConfigOverrides as_node;
    as_node.node = "n1";
    gha::ConfigOverrides any;
    any.any_node = true;
    for (const auto* overrides : {&as_node, &any}) {
        try {
            const gha::Config c = gha::parse_config(text, "fuzz.conf", *overrides);
            // What a valid file promises to the rest of the daemon.
            if (c.cluster_nodes.empty() || c.ha_name.empty()) std::abort();
            for (const auto& node : c.cluster_nodes)
                if (!c.vips.contains(node)) std::abort();
            for (const auto& [name, m] : c.monitors)
                if (m.interval.count() <= 0 || m.timeout.count() <= 0 || m.rise < 1 || m.fall < 1) std::abort();
            (void)c.nfsd_address.to_string();
            if (c.metrics_listen) (void)c.metrics_listen->to_string();
        } catch (const gha::ConfigError& e) {
            if (e.message().empty()) std::abort();
        }
    }
    return 0;
}
