#include "service/vip_taker.hpp"

#include <algorithm>

namespace gha {

std::optional<std::string> vip_taker(const std::vector<std::string>& nodes, const std::string& home,
                                     const std::function<bool(const std::string&)>& able) {
    const auto at = std::find(nodes.begin(), nodes.end(), home);
    if (at == nodes.end()) return std::nullopt;
    const auto start = static_cast<std::size_t>(at - nodes.begin());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string& node = nodes[(start + i) % nodes.size()];
        if (able(node)) return node;
    }
    return std::nullopt;
}

std::string vip_ready_attribute(const std::string& home) { return "grace-for-" + home; }

std::string move_request_attribute(const std::string& home) { return kMoveAttributePrefix + home; }

std::string move_constraint_id(const std::string& home) { return kMoveConstraintPrefix + home; }

}  // namespace gha
