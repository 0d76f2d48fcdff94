#include "ctl/cli_arguments.hpp"

#include <charconv>
#include <cstdint>

namespace gha::ctl {

bool is_numeric_argument(std::string_view key) { return key == "since" || key == "limit" || key == "id"; }

namespace {

bool put(nlohmann::json& arguments, const std::string& key, const std::string& value, std::string& problem) {
    if (!is_numeric_argument(key)) {
        arguments[key] = value;
        return true;
    }
    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        problem = key + " '" + value + "' is not a whole number";
        return false;
    }
    arguments[key] = number;
    return true;
}

}  // namespace

bool build_arguments(const std::vector<std::string>& words, nlohmann::json& arguments, std::string& problem) {
    arguments = nlohmann::json::object();
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (word.rfind("--", 0) == 0 && word.find('=') != std::string::npos) {  // --since=5
            const auto eq = word.find('=');
            if (!put(arguments, word.substr(2, eq - 2), word.substr(eq + 1), problem)) return false;
            continue;
        }
        if (word.rfind("--", 0) == 0) {  // --since 5 -> since=5
            if (i + 1 >= words.size()) {
                problem = word + " needs a value";
                return false;
            }
            if (!put(arguments, word.substr(2), words[++i], problem)) return false;
            continue;
        }
        const auto eq = word.find('=');
        if (eq == std::string::npos || eq == 0) {  // positional: the daemon reads "args"
            arguments["args"].push_back(word);
            continue;
        }
        if (!put(arguments, word.substr(0, eq), word.substr(eq + 1), problem)) return false;
    }
    return true;
}

}  // namespace gha::ctl
