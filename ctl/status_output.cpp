#include "ctl/status_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "ctl/json_fields.hpp"
#include "ctl/text_table.hpp"

namespace gha::ctl {
namespace {

using nlohmann::json;

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
    const std::string since = format_wall_time(member(m, "last_change"), WallTime::short_form);
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

std::string format_wall_time(const json& seconds, WallTime form) {
    // Up to the end of year 9999: a later (or infinite) value would not fit
    // time_t (undefined behaviour, found by fuzz/hactl_status) or the buffer.
    constexpr double kLast = 253402300799.0;
    double value = 0;
    if (!number(seconds, value) || !(value > 0) || !(value <= kLast)) return "-";
    // Whole milliseconds, rounded: 1796094245.123 is 1796094245.12299... as a double.
    const auto total_ms = std::llround(value * 1000.0);
    const std::time_t t = static_cast<std::time_t>(total_ms / 1000);
    const int ms = static_cast<int>(total_ms % 1000);
    std::tm tm{};
    if (::localtime_r(&t, &tm) == nullptr) return "-";
    char buffer[48];
    const char* format = form == WallTime::short_form ? "%m-%d %T" : "%F %T";
    if (std::strftime(buffer, sizeof buffer, format, &tm) == 0) return "-";
    if (form == WallTime::short_form) return buffer;
    char zone[16];
    if (std::strftime(zone, sizeof zone, "%z", &tm) == 0) zone[0] = '\0';
    char out[80];
    std::snprintf(out, sizeof out, "%s.%03d %s", buffer, ms, zone);
    return out;
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
    // The node's drain, and who holds it (the operator's is in the CIB).
    const json& drained = member(a, "drained");
    if (drained.is_boolean()) {
        std::string who;
        const json& by = member(member(a, "drain"), "by");
        if (by.is_array())
            for (const auto& b : by) who += (who.empty() ? "" : " and ") + text(b);
        const std::string attribute = text(member(member(a, "drain"), "attribute"));
        if (drained.get<bool>())
            out += "drain       DRAINED" + (who.empty() ? std::string() : " by the " + who) +
                   (who.find("operator") != std::string::npos ? " (" + attribute + "=1 in the CIB: kept across restarts)"
                                                             : std::string()) +
                   "\n";
        else
            out += "drain       not drained\n";
    }
    // `cluster move`s of other nodes' VIPs to this one.
    const json& moves = member(a, "moves");
    if (moves.is_object())
        for (const auto& [home, m] : moves.items())
            out += "move        " + text(member(m, "address")) + " (" + home + "'s VIP) to this node: " +
                   text(member(m, "state")) + (member(m, "ready") == true ? ", in grace for it" : "") + "\n";
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
    const json& events = member(a, "events");
    if (!events.is_array() || events.empty()) return {};
    std::vector<std::vector<std::string>> rows = {{"SEQ", "TIME", "TYPE", "SUBJECT", "MESSAGE"}};
    for (const auto& e : events)
        rows.push_back({text(member(e, "seq")), format_wall_time(member(e, "time")), text(member(e, "type")),
                        text(member(e, "subject")), text(member(e, "message"))});
    return text_table(rows);
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
