// The "arguments" object ganesha-hactl sends for the words after the
// command: `key=value`, `--key value` and `--key=value` pairs, any other word appended to
// "args". Values stay the strings they were typed as (node=123 names the
// node "123", it is not the number 123), except for the keys the daemon
// reads as counters or ids, which must then be whole numbers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gha::ctl {

// since, limit, id: the daemon reads these as unsigned integers.
bool is_numeric_argument(std::string_view key);

// False, with one line in `problem` naming the word, for a --key without a
// value or a numeric key whose value is not a whole number.
bool build_arguments(const std::vector<std::string>& words, nlohmann::json& arguments, std::string& problem);

}  // namespace gha::ctl
