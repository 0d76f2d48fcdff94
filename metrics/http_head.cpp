#include "metrics/http_head.hpp"

namespace gha::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// True if the comma-separated header value lists `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        if (iequals(trim(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

RequestHead parse_request_head(std::string_view head) {
    RequestHead r;
    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        r.status = 400;
        return r;
    }
    r.method = std::string(line.substr(0, sp1));
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (target.empty() || target.front() != '/' || r.method.empty()) {
        r.status = 400;
        return r;
    }
    if (!version.starts_with("HTTP/")) {
        r.status = 400;
        return r;
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        r.status = 505;
        return r;
    }
    r.path = std::string(target.substr(0, target.find('?')));
    r.keep_alive = version == "HTTP/1.1";
    bool body = false;
    std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    while (!rest.empty()) {
        const auto end = rest.find("\r\n");
        const std::string_view field = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
        const auto colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            r.status = 400;
            return r;
        }
        const std::string_view name = field.substr(0, colon);
        const std::string_view value = trim(field.substr(colon + 1));
        if (iequals(name, "connection")) {
            if (has_token(value, "close")) r.keep_alive = false;
            if (has_token(value, "keep-alive") && version == "HTTP/1.0") r.keep_alive = true;
        } else if (iequals(name, "transfer-encoding") || (iequals(name, "content-length") && value != "0")) {
            body = true;
        }
    }
    // We read no bodies: answer, then close, so body bytes are never taken
    // for the next request.
    if (body) r.keep_alive = false;
    return r;
}

}  // namespace gha::http
