// What ganesha-hactl cluster needs on top of pugixml for the XML Pacemaker's
// tools print and read: the CIB (cibadmin -Q), crm_mon --output-as=xml,
// crmadmin, and crm_simulate's transition graphs. pugixml reads and writes
// the documents; this adds the rules a Pacemaker document must meet (one
// root element, no text around it, no attribute twice, bounded nesting),
// errors with a line number, and the comparison the CIB diff is built on.
//
// pugixml keeps comments (parse_comments), skips a DOCTYPE, expands the five
// predefined entities and character references, fetches nothing, and leaves
// any other entity reference as the text it is ("&bogus;" stays "&bogus;").
#pragma once

#include <pugixml.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gha::xml {

class ParseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws ParseError ("line N: ...") for anything that is not a well-formed
// document with one root element. Nesting deeper than 512 is refused (the
// functions below recurse).
pugi::xml_document parse(std::string_view text);

// `node` itself, or its root element when it is a document (so that a
// document can be passed where its root element is meant).
pugi::xml_node element_of(pugi::xml_node node);

// The attribute's value, or "" when it is absent.
std::string get(pugi::xml_node node, const char* key);
bool has(pugi::xml_node node, const char* key);
void set(pugi::xml_node node, const char* key, const std::string& value);

// Child elements in document order (comments and text left out).
std::vector<pugi::xml_node> elements(pugi::xml_node parent);

// Depth-first over elements, `node` included.
template <typename Fn>
void visit(pugi::xml_node node, Fn&& fn) {
    if (node.type() != pugi::node_element) return;
    fn(node);
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) visit(c, fn);
}

// For attribute values and character data in XML built as text: & < > " '
// as entities, and control characters other than tab, LF and CR as
// character references (which XML 1.0 forbids anyway).
std::string escape(std::string_view text);

// Indented by two spaces per level (pretty) or on one line.
std::string to_string(pugi::xml_node node, bool pretty = true);

// Same name, same attributes (in any order), same text once trimmed, and
// equivalent child elements in the same order; comments are ignored.
bool equivalent(pugi::xml_node a, pugi::xml_node b);

// Puts node's attributes in like's order (those like lacks last), and so on
// down the children that match (same id; or same name and place). A
// replaced CIB element then serialises as Pacemaker's patch leaves it
// (a patch's "modify" keeps the order it finds), so the digest matches.
void follow_attribute_order(pugi::xml_node node, pugi::xml_node like);

}  // namespace gha::xml
