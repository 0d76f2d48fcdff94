#include "ctl/json_fields.hpp"

#include <cmath>
#include <limits>

namespace gha::ctl {

using nlohmann::json;

const json& member(const json& object, const char* key) {
    static const json absent;
    if (!object.is_object()) return absent;
    const auto it = object.find(key);
    return it == object.end() ? absent : *it;
}

std::string text(const json& value) {
    if (value.is_string()) return value.get_ref<const std::string&>().empty() ? "-" : value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    if (value.is_number()) return value.dump();
    return "-";
}

// Converting an out-of-range value would be undefined behaviour (found by
// fuzz/hactl_status).
bool integer(const json& value, long long& out) {
    if (value.is_number_unsigned()) {
        const auto u = value.get<unsigned long long>();
        if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) return false;
        out = static_cast<long long>(u);
        return true;
    }
    if (value.is_number_integer()) {
        out = value.get<long long>();
        return true;
    }
    if (value.is_number_float()) {
        const double d = value.get<double>();
        // [-2^63, 2^63): both bounds are exact doubles.
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
        out = static_cast<long long>(d);
        return true;
    }
    return false;
}

bool number(const json& value, double& out) {
    if (!value.is_number()) return false;
    const double d = value.get<double>();
    if (!std::isfinite(d)) return false;
    out = d;
    return true;
}

std::vector<std::string> strings(const json& list) {
    std::vector<std::string> out;
    if (!list.is_array()) return out;
    for (const auto& item : list)
        if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

}  // namespace gha::ctl
