// The /metrics request head (metrics/http_head): anyone who can connect to
// HA_METRICS_LISTEN. The exporter reads at most 8 KiB up to "\r\n\r\n" and
// passes what is before it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "metrics/http_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view head(reinterpret_cast<const char*>(data), size);
    const auto r = gha::http::parse_request_head(head);
    if (r.status != 0 && r.status != 400 && r.status != 505) std::abort();
    if (r.status == 0) {
        if (r.method.empty() || r.path.empty() || r.path.front() != '/') std::abort();
        if (r.path.find('?') != std::string_view::npos) std::abort();
        if (r.method.size() + r.path.size() > size) std::abort();
    }
    return 0;
}
