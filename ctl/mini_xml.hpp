// A small XML reader and writer for what ganesha-hactl cluster reads and
// writes: Pacemaker's CIB (cibadmin -Q), crm_mon --output-as=xml and
// crm_simulate's transition graphs. Machine-written, well-formed documents
// only: elements, attributes, character data, comments, CDATA, the five
// predefined entities and character references. No DTDs (a DOCTYPE is
// skipped), no namespaces beyond keeping "a:b" names as they are, no external
// anything. Malformed input raises ParseError; nothing is ever fetched.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gha::xml {

class ParseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Element {
    // "#comment" for a comment (its text is the comment body).
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;  // document order
    std::vector<Element> children;                                // elements and comments
    std::string text;  // character data directly inside, concatenated

    bool is_comment() const { return name == "#comment"; }
    const std::string* attribute(std::string_view key) const;
    // The attribute's value, or `fallback` when it is absent.
    std::string get(std::string_view key, std::string_view fallback = {}) const;
    bool has(std::string_view key) const { return attribute(key) != nullptr; }
    void set(std::string_view key, std::string value);
    void erase(std::string_view key);
    // First child element with that name, or null.
    const Element* child(std::string_view child_name) const;
    Element* child(std::string_view child_name);
    std::vector<const Element*> children_named(std::string_view child_name) const;
    // Depth-first, this element included; comments are skipped.
    void visit(const std::function<void(const Element&)>& fn) const;
};

// Throws ParseError ("line N: ...") for anything that is not a well-formed
// document with one root element. Nesting deeper than 512 is refused.
Element parse(std::string_view text);

// For attribute values and character data: & < > " ' as entities, and
// control characters other than tab, LF and CR as character references
// (which XML 1.0 forbids anyway, so they cannot come from a valid CIB).
std::string escape(std::string_view text);

// Indented by two spaces per level (pretty) or on one line.
std::string to_string(const Element& element, bool pretty = true);

// Same name, same attributes (in any order), same text once trimmed, and
// equivalent children in the same order; comments are ignored.
bool equivalent(const Element& a, const Element& b);

}  // namespace gha::xml
