#include "service/control_protocol.hpp"

#include <algorithm>
#include <stdexcept>

namespace gha::control {

bool Caller::in_group(gid_t group) const {
    return gid == group || std::find(groups.begin(), groups.end(), group) != groups.end();
}

nlohmann::json answer(int result, std::string text, nlohmann::json arguments) {
    return {{"result", result}, {"text", std::move(text)}, {"arguments", std::move(arguments)}};
}

std::optional<Request> parse_request(std::string_view line, nlohmann::json& error) {
    if (line.size() > kMaxRequestBytes) {
        error = answer(Result::error, "request larger than 65536 bytes");
        return std::nullopt;
    }
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
        error = answer(Result::error, "request is not valid JSON");
        return std::nullopt;
    }
    if (!json.is_object()) {
        error = answer(Result::error, "request must be a JSON object");
        return std::nullopt;
    }
    auto command = json.find("command");
    if (command == json.end() || !command->is_string() || command->get_ref<const std::string&>().empty()) {
        error = answer(Result::error, "request has no \"command\" string");
        return std::nullopt;
    }
    Request request{command->get<std::string>()};
    if (auto args = json.find("arguments"); args != json.end() && !args->is_null()) {
        if (!args->is_object()) {
            error = answer(Result::error, "\"arguments\" must be an object");
            return std::nullopt;
        }
        request.arguments = *args;
    }
    return request;
}

std::string serialize_request(const Request& request) {
    nlohmann::json json{{"command", request.command}};
    if (!request.arguments.empty()) json["arguments"] = request.arguments;
    return json.dump() + "\n";
}

std::uint64_t unsigned_argument(const nlohmann::json& arguments, const char* name, std::uint64_t fallback) {
    if (!arguments.is_object()) return fallback;
    const auto it = arguments.find(name);
    if (it == arguments.end() || it->is_null()) return fallback;
    if (it->is_number_unsigned()) return it->get<std::uint64_t>();
    if (it->is_number_float()) {
        const double d = it->get<double>();
        // [0, 2^64) and whole: 18446744073709551616.0 is exact.
        if (d >= 0 && d < 18446744073709551616.0 && d == static_cast<double>(static_cast<std::uint64_t>(d)))
            return static_cast<std::uint64_t>(d);
    }
    throw std::invalid_argument(std::string("argument \"") + name + "\" must be a whole number >= 0, not " +
                                it->dump());
}

}  // namespace gha::control
