#include "ganesha_conf/reader.hpp"

#include "ganesha_conf/lexer.hpp"

namespace gha::ganesha_conf {
namespace {

// conf_lex.l ID_CHARS: [a-zA-Z_][a-zA-Z0-9_\-]*
bool is_name(const std::string& s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        const bool more = (c >= '0' && c <= '9') || c == '-';
        if (!(alpha || (i > 0 && more))) return false;
    }
    return true;
}

std::string describe(const Token& t) {
    switch (t.kind) {
        case Token::word: return "'" + t.text + "'";
        case Token::string: return "a quoted string";
        case Token::directive: return "%" + t.text;
        case Token::end: return "the end of the file";
        default: return "'" + t.text + "'";
    }
}

class Parser {
public:
    Parser(Lexer& lexer, const Limits& limits) : lexer_(lexer), limits_(limits) {}

    void parse_into(Block& root) {
        definitions(root, 0);
    }

private:
    // The next token; %include/%url/%dir are handled here, where ganesha's
    // lexer recognises them: only in its YY_INIT state, i.e. at the start or
    // right after a '}' that closed a top-level block.
    Token next() {
        while (true) {
            Token t = lexer_.next();
            if (t.kind != Token::directive) {
                yy_init_ = false;
                return t;
            }
            if (!yy_init_)
                throw ReadError(t.where, "%" + t.text +
                                             " inside a block or after a top-level parameter: ganesha only "
                                             "reads it between top-level blocks");
            if (t.text == "url")
                throw ReadError(t.where, "%url " + lexer_.directive_operand(t.where) +
                                             ": a configuration fetched from a URL cannot be checked; "
                                             "copy it into a file and %include that");
            if (t.text == "dir")
                throw ReadError(t.where, "%dir " + lexer_.directive_operand(t.where) +
                                             ": not supported by this check (the order of the files is the "
                                             "directory's); %include each file instead");
            lexer_.include(lexer_.directive_operand(t.where), t.where);
        }
    }

    // definition* up to '}' (depth > 0) or the end (depth 0).
    void definitions(Block& block, int depth) {
        while (true) {
            Token t = next();
            if (t.kind == Token::end) {
                if (depth > 0)
                    throw ReadError(block.where, "block " + block.name + " is never closed: '}' missing before " +
                                                     "the end of " + block.where.file);
                return;
            }
            if (t.kind == Token::close) {
                if (depth == 0) throw ReadError(t.where, "'}' without a block to close");
                if (depth == 1) yy_init_ = true;
                return;
            }
            if (t.kind != Token::word || !is_name(t.text))
                throw ReadError(t.where, "expected a block or parameter name, found " + describe(t));
            Token op = next();
            if (op.kind == Token::open) {
                if (depth + 1 > limits_.max_block_depth)
                    throw ReadError(t.where, "blocks nested deeper than " + std::to_string(limits_.max_block_depth));
                Block child{t.text, t.where};
                definitions(child, depth + 1);
                block.blocks.push_back(std::move(child));
            } else if (op.kind == Token::equals) {
                block.statements.push_back(statement(t));
            } else {
                throw ReadError(op.where, "expected '=' or '{' after " + t.text + ", found " + describe(op));
            }
        }
    }

    // values ';' after NAME '='; conf_yacc.y: exprlist SEMI_OP, where
    // exprlist may be empty and may start with a ','.
    Statement statement(const Token& name) {
        Statement s{name.text, {}, name.where};
        Token t = next();
        if (t.kind == Token::comma) t = next();
        if (t.kind == Token::semicolon && s.values.empty()) return s;
        while (true) {
            if (t.kind != Token::word && t.kind != Token::string)
                throw ReadError(t.where, "expected a value for " + name.text + ", found " + describe(t));
            s.values.push_back({t.text, t.kind == Token::string, t.where});
            t = next();
            if (t.kind == Token::semicolon) return s;
            if (t.kind != Token::comma)
                throw ReadError(name.where, "missing ';' after " + name.text + " = " + s.values.back().text +
                                                " (found " + describe(t) + " at line " +
                                                std::to_string(t.where.line) + "): ganesha needs one after every " +
                                                "parameter, also the last of a block");
            t = next();
        }
    }

    Lexer& lexer_;
    const Limits& limits_;
    bool yy_init_ = true;
};

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

ReadError::ReadError(Location where, const std::string& problem)
    : std::runtime_error(where.to_string() + ": " + problem), where_(std::move(where)), problem_(problem) {}

Document parse_text(std::string_view text, const std::string& name, const std::string& include_dir,
                    const Limits& limits) {
    Lexer lexer(limits, include_dir);
    lexer.push(std::string(text), name);
    Document doc;
    doc.root.where = {name, 0};
    Parser(lexer, limits).parse_into(doc.root);
    doc.files = lexer.files;
    return doc;
}

Document read_file(const std::string& path, const Limits& limits) {
    return parse_text(read_bounded(path, limits, {path, 0}), path, directory_of(path), limits);
}

}  // namespace gha::ganesha_conf
