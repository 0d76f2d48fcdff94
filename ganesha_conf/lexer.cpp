#include "ganesha_conf/lexer.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace gha::ganesha_conf {
namespace {

bool is_word_char(char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return std::strchr("._-/:*?[]!@~", c) != nullptr && c != '\0';
}

// conf_lex.l INCLPATH: \/?([a-zA-Z0-9\-\.\_])+(\/[a-zA-Z0-9\-\.\_]+)*
bool is_include_path(const std::string& p) {
    if (p.empty() || p.back() == '/') return false;
    bool after_slash = true;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '/') {
            if (after_slash && i != 0) return false;  // "//"
            after_slash = true;
            continue;
        }
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_';
        if (!ok) return false;
        after_slash = false;
    }
    return true;
}

std::string printable(char c) {
    if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02x", static_cast<unsigned char>(c));
    return buffer;
}

}  // namespace

std::string read_bounded(const std::string& path, const Limits& limits, const Location& at) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw ReadError(at, "cannot read " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw ReadError(at, path + " is not a regular file");
    if (static_cast<std::size_t>(st.st_size) > limits.max_file_bytes)
        throw ReadError({path, 0}, "larger than " + std::to_string(limits.max_file_bytes) + " bytes");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ReadError(at, "cannot read " + path + ": " + std::strerror(errno));
    // One byte more than the size: a file that grew meanwhile is caught by push().
    std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

Lexer::Lexer(const Limits& limits, std::string include_dir)
    : limits_(limits), include_dir_(std::move(include_dir)) {}

Location Lexer::here() const {
    if (stack_.empty()) return {files.empty() ? "" : files.front(), 0};
    return {stack_.back().name, stack_.back().line};
}

void Lexer::fail(const std::string& problem) const { throw ReadError(here(), problem); }

void Lexer::push(std::string text, std::string name) {
    if (text.size() > limits_.max_file_bytes)
        throw ReadError({name, 0}, "larger than " + std::to_string(limits_.max_file_bytes) + " bytes");
    total_bytes_ += text.size();
    if (total_bytes_ > limits_.max_total_bytes)
        throw ReadError({name, 0}, "the configuration with its includes is larger than " +
                                       std::to_string(limits_.max_total_bytes) + " bytes");
    if (files.size() >= limits_.max_files)
        throw ReadError({name, 0}, "more than " + std::to_string(limits_.max_files) + " files included");
    files.push_back(name);
    stack_.push_back({std::move(name), std::move(text)});
}

void Lexer::include(const std::string& file, const Location& at) {
    if (include_dir_.empty()) throw ReadError(at, "%include is not possible here (no directory to resolve it in)");
    if (!is_include_path(file))
        throw ReadError(at, "'" + file + "' is not a file name ganesha's %include accepts (letters, digits, '-', '.', '_', '/')");
    if (static_cast<int>(stack_.size()) > limits_.max_include_depth)
        throw ReadError(at, "%include nested deeper than " + std::to_string(limits_.max_include_depth) + " files");
    // ganesha: an absolute name as is, else conf_dir + '/' + name, conf_dir
    // being the main file's directory (new_file() in conf_lex.l).
    const std::string path = file.front() == '/' ? file : include_dir_ + "/" + file;
    std::error_code ec;
    const std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
    const std::string key = ec ? path : canonical;
    for (const auto& source : stack_)
        if (source.name == path || source.name == key ||
            std::filesystem::weakly_canonical(source.name, ec).string() == key)
            throw ReadError(at, "%include loop: " + path + " is already being read");
    if (std::find(seen_.begin(), seen_.end(), key) != seen_.end())
        throw ReadError(at, path + " is included a second time (ganesha refuses a file it has already parsed)");
    std::string text = read_bounded(path, limits_, at);
    seen_.push_back(key);
    push(std::move(text), path);
}

bool Lexer::skip_blanks_and_comments() {
    while (!stack_.empty()) {
        Source& s = stack_.back();
        while (s.pos < s.text.size()) {
            const char c = s.text[s.pos];
            if (c == '\n') {
                ++s.line;
                ++s.pos;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                ++s.pos;
            } else if (c == '#') {
                while (s.pos < s.text.size() && s.text[s.pos] != '\n') ++s.pos;
            } else {
                return true;
            }
        }
        if (stack_.size() == 1) return false;  // the main file's end is the end
        stack_.pop_back();
    }
    return false;
}

Token Lexer::quoted(char quote) {
    Source& s = stack_.back();
    Token t{Token::string, "", here()};
    ++s.pos;
    while (true) {
        if (s.pos >= s.text.size())
            throw ReadError(t.where, std::string("unterminated string: the ") +
                                         (quote == '"' ? "double" : "single") + " quote opened here is never closed");
        char c = s.text[s.pos++];
        if (c == quote) break;
        if (c == '\n') ++s.line;
        if (c == '\\' && quote == '"') {
            if (s.pos >= s.text.size()) continue;  // reported as unterminated above
            c = s.text[s.pos++];
            if (c == '\n') ++s.line;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
        t.text.push_back(c);
        if (t.text.size() > limits_.max_token_bytes)
            throw ReadError(t.where, "string longer than " + std::to_string(limits_.max_token_bytes) + " bytes");
    }
    return t;
}

Token Lexer::bare_word() {
    Source& s = stack_.back();
    Token t{Token::word, "", here()};
    while (s.pos < s.text.size() && is_word_char(s.text[s.pos])) {
        t.text.push_back(s.text[s.pos++]);
        if (t.text.size() > limits_.max_token_bytes)
            throw ReadError(t.where, "word longer than " + std::to_string(limits_.max_token_bytes) + " bytes");
    }
    return t;
}

Token Lexer::next() {
    if (!skip_blanks_and_comments()) {
        Location end = stack_.empty() ? Location{} : here();
        return {Token::end, "", end};
    }
    Source& s = stack_.back();
    const char c = s.text[s.pos];
    const Location at = here();
    switch (c) {
        case '=': ++s.pos; return {Token::equals, "=", at};
        case '{': ++s.pos; return {Token::open, "{", at};
        case '}': ++s.pos; return {Token::close, "}", at};
        case ',': ++s.pos; return {Token::comma, ",", at};
        case ';': ++s.pos; return {Token::semicolon, ";", at};
        case '"':
        case '\'': return quoted(c);
        case '%': {
            ++s.pos;
            Token t = bare_word();
            t.kind = Token::directive;
            t.where = at;
            if (t.text != "include" && t.text != "url" && t.text != "dir")
                throw ReadError(at, "unknown directive %" + t.text + " (ganesha knows %include, %dir and %url)");
            return t;
        }
        default:
            if (is_word_char(c)) return bare_word();
            fail("unexpected character " + printable(c));
    }
}

std::string Lexer::directive_operand(const Location& at) {
    // Only blanks between the directive and its operand (the operand is on
    // the same line in every example ganesha ships).
    Source& s = stack_.back();
    while (s.pos < s.text.size() && (s.text[s.pos] == ' ' || s.text[s.pos] == '\t')) ++s.pos;
    std::string operand;
    if (s.pos < s.text.size() && s.text[s.pos] == '"') {
        const Token t = quoted('"');
        operand = t.text;
    } else {
        operand = bare_word().text;
    }
    if (operand.empty()) throw ReadError(at, "a directive without its file name");
    return operand;
}

}  // namespace gha::ganesha_conf
