// A control-socket request line (service/control_protocol): what any local
// user that may connect to the socket sends. parse_request() never throws;
// it returns a request or a result-1 answer. The numeric arguments the
// daemon's commands read (events: since, limit; actions: id) go through
// unsigned_argument(), which may only throw std::invalid_argument.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "service/control_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    nlohmann::json error;
    const auto request = gha::control::parse_request(line, error);
    if (!request) {
        if (!error.is_object() || error.value("result", 0) != gha::control::Result::error) std::abort();
        (void)error.dump();
        return 0;
    }
    if (request->command.empty() || !request->arguments.is_object()) std::abort();
    for (const char* name : {"since", "limit", "id"}) {
        try {
            (void)gha::control::unsigned_argument(request->arguments, name, 7);
        } catch (const std::invalid_argument&) {
        }
    }
    // What the client would send for it parses back to the same request.
    const std::string again = gha::control::serialize_request(*request);
    nlohmann::json ignored;
    const auto back = gha::control::parse_request(std::string_view(again).substr(0, again.size() - 1), ignored);
    if (again.size() - 1 <= gha::control::kMaxRequestBytes &&
        (!back || back->command != request->command || back->arguments != request->arguments))
        std::abort();
    return 0;
}
