#include "ctl/pipeline_output.hpp"

#include <cstdio>

#include "ctl/json_fields.hpp"
#include "ctl/text_table.hpp"

namespace gha::ctl {

using nlohmann::json;

namespace {

std::string attempts_text(const json& value) {
    long long n = 0;
    if (!integer(value, n) || n < 0) return "-";
    return std::to_string(n) + (n == 1 ? " try" : " tries");
}

std::string duration_text(const json& value) {
    double ms = 0;
    if (!number(value, ms) || ms < 0) return "-";
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.1f ms", ms);
    return buffer;
}

}  // namespace

std::string format_pipeline(const json& p) {
    std::string out = "pipeline " + text(member(p, "id")) + " " + text(member(p, "pipeline")) + " (" +
                      text(member(p, "target")) + "): " + text(member(p, "state")) + "\n";
    const json& steps = member(p, "steps");
    if (!steps.is_array() || steps.empty()) return out;
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : steps)
        rows.push_back({"", text(member(s, "name")), text(member(s, "state")), attempts_text(member(s, "attempts")),
                        duration_text(member(s, "duration_ms")), text(member(s, "detail"))});
    return out + text_table(rows);
}

bool pipeline_finished(const json& p) {
    const json& state = member(p, "state");
    return !(state == "queued" || state == "running");
}

std::string format_commands(const json& a) {
    const json& commands = member(a, "commands");
    if (!commands.is_array()) return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : commands) {
        const json& changes = member(c, "changes");
        rows.push_back({text(member(c, "name")),
                        text(member(c, "help")) + (changes.is_boolean() && changes.get<bool>() ? " [changes state]" : "")});
    }
    return text_table(rows);
}

}  // namespace gha::ctl
