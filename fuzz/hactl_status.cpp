// ganesha-hactl status: the daemon's answer printed as the operators' table
// and as the --field lines the OCF agents read (ctl/status_output); and the
// same input as the answers of events, peers, actions and list-commands. The
// answer comes from a daemon of any version, so any JSON must print, never
// throw (nlohmann's type_error would abort ganesha-hactl).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ctl/peers_table.hpp"
#include "ctl/pipeline_output.hpp"
#include "ctl/status_output.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return 0;
    (void)gha::ctl::format_status(json);
    (void)gha::ctl::format_wall_time(json);
    (void)gha::ctl::format_events(json);
    (void)gha::ctl::format_peers(json);
    (void)gha::ctl::format_age(json);
    (void)gha::ctl::format_pipeline(json);
    (void)gha::ctl::pipeline_finished(json);
    (void)gha::ctl::format_commands(json);
    for (const char* field : {"cluster_nodes", "vips", "node", "monitors", "health", "peers", "nfsd", "x"}) {
        std::string out, problem;
        if (!gha::ctl::format_status_field(json, field, out, problem) && problem.empty()) std::abort();
    }
    if (json.is_object())
        for (const auto& [key, value] : json.items()) {
            std::string out, problem;
            (void)gha::ctl::format_status_field(json, key, out, problem);
        }
    return 0;
}
