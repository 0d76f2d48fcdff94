// "did you mean ...": the closest of the words a program knows to one it
// does not, for usage errors (a misspelt command, subcommand or option).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gha::ctl {

// Edits (insert, delete, substitute, swap two neighbours) from a to b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The known word closest to `word`: at most 1 edit for words up to 4
// characters, 2 beyond (so "stauts" -> "status", "x" -> nothing), or the
// only known word that starts with `word` (2 characters or more: "conn" ->
// "connections"). Ties go to the earlier word in `known`.
std::optional<std::string> closest_word(std::string_view word, const std::vector<std::string>& known);

}  // namespace gha::ctl
