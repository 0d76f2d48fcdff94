// The parse tree of a ganesha.conf (nfs-ganesha 4.3's syntax, see reader.hpp):
// blocks `NAME { ... }`, statements `NAME = value, value;`, each with the file
// and line it came from. Names keep their spelling; ganesha compares block and
// parameter names case-insensitively (config_parsing.c: strcasecmp), and so do
// the lookups here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gha::ganesha_conf {

struct Location {
    std::string file;  // as opened (an %include resolved against the main file's directory)
    int line = 0;      // 1-based; 0: the file as a whole
    std::string to_string() const;  // "file:line"
};

struct Value {
    std::string text;     // quotes removed, escapes of "..." applied
    bool quoted = false;  // "..." or '...': never a boolean or number to ganesha
    Location where;
};

struct Statement {
    std::string name;
    std::vector<Value> values;  // `a = ;` has none (ganesha's grammar allows it)
    Location where;
};

struct Block {
    std::string name;  // "" for the root
    Location where;
    std::vector<Statement> statements;  // in file order
    std::vector<Block> blocks;          // in file order

    // Case-insensitive, like ganesha. The last of several is the one that
    // counts (ganesha applies each in turn; see check.cpp).
    std::vector<const Block*> blocks_named(std::string_view name) const;
    const Statement* last_statement(std::string_view name) const;
};

struct Document {
    Block root;
    std::vector<std::string> files;  // every file read, the main file first
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace gha::ganesha_conf
