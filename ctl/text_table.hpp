// Plain-text tables for ganesha-hactl's human output: each column as wide as
// its widest cell, header included, so that long host names or addresses
// never shift the columns after them (64-node clusters, FQDNs).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace gha::ctl {

// rows[0] is the header. Cells are separated by two spaces; the last column
// is not padded, and no line has trailing blanks.
inline std::string text_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        if (width.size() < row.size()) width.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

// "a, b, c and 5 more": at most `shown` names, for one-line summaries.
inline std::string some_of(const std::vector<std::string>& names, std::size_t shown, const std::string& sep = ", ") {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? sep : "") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

}  // namespace gha::ctl
