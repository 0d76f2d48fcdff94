#include "ctl/mini_xml.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace gha::xml {
namespace {

constexpr std::size_t kMaxDepth = 512;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_char(char c) {
    return !is_space(c) && c != '/' && c != '>' && c != '=' && c != '<' && c != '"' && c != '\'' &&
           c != '?' && c != '!';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    Element parse() {
        if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
        std::vector<Element> stack;  // open elements; back() is the innermost
        bool have_root = false;
        Element root;
        while (pos_ < s_.size()) {
            if (s_[pos_] != '<') {
                const std::size_t end = std::min(s_.find('<', pos_), s_.size());
                const std::string_view raw = s_.substr(pos_, end - pos_);
                if (stack.empty()) {
                    if (!trim(raw).empty()) fail("text outside the root element");
                } else {
                    stack.back().text += decode(raw);
                }
                pos_ = end;
                continue;
            }
            const std::string_view rest = s_.substr(pos_);
            if (rest.starts_with("<?")) {
                skip_past("?>");
            } else if (rest.starts_with("<!--")) {
                const std::size_t start = pos_ + 4;
                skip_past("-->");
                if (!stack.empty()) {
                    Element comment;
                    comment.name = "#comment";
                    comment.text = std::string(s_.substr(start, pos_ - 3 - start));
                    stack.back().children.push_back(std::move(comment));
                }
            } else if (rest.starts_with("<![CDATA[")) {
                if (stack.empty()) fail("CDATA outside the root element");
                const std::size_t start = pos_ + 9;
                skip_past("]]>");
                stack.back().text += std::string(s_.substr(start, pos_ - 3 - start));
            } else if (rest.starts_with("<!DOCTYPE")) {
                if (have_root || !stack.empty()) fail("DOCTYPE after the root element");
                skip_doctype();
            } else if (rest.starts_with("</")) {
                pos_ += 2;
                const std::string name = read_name();
                skip_space();
                expect('>');
                if (stack.empty() || stack.back().name != name) fail("unexpected </" + name + ">");
                Element done = std::move(stack.back());
                stack.pop_back();
                if (stack.empty()) {
                    root = std::move(done);
                    have_root = true;
                } else {
                    stack.back().children.push_back(std::move(done));
                }
            } else {
                if (have_root && stack.empty()) fail("a second root element");
                ++pos_;
                Element element;
                element.name = read_name();
                const bool closed = read_attributes(element);
                if (closed) {
                    if (stack.empty()) {
                        root = std::move(element);
                        have_root = true;
                    } else {
                        stack.back().children.push_back(std::move(element));
                    }
                } else {
                    if (stack.size() >= kMaxDepth) fail("elements nested too deeply");
                    stack.push_back(std::move(element));
                }
            }
        }
        if (!stack.empty()) fail("<" + stack.back().name + "> is not closed");
        if (!have_root) fail("no root element");
        return root;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        const auto line = 1 + std::count(s_.begin(), s_.begin() + static_cast<std::ptrdiff_t>(std::min(pos_, s_.size())), '\n');
        throw ParseError("line " + std::to_string(line) + ": " + what);
    }

    void skip_space() {
        while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    }

    void expect(char c) {
        if (pos_ >= s_.size() || s_[pos_] != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }

    void skip_past(std::string_view end) {
        const std::size_t at = s_.find(end, pos_);
        if (at == std::string_view::npos) fail("unterminated markup (no '" + std::string(end) + "')");
        pos_ = at + end.size();
    }

    // <!DOCTYPE name [ internal subset ]>: skipped, brackets balanced.
    void skip_doctype() {
        int depth = 0;
        for (; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (c == '[') ++depth;
            if (c == ']') --depth;
            if (c == '>' && depth <= 0) {
                ++pos_;
                return;
            }
        }
        fail("unterminated DOCTYPE");
    }

    std::string read_name() {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
        if (pos_ == start) fail("expected a name");
        return std::string(s_.substr(start, pos_ - start));
    }

    // After the element name; true for "/>", false for ">".
    bool read_attributes(Element& element) {
        for (;;) {
            skip_space();
            if (pos_ >= s_.size()) fail("unterminated start tag <" + element.name);
            if (s_[pos_] == '/') {
                ++pos_;
                expect('>');
                return true;
            }
            if (s_[pos_] == '>') {
                ++pos_;
                return false;
            }
            std::string key = read_name();
            skip_space();
            expect('=');
            skip_space();
            if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) fail("attribute value must be quoted");
            const char quote = s_[pos_++];
            const std::size_t end = s_.find(quote, pos_);
            if (end == std::string_view::npos) fail("unterminated attribute value");
            const std::string_view raw = s_.substr(pos_, end - pos_);
            if (raw.find('<') != std::string_view::npos) fail("'<' in an attribute value");
            if (element.has(key)) fail("attribute " + key + " given twice");
            element.attributes.emplace_back(std::move(key), decode(raw));
            pos_ = end + 1;
        }
    }

    std::string decode(std::string_view raw) const {
        std::string out;
        out.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '&') {
                out += raw[i];
                continue;
            }
            const std::size_t semi = raw.find(';', i);
            if (semi == std::string_view::npos || semi - i > 12) fail("bad entity reference");
            const std::string_view name = raw.substr(i + 1, semi - i - 1);
            if (name == "lt") out += '<';
            else if (name == "gt") out += '>';
            else if (name == "amp") out += '&';
            else if (name == "quot") out += '"';
            else if (name == "apos") out += '\'';
            else if (name.size() > 1 && name[0] == '#') {
                const bool hex = name[1] == 'x' || name[1] == 'X';
                const std::string digits(name.substr(hex ? 2 : 1));
                if (digits.empty()) fail("bad character reference");
                std::uint32_t cp = 0;
                for (const char c : digits) {
                    int v = -1;
                    if (c >= '0' && c <= '9') v = c - '0';
                    else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
                    else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
                    if (v < 0) fail("bad character reference");
                    cp = cp * (hex ? 16u : 10u) + static_cast<std::uint32_t>(v);
                    if (cp > 0x10FFFF) fail("character reference out of range");
                }
                append_utf8(out, cp);
            } else {
                fail("unknown entity &" + std::string(name) + ";");
            }
            i = semi;
        }
        return out;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

void write(const Element& e, bool pretty, int depth, std::string& out) {
    const std::string indent = pretty ? std::string(static_cast<std::size_t>(depth) * 2, ' ') : std::string();
    if (e.is_comment()) {
        out += indent + "<!--" + e.text + "-->";
        if (pretty) out += '\n';
        return;
    }
    out += indent + "<" + e.name;
    for (const auto& [k, v] : e.attributes) out += " " + k + "=\"" + escape(v) + "\"";
    const std::string_view text = trim(e.text);
    if (e.children.empty() && text.empty()) {
        out += "/>";
        if (pretty) out += '\n';
        return;
    }
    out += ">";
    if (e.children.empty()) {
        out += escape(text);
    } else {
        if (pretty) out += '\n';
        if (!text.empty()) out += (pretty ? indent + "  " : std::string()) + escape(text) + (pretty ? "\n" : "");
        for (const auto& c : e.children) write(c, pretty, depth + 1, out);
        out += indent;
    }
    out += "</" + e.name + ">";
    if (pretty) out += '\n';
}

}  // namespace

const std::string* Element::attribute(std::string_view key) const {
    for (const auto& [k, v] : attributes)
        if (k == key) return &v;
    return nullptr;
}

std::string Element::get(std::string_view key, std::string_view fallback) const {
    const std::string* v = attribute(key);
    return v ? *v : std::string(fallback);
}

void Element::set(std::string_view key, std::string value) {
    for (auto& [k, v] : attributes)
        if (k == key) {
            v = std::move(value);
            return;
        }
    attributes.emplace_back(std::string(key), std::move(value));
}

void Element::erase(std::string_view key) {
    std::erase_if(attributes, [&](const auto& kv) { return kv.first == key; });
}

const Element* Element::child(std::string_view child_name) const {
    for (const auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

Element* Element::child(std::string_view child_name) {
    for (auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

std::vector<const Element*> Element::children_named(std::string_view child_name) const {
    std::vector<const Element*> out;
    for (const auto& c : children)
        if (c.name == child_name) out.push_back(&c);
    return out;
}

void Element::visit(const std::function<void(const Element&)>& fn) const {
    if (is_comment()) return;
    fn(*this);
    for (const auto& c : children) c.visit(fn);
}

Element parse(std::string_view text) { return Parser(text).parse(); }

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
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "&#%d;", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string to_string(const Element& element, bool pretty) {
    std::string out;
    write(element, pretty, 0, out);
    return out;
}

bool equivalent(const Element& a, const Element& b) {
    if (a.name != b.name || a.attributes.size() != b.attributes.size()) return false;
    for (const auto& [k, v] : a.attributes) {
        const std::string* other = b.attribute(k);
        if (!other || *other != v) return false;
    }
    if (trim(a.text) != trim(b.text)) return false;
    std::vector<const Element*> ca, cb;
    for (const auto& c : a.children)
        if (!c.is_comment()) ca.push_back(&c);
    for (const auto& c : b.children)
        if (!c.is_comment()) cb.push_back(&c);
    if (ca.size() != cb.size()) return false;
    for (std::size_t i = 0; i < ca.size(); ++i)
        if (!equivalent(*ca[i], *cb[i])) return false;
    return true;
}

}  // namespace gha::xml
