// Tokens of ganesha.conf over a stack of sources: the main text and the files
// it %includes, read as one stream as ganesha's lexer does (an included file
// is inserted in place of its %include line). Internal to the reader.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "ganesha_conf/reader.hpp"

namespace gha::ganesha_conf {

struct Token {
    enum Kind { word, string, equals, open, close, comma, semicolon, directive, end } kind = end;
    std::string text;  // word, string (unquoted), directive name ("include", "url", "dir")
    Location where;
};

// The whole file, refused (ReadError at `at`) when missing, not a regular
// file or larger than limits.max_file_bytes.
std::string read_bounded(const std::string& path, const Limits& limits, const Location& at);

class Lexer {
public:
    Lexer(const Limits& limits, std::string include_dir);

    // A source on top of the stack; the next token comes from it.
    void push(std::string text, std::string name);
    // Reads FILE (after a %include directive) and pushes it; `at` names the
    // directive for errors.
    void include(const std::string& file, const Location& at);
    Token next();
    // The operand of a directive: "FILE" or an unquoted path.
    std::string directive_operand(const Location& at);

    std::vector<std::string> files;  // every source pushed, in order

private:
    struct Source {
        std::string name;
        std::string text;
        std::size_t pos = 0;
        int line = 1;
    };
    [[noreturn]] void fail(const std::string& problem) const;
    Location here() const;
    bool skip_blanks_and_comments();  // false at the end of every source
    Token quoted(char quote);
    Token bare_word();

    const Limits& limits_;
    std::string include_dir_;
    std::vector<Source> stack_;
    std::vector<std::string> seen_;  // canonical paths read so far
    std::size_t total_bytes_ = 0;
};

}  // namespace gha::ganesha_conf
