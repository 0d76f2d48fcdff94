// crm_mon --output-as=xml -1 -A, as ganesha-hactl cluster status reads it
// (ctl/cluster_command: evaluate_status). Pacemaker's output of another
// version may lack or reshape anything: the verdict must come out, never an
// exception other than the XML's ParseError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ctl/cluster_command.hpp"
#include "ctl/xml_tree.hpp"

namespace {

gha::Config three_nodes() {
    gha::Config c;
    c.ha_name = "fuzz";
    c.cluster_nodes = {"node1", "node2", "node3"};
    c.vips = {{"node1", "10.0.0.1"}, {"node2", "10.0.0.2"}, {"node3", "fd00::3"}};
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gha::Config config = three_nodes();
    pugi::xml_document root;
    try {
        root = gha::xml::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const gha::xml::ParseError&) {
        return 0;
    }
    const auto status = gha::cluster::evaluate_status(config, root);
    if (status.verdict != "HEALTHY" && status.verdict != "FAILOVER" && status.verdict != "BAD") std::abort();
    if (status.nodes.size() != config.cluster_nodes.size()) std::abort();
    if (status.verdict == "HEALTHY" && !status.reasons.empty()) std::abort();
    return 0;
}
