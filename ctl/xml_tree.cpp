#include "ctl/xml_tree.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace gha::xml {
namespace {

constexpr std::size_t kMaxDepth = 512;

std::size_t line_of(std::string_view text, std::ptrdiff_t offset) {
    const auto end = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(offset, 0, static_cast<std::ptrdiff_t>(text.size())));
    return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view blanks = " \t\r\n";
    const auto first = s.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

// Text as compared: no Pacemaker document gives its text a meaning, and
// where text and elements mix, printing (indented or not) and reading back
// moves blanks between the pieces (found by fuzz/xml_tree): blanks do not
// count, anywhere in it.
std::string without_blanks(std::string_view text) {
    std::string out;
    for (const char c : text)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out += c;
    return out;
}

// Character data directly inside (text and CDATA sections), concatenated.
std::string text_of(pugi::xml_node node) {
    std::string out;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
    return out;
}

// What pugixml lets through and a Pacemaker document must not have: deep
// nesting (the recursive functions here), an attribute twice. Iterative:
// the depth is not known to be bounded yet.
// Also a carriage return in text, which only a character reference (&#13;)
// can bring: pugixml prints it raw and every XML reader (cibadmin's libxml2,
// pugixml) reads a raw CR back as a line feed (XML 1.0, 2.11), so what we
// wrote would not read back the same; it becomes the line feed here, once.
void check_tree(pugi::xml_node root) {
    std::size_t depth = 1;
    pugi::xml_node n = root;
    while (n) {
        if (n.type() == pugi::node_pcdata && std::string_view(n.value()).find('\r') != std::string_view::npos) {
            std::string text = n.value();
            std::replace(text.begin(), text.end(), '\r', '\n');
            n.set_value(text.c_str());
        }
        if (n.type() == pugi::node_element) {
            if (depth > kMaxDepth) throw ParseError("elements nested deeper than " + std::to_string(kMaxDepth));
            std::set<std::string_view> seen;
            for (const auto& a : n.attributes())
                if (!seen.insert(a.name()).second)
                    throw ParseError(std::string("attribute '") + a.name() + "' twice in <" + n.name() + ">");
        }
        if (n.first_child()) {
            n = n.first_child();
            ++depth;
            continue;
        }
        while (n && n != root && !n.next_sibling()) {
            n = n.parent();
            --depth;
        }
        if (!n || n == root) break;
        n = n.next_sibling();
    }
}

// XML 1.0 allows no control character but tab, line feed and carriage
// return, neither literally nor as a character reference; libxml2 (so every
// Pacemaker tool) refuses both. pugixml takes them, and a NUL from "&#0;"
// silently cuts the text it is in (found by fuzz/xml_tree): refused here,
// naming the line.
bool allowed_char(unsigned long c) {
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0x10FFFF);
}

void check_characters(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 && !allowed_char(byte)) {
            char code[8];
            std::snprintf(code, sizeof code, "%02X", byte);
            throw ParseError("line " + std::to_string(line_of(text, static_cast<std::ptrdiff_t>(i))) +
                             ": control character U+00" + code + " (not allowed in XML)");
        }
        if (byte != '&' || i + 2 >= text.size() || text[i + 1] != '#') continue;
        const bool hex = text[i + 2] == 'x';
        std::size_t j = i + (hex ? 3 : 2);
        unsigned long value = 0;
        bool digits = false;
        for (; j < text.size(); ++j) {  // leading zeros are allowed, any number of them
            const char c = text[j];
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            if (d < 0) break;
            value = std::min<unsigned long>(value * (hex ? 16 : 10) + static_cast<unsigned long>(d), 0x110000);
            digits = true;
        }
        if (digits && j < text.size() && text[j] == ';' && !allowed_char(value))
            throw ParseError("line " + std::to_string(line_of(text, static_cast<std::ptrdiff_t>(i))) + ": " +
                             std::string(text.substr(i, j + 1 - i)) + " refers to a character XML does not allow");
    }
}

}  // namespace

pugi::xml_document parse(std::string_view text) {
    check_characters(text);
    pugi::xml_document doc;
    // parse_fragment: text around the root element is kept, to be refused
    // below (a document parse drops it silently).
    const auto result = doc.load_buffer(text.data(), text.size(),
                                        pugi::parse_default | pugi::parse_comments | pugi::parse_fragment,
                                        pugi::encoding_utf8);
    if (!result)
        throw ParseError("line " + std::to_string(line_of(text, result.offset)) + ": " + result.description());
    std::size_t roots = 0;
    for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element) ++roots;
        if ((c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) && !trim(c.value()).empty())
            throw ParseError("text outside the root element: '" + std::string(trim(c.value()).substr(0, 32)) + "'");
    }
    if (roots != 1) throw ParseError(roots == 0 ? "no root element" : "more than one root element");
    check_tree(doc.document_element());
    return doc;
}

pugi::xml_node element_of(pugi::xml_node node) {
    if (node.type() != pugi::node_document) return node;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element) return c;
    return {};
}

std::string get(pugi::xml_node node, const char* key) { return node.attribute(key).value(); }

bool has(pugi::xml_node node, const char* key) { return static_cast<bool>(node.attribute(key)); }

void set(pugi::xml_node node, const char* key, const std::string& value) {
    pugi::xml_attribute a = node.attribute(key);
    if (!a) a = node.append_attribute(key);
    a.set_value(value.c_str());
}

std::vector<pugi::xml_node> elements(pugi::xml_node parent) {
    std::vector<pugi::xml_node> out;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element) out.push_back(c);
    return out;
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // No XML document may hold these, not even as a reference
                // (check_characters): U+FFFD, the replacement character.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                    out += "\xEF\xBF\xBD";
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string to_string(pugi::xml_node node, bool pretty) {
    std::ostringstream out;
    node.print(out, "  ", pretty ? pugi::format_indent : pugi::format_raw, pugi::encoding_utf8);
    return out.str();
}

bool equivalent(pugi::xml_node a, pugi::xml_node b) {
    a = element_of(a);
    b = element_of(b);
    if (std::string_view(a.name()) != b.name()) return false;
    std::size_t count = 0;
    for (const auto& attr : a.attributes()) {
        const pugi::xml_attribute other = b.attribute(attr.name());
        if (!other || std::string_view(attr.value()) != other.value()) return false;
        ++count;
    }
    if (count != static_cast<std::size_t>(std::distance(b.attributes_begin(), b.attributes_end()))) return false;
    if (without_blanks(text_of(a)) != without_blanks(text_of(b))) return false;
    const auto ac = elements(a), bc = elements(b);
    if (ac.size() != bc.size()) return false;
    for (std::size_t i = 0; i < ac.size(); ++i)
        if (!equivalent(ac[i], bc[i])) return false;
    return true;
}

void follow_attribute_order(pugi::xml_node node, pugi::xml_node like) {
    node = element_of(node);
    like = element_of(like);
    // Rewrite the attributes: like's order first, then node's others.
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const auto& a : like.attributes())
        if (const pugi::xml_attribute mine = node.attribute(a.name())) ordered.emplace_back(a.name(), mine.value());
    for (const auto& a : node.attributes())
        if (!like.attribute(a.name())) ordered.emplace_back(a.name(), a.value());
    node.remove_attributes();
    for (const auto& [k, v] : ordered) node.append_attribute(k.c_str()).set_value(v.c_str());
    // Children: the same id, or else the same name at the same place among
    // the id-less children of that name.
    std::map<std::string, std::size_t> seen;
    for (const pugi::xml_node child : elements(node)) {
        pugi::xml_node match;
        if (has(child, "id")) {
            for (const pugi::xml_node c : elements(like))
                if (std::string_view(c.name()) == child.name() && get(c, "id") == get(child, "id")) match = c;
        } else {
            std::size_t index = seen[child.name()]++, at = 0;
            for (const pugi::xml_node c : elements(like))
                if (std::string_view(c.name()) == child.name() && !has(c, "id") && at++ == index) match = c;
        }
        if (match) follow_attribute_order(child, match);
    }
}

}  // namespace gha::xml
