#include "ctl/status_output.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

namespace gha::ctl {
namespace {

using nlohmann::json;

const json& member(const json& object, const char* key) {
    static const json absent;
    if (!object.is_object()) return absent;
    const auto it = object.find(key);
    return it == object.end() ? absent : *it;
}

// Any scalar as text; "-" for null, absent, empty, or a container.
std::string text(const json& value) {
    if (value.is_string()) return value.get_ref<const std::string&>().empty() ? "-" : value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    if (value.is_number_integer()) return value.dump();
    if (value.is_number_float()) return value.dump();
    return "-";
}

// A whole number, or nothing: counters and settings from any daemon version.
// A value long long cannot hold (1e300, 2^64 - 1, NaN) is nothing too:
// converting it would be undefined behaviour (found by fuzz/hactl_status).
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

std::string monitor_row(const json& m) {
    const json& s = member(m, "settings");
    long long counter = 0, rise = 0, fall = 0, bound = 0;
    long long window = 0;  // rise + fall - 1, unless that overflows
    const std::string counter_text =
        integer(member(m, "counter"), counter) && integer(member(s, "rise"), rise) &&
                integer(member(s, "fall"), fall) && !__builtin_add_overflow(rise, fall, &window) &&
                !__builtin_sub_overflow(window, 1, &window)
            ? std::to_string(counter) + "/" + std::to_string(window)
            : "-";
    const std::string bound_text = integer(member(s, "detection_bound_ms"), bound) ? std::to_string(bound) + "ms" : "-";
    // The table shows the date without the year: "MM-DD HH:MM:SS".
    std::string since = format_wall_time(member(m, "last_change"));
    if (since.size() > 5 && since[4] == '-') since.erase(0, 5);
    char line[512];
    std::snprintf(line, sizeof line, "%-10s %-10s %-10s %-9s %-8s %-16s %s\n", text(member(m, "name")).c_str(),
                  text(member(m, "health")).c_str(), text(member(m, "reason")).c_str(), counter_text.c_str(),
                  bound_text.c_str(), since.c_str(), text(member(m, "detail")).c_str());
    return line;
}

bool one_line(const std::string& value) { return value.find_first_of("\n\r") == std::string::npos; }

bool field_value(const json& value, std::string& out, std::string& problem) {
    if (value.is_null()) {
        out = "";
    } else if (value.is_string()) {
        out = value.get<std::string>();
    } else if (value.is_primitive()) {
        out = text(value);
    } else {
        problem = "a value is itself a list or an object";
        return false;
    }
    if (!one_line(out)) problem = "a value contains a line break";
    return one_line(out);
}

}  // namespace

std::string format_wall_time(const json& seconds) {
    // Up to the end of year 9999: a later (or infinite) value would not fit
    // time_t (undefined behaviour, found by fuzz/hactl_status) or the buffer.
    constexpr double kLast = 253402300799.0;
    if (!seconds.is_number() || !(seconds.get<double>() > 0) || !(seconds.get<double>() <= kLast)) return "-";
    const std::time_t t = static_cast<std::time_t>(seconds.get<double>());
    std::tm tm{};
    if (::localtime_r(&t, &tm) == nullptr) return "-";
    char buffer[32];
    if (std::strftime(buffer, sizeof buffer, "%F %T", &tm) == 0) return "-";
    return buffer;
}

std::string format_status(const json& a) {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line, "node        %s (cluster %s)\n", text(member(a, "node")).c_str(),
                  text(member(a, "ha_name")).c_str());
    out += line;
    const json& nfsd = member(a, "nfsd");
    long long code = -1;
    const bool known = integer(member(nfsd, "code"), code);
    const char* verdict = !known ? "UNKNOWN" : code == 0 ? "HEALTHY" : code == 7 ? "NOT RUNNING" : "FAILED";
    std::snprintf(line, sizeof line, "nfsd        %s: %s\n", verdict, text(member(nfsd, "text")).c_str());
    out += line;
    std::snprintf(line, sizeof line, "\n%-10s %-10s %-10s %-9s %-8s %-16s %s\n", "MONITOR", "HEALTH", "REASON",
                  "COUNTER", "BOUND", "SINCE", "DETAIL");
    out += line;
    const json& monitors = member(a, "monitors");
    if (monitors.is_array())
        for (const auto& m : monitors) out += monitor_row(m);
    out += "\nVIPs: ";
    const json& vips = member(a, "vips");
    if (vips.is_object())
        for (const auto& [node, vip] : vips.items()) out += node + "=" + text(vip) + " ";
    out += "\n";
    return out;
}

std::string format_events(const json& a) {
    std::string out;
    const json& events = member(a, "events");
    if (!events.is_array()) return out;
    for (const auto& e : events) {
        char line[512];
        std::snprintf(line, sizeof line, "%6s  %s  %-8s %-10s ", text(member(e, "seq")).c_str(),
                      format_wall_time(member(e, "time")).c_str(), text(member(e, "type")).c_str(),
                      text(member(e, "subject")).c_str());
        out += line;
        out += text(member(e, "message"));  // unbounded: not through the fixed buffer
        out += "\n";
    }
    return out;
}

bool format_status_field(const json& status, const std::string& field, std::string& out, std::string& problem) {
    out.clear();
    if (!status.is_object() || !status.contains(field)) {
        problem = "status has no field '" + field + "'";
        return false;
    }
    const json& value = status.at(field);
    std::string one;
    if (value.is_array()) {
        for (const auto& element : value) {
            if (!field_value(element, one, problem)) return false;
            out += one + "\n";
        }
    } else if (value.is_object()) {
        for (const auto& [key, element] : value.items()) {
            if (key.empty() || key.find_first_of(" \t\n\r") != std::string::npos) {
                problem = "a key is empty or contains blanks";
                return false;
            }
            if (!field_value(element, one, problem)) return false;
            out += key + " " + one + "\n";
        }
    } else {
        if (!field_value(value, one, problem)) return false;
        out += one + "\n";
    }
    return true;
}

}  // namespace gha::ctl
