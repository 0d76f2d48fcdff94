#include "ganesha_conf/document.hpp"

namespace gha::ganesha_conf {

std::string Location::to_string() const { return file + ":" + std::to_string(line); }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::vector<const Block*> Block::blocks_named(std::string_view wanted) const {
    std::vector<const Block*> out;
    for (const auto& b : blocks)
        if (iequals(b.name, wanted)) out.push_back(&b);
    return out;
}

const Statement* Block::last_statement(std::string_view wanted) const {
    const Statement* found = nullptr;
    for (const auto& s : statements)
        if (iequals(s.name, wanted)) found = &s;
    return found;
}

}  // namespace gha::ganesha_conf
