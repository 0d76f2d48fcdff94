// The request head of the /metrics endpoint's HTTP/1.1 subset (see
// exporter.hpp): the request line and the header fields, which anyone who
// can connect to HA_METRICS_LISTEN sends. Pure code, bounded by the
// exporter's read (max_request_head); fuzzed by fuzz/http_head.cpp.
#pragma once

#include <string>
#include <string_view>

namespace gha::http {

struct RequestHead {
    std::string method, path;  // path without the query string
    bool keep_alive = false;
    int status = 0;  // non-zero: answer with this error (400, 505) and close
};

// `head`: the request head without its final empty line ("\r\n\r\n").
RequestHead parse_request_head(std::string_view head);

}  // namespace gha::http
