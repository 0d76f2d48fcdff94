// The CIB (cibadmin -Q) that ganesha-hactl cluster setup and teardown plan
// their change against (ctl/cluster_command: plan_change). Anything an
// operator or another tool put in the CIB must neither crash the planner nor
// be lost: a setup planned on the result of a setup without conflicts is no
// change (setup is idempotent), and a teardown removes what the tag lists.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ctl/cluster_command.hpp"
#include "ctl/cluster_layout.hpp"
#include "ctl/xml_tree.hpp"

namespace {

gha::cluster::Layout layout() {
    gha::Config c;
    c.ha_name = "fuzz";
    c.cluster_nodes = {"node1", "node2", "3node"};
    c.vips = {{"node1", "10.0.0.1"}, {"node2", "10.0.0.2"}, {"3node", "fd00::3"}};
    return gha::cluster::build_layout(c, c.layout);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gha::cluster::Layout desired = layout();
    pugi::xml_document document;
    try {
        document = gha::xml::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const gha::xml::ParseError&) {
        return 0;
    }
    // Setup reads <configuration> out of <cib>; a bare <configuration> works too.
    const pugi::xml_node cib = document.document_element();
    const pugi::xml_node conf = std::string_view(cib.name()) == "configuration" ? cib : cib.child("configuration");
    if (!conf) return 0;

    const auto setup = gha::cluster::plan_change(conf, &desired);
    if (setup.conflicts.empty() && setup.dangling.empty()) {
        const auto again = gha::cluster::plan_change(setup.configuration, &desired);
        if (again.changed || !again.conflicts.empty()) std::abort();
        const auto teardown = gha::cluster::plan_change(setup.configuration, nullptr);
        if (!teardown.conflicts.empty()) std::abort();
    }
    (void)gha::cluster::plan_change(conf, nullptr);
    return 0;
}
