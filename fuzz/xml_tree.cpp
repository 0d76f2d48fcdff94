// XML as Pacemaker's tools print it (ctl/xml_tree over pugixml): cibadmin
// -Q, crm_mon --output-as=xml, crm_simulate. parse() returns a document or
// throws ParseError; what it returns must print (pretty and on one line) as
// XML that parses back to an equivalent tree, since setup writes the CIB it
// read back through cibadmin/crm_diff.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ctl/xml_tree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    pugi::xml_document document;
    try {
        document = gha::xml::parse(text);
    } catch (const gha::xml::ParseError&) {
        return 0;
    }
    const pugi::xml_node root = document.document_element();
    if (!gha::xml::equivalent(root, root)) std::abort();
    for (const bool pretty : {true, false}) {
        const std::string printed = gha::xml::to_string(root, pretty);
        pugi::xml_document back;
        try {
            back = gha::xml::parse(printed);
        } catch (const gha::xml::ParseError&) {
            std::abort();  // we printed something we cannot read
        }
        if (!gha::xml::equivalent(root, back)) std::abort();
    }
    std::size_t elements = 0;
    gha::xml::visit(root, [&](pugi::xml_node) { ++elements; });
    if (elements == 0) std::abort();
    return 0;
}
