#include "tests/support/cib_file.hpp"

#include <algorithm>
#include <cctype>

#include "ctl/xml_tree.hpp"

namespace gha::lab {

std::string full_cib(const std::string& configuration, const std::vector<std::string>& nodes, bool online) {
    pugi::xml_document document = xml::parse("<cib validate-with=\"pacemaker-3.9\" epoch=\"1\" num_updates=\"0\" "
                                              "admin_epoch=\"0\" have-quorum=\"1\" crm_feature_set=\"3.16.1\">"
                                              "<status/></cib>");
    pugi::xml_node cib = document.document_element();
    pugi::xml_node conf = cib.prepend_copy(xml::parse(configuration).document_element());
    pugi::xml_node props = conf.child("crm_config");
    props.prepend_copy(xml::parse("<cluster_property_set id=\"cib-bootstrap-options\"><nvpair "
                                  "id=\"opt-stonith\" name=\"stonith-enabled\" value=\"false\"/>"
                                  "</cluster_property_set>")
                           .document_element());
    pugi::xml_node node_list = conf.insert_child_after("nodes", props);
    for (std::size_t i = 0; i < nodes.size(); ++i)
        node_list.append_copy(
            xml::parse("<node id=\"" + std::to_string(i + 1) + "\" uname=\"" + xml::escape(nodes[i]) + "\"/>")
                .document_element());
    if (online) {
        pugi::xml_node status = cib.child("status");
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const std::string id = std::to_string(i + 1), set = "status-" + id;
            std::string attributes;
            for (const char* name : {"ganesha-active", "grace-active"})
                attributes += "<nvpair id=\"" + set + "-" + name + "\" name=\"" + name + "\" value=\"1\"/>";
            status.append_copy(xml::parse("<node_state id=\"" + id + "\" uname=\"" + xml::escape(nodes[i]) +
                                          "\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\">"
                                          "<transient_attributes id=\"" + id + "\"><instance_attributes id=\"" + set +
                                          "\">" + attributes + "</instance_attributes></transient_attributes></node_state>")
                                   .document_element());
        }
    }
    return xml::to_string(cib);
}

bool crm_simulate_quiet(const std::string& out) {
    const auto summary = out.find("Transition Summary:"), executing = out.find("Executing Cluster Transition:"),
               revised = out.find("Revised Cluster Status:");
    auto blank = [&](std::size_t from, std::size_t to) {
        if (from == std::string::npos) return true;
        for (std::size_t i = out.find('\n', from); i < std::min(to, out.size()); ++i)
            if (!std::isspace(static_cast<unsigned char>(out[i]))) return false;
        return true;
    };
    return blank(summary, executing) && blank(executing, revised);
}

}  // namespace gha::lab
