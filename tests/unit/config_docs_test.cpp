// The configuration reference stays complete: every key the parser reads
// (config_keys(), the parser's own table) has an entry in ganesha-ha.conf(5)
// that gives its default, a row in the README's table and a line in the
// example file; and the man page documents no key the parser does not read.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "service/config.hpp"

namespace gha {
namespace {

std::vector<std::string> read_lines(const std::string& relative) {
    std::ifstream in(std::string(GHA_SOURCE_DIR) + "/" + relative);
    EXPECT_TRUE(in) << relative << " not readable";
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string read_text(const std::string& relative) {
    std::ostringstream out;
    for (const auto& line : read_lines(relative)) out << line << '\n';
    return out.str();
}

bool is_prefix(std::string_view key) { return key.ends_with('_'); }

// A key's entry in the scdoc source: a line "*HA_NAME*=..." (or
// "*VIP_*<_node_>=..." for a prefix), then its tab-indented paragraph.
struct Entry {
    std::size_t line = 0;  // 1-based; 0: none
    std::string paragraph;
};

Entry man_entry(const std::vector<std::string>& lines, std::string_view key) {
    const std::string term = "*" + std::string(key) + "*";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!lines[i].starts_with(term)) continue;
        Entry e{i + 1, {}};
        for (std::size_t j = i + 1; j < lines.size() && lines[j].starts_with('\t'); ++j) e.paragraph += lines[j] + "\n";
        return e;
    }
    return {};
}

TEST(ConfigDocs, TheParserExposesItsKeys) {
    const auto& keys = config_keys();
    const std::set<std::string_view> unique(keys.begin(), keys.end());
    EXPECT_EQ(unique.size(), keys.size()) << "a key is listed twice";
    for (const char* key : {"HA_NAME", "HA_CLUSTER_NODES", "VIP_", "HA_GRACE_DELAY", "HA_GANESHA_ACTIVE_ATTR",
                            "HA_GRACE_ACTIVE_ATTR", "HA_ACTION_TIMEOUT", "HA_ACTION_ATTEMPTS", "HA_MONITOR_PID",
                            "HA_PEER_ADDR_"})
        EXPECT_TRUE(unique.contains(key)) << key;
}

TEST(ConfigDocs, ManPageHasAnEntryWithItsDefaultForEveryKey) {
    const auto lines = read_lines("man/ganesha-ha.conf.5.scd");
    for (const auto key : config_keys()) {
        const Entry e = man_entry(lines, key);
        if (e.line == 0) {
            ADD_FAILURE() << "ganesha-ha.conf(5) (man/ganesha-ha.conf.5.scd) has no entry for " << key
                          << (is_prefix(key) ? "<node>" : "") << ": add a line \"*" << key << "*"
                          << (is_prefix(key) ? "<_node_>" : "") << "=_value_\" and a tab-indented paragraph";
            continue;
        }
        EXPECT_TRUE(e.paragraph.find("Default:") != std::string::npos ||
                    e.paragraph.find("Required") != std::string::npos)
            << key << " (man/ganesha-ha.conf.5.scd:" << e.line << ") does not give its default";
    }
}

TEST(ConfigDocs, ManPageDocumentsOnlyKeysTheParserReads) {
    const auto& keys = config_keys();
    const auto lines = read_lines("man/ganesha-ha.conf.5.scd");
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (!line.starts_with("*HA_") && !line.starts_with("*VIP_")) continue;
        const std::string term = line.substr(1, line.find('*', 1) - 1);
        EXPECT_NE(std::find(keys.begin(), keys.end(), term), keys.end())
            << "man/ganesha-ha.conf.5.scd:" << i + 1 << ": " << term << " is not a key the parser reads";
    }
}

TEST(ConfigDocs, ReadmeTableHasEveryKey) {
    const std::string readme = read_text("README.md");
    for (const auto key : config_keys()) {
        const std::string cell = "| `" + std::string(key) + (is_prefix(key) ? "<node>" : "") + "` |";
        EXPECT_NE(readme.find(cell), std::string::npos) << "README.md's configuration table has no row " << cell;
    }
}

TEST(ConfigDocs, ExampleShowsEveryKey) {
    const auto lines = read_lines("units/ganesha-ha.conf.example");
    for (const auto key : config_keys()) {
        const bool shown = std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
            const std::string_view l = std::string_view(line).substr(line.starts_with('#') ? 1 : 0);
            return l.starts_with(key) && (is_prefix(key) || l.substr(key.size()).starts_with('='));
        });
        EXPECT_TRUE(shown) << "units/ganesha-ha.conf.example does not show " << key;
    }
}

}  // namespace
}  // namespace gha
