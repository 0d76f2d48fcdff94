// A reader of ganesha.conf with nfs-ganesha 4.3's syntax
// (src/config_parsing/conf_lex.l and conf_yacc.y):
//
//   config     := definition*
//   definition := NAME '=' [values] ';'  |  NAME '{' definition* '}'
//   values     := [','] value (',' value)*
//   NAME       := [A-Za-z_][A-Za-z0-9_-]*            (ID_CHARS)
//   value      := "..." (escapes \n \t \r, \x is x; may span lines)
//               | '...' (no escapes)  |  a word of [A-Za-z0-9._/:*?[]!@~-]
//   # to the end of the line is a comment, except inside quotes.
//   %include FILE | %include "FILE": only between top-level blocks (the
//   lexer's YY_INIT state); FILE is relative to the main file's directory
//   (new_file(): conf_dir is set from the first file only), and a file read
//   before is an error, as in ganesha ("already parsed"), so loops end.
//   %url (rados://...) and %dir are refused: what they bring in cannot be
//   checked here.
//
// Unlike ganesha, which logs a syntax error, skips to the next ';' or '}' and
// may carry on, every syntax error here is fatal: a check must not pass a file
// whose meaning it had to guess. Unquoted values are taken as words without
// ganesha's finer token classes (numbers, addresses, paths): a value ganesha
// would reject for its characters may pass the reader (ganesha then refuses
// to start, which is visible); the checked parameters are validated in
// check.cpp. Bounded: file size, total size, files, include depth, block
// nesting, token length.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ganesha_conf/document.hpp"

namespace gha::ganesha_conf {

struct Limits {
    std::size_t max_file_bytes = 1024 * 1024;
    std::size_t max_total_bytes = 4 * 1024 * 1024;
    std::size_t max_files = 64;
    int max_include_depth = 8;  // %include nested in included files
    int max_block_depth = 16;   // EXPORT { CLIENT { } } is 2
    std::size_t max_token_bytes = 4096;  // ganesha's MAXPATHLEN
};

// "file:line: problem". Thrown for anything that cannot be read or parsed.
class ReadError : public std::runtime_error {
public:
    ReadError(Location where, const std::string& problem);
    const Location& where() const { return where_; }
    const std::string& problem() const { return problem_; }

private:
    Location where_;
    std::string problem_;
};

// Reads `path` and what it includes.
Document read_file(const std::string& path, const Limits& limits = {});

// Parses `text` as if it were the file `name`; %include is resolved against
// include_dir ("" refuses %include).
Document parse_text(std::string_view text, const std::string& name, const std::string& include_dir = "",
                    const Limits& limits = {});

}  // namespace gha::ganesha_conf
