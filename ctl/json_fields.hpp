// Reading the daemon's JSON answers for printing, defensively: a member that
// is missing, null, or of another type than expected (an older or newer
// daemon, or a bug) reads as "nothing", never throws and never converts with
// undefined behaviour (nlohmann's value("x", 0) does both: it throws on a
// string and converts -1 or 1e300 into an unsigned int unchecked).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gha::ctl {

// object[key], or a null when `object` is no object or lacks the key.
const nlohmann::json& member(const nlohmann::json& object, const char* key);

// Any scalar as text; "-" for null, absent, an empty string, or a container.
std::string text(const nlohmann::json& value);

// A whole number (a float is truncated), or false for anything else and for
// a value long long cannot hold (1e300, 2^64 - 1, NaN).
bool integer(const nlohmann::json& value, long long& out);

// Any finite number as a double, or false.
bool number(const nlohmann::json& value, double& out);

// The strings of a list; other elements (and a value that is no list) are skipped.
std::vector<std::string> strings(const nlohmann::json& list);

}  // namespace gha::ctl
