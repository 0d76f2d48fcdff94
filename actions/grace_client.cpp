#include "actions/grace_client.hpp"

#include "actions/grace_reply.hpp"

#include <asio/post.hpp>
#include <sdbus-c++/sdbus-c++.h>

namespace gha {
namespace {

constexpr std::size_t kMaxAddress = 253;  // a DNS name at most
constexpr std::size_t kMaxNodeIdDigits = 9;

bool printable_token(std::string_view text) {
    for (const char c : text)
        if (c <= ' ' || c >= 0x7f) return false;
    return true;
}

// A client owner ("Linux NFSv4.1 host1"): printable, spaces allowed inside.
bool printable_text(std::string_view text) {
    if (text.front() == ' ' || text.back() == ' ') return false;
    for (const char c : text)
        if (c < ' ' || c >= 0x7f) return false;
    return true;
}

}  // namespace

GraceClient::GraceClient(std::shared_ptr<DbusConnection> connection, GraceClientOptions options)
    : connection_(std::move(connection)), options_(std::move(options)) {}

std::string GraceClient::bus_name_for_prefix(std::string_view prefix) {
    std::string name(prefix);
    if (!name.empty()) name += '.';
    return name + "org.ganesha.nfsd";
}

std::string GraceClient::grace_argument(GraceEvent event, std::string_view address, std::string& problem) {
    const int code = static_cast<int>(event);
    switch (event) {
        case GraceEvent::just_grace:
            // "0" alone would be read as "take IP 0": the ':' is what makes it event 0.
            if (!address.empty()) {
                problem = "just-grace takes no address";
                return {};
            }
            return "0:";
        case GraceEvent::take_nodeid:
            if (address.empty() || address.size() > kMaxNodeIdDigits ||
                address.find_first_not_of("0123456789") != std::string_view::npos) {
                problem = "take-nodeid needs a decimal node id, not '" + std::string(address) + "'";
                return {};
            }
            return std::to_string(code) + ":" + std::string(address);
        case GraceEvent::release_ip:
        case GraceEvent::take_ip:
            // Empty would release (or take) every client: ganesha matches "" to all.
            // release-ip also takes a client's owner string (ganesha matches
            // the argument inside the owner), which may hold spaces.
            if (address.empty() || address.size() > kMaxAddress ||
                !(event == GraceEvent::release_ip ? printable_text(address) : printable_token(address))) {
                problem = "grace event " + std::to_string(code) + " needs an address, not '" + std::string(address) + "'";
                return {};
            }
            return std::to_string(code) + ":" + std::string(address);
    }
    problem = "unknown grace event " + std::to_string(code);
    return {};
}

std::error_code GraceClient::map_result(const DbusCallResult& result, std::string_view member, std::string& message) {
    if (!result.error) {
        message = result.detail;
        return {};
    }
    if (result.error == DbusErrc::other && result.error_name == kAdminInterface) {
        // ganesha's dispatcher reports a method that returned false this way.
        message = "ganesha refused " + std::string(member) + " (the reason is in its log)";
        return DbusErrc::refused;
    }
    if (result.error == DbusErrc::refused) {
        message = "ganesha refused " + std::string(member) + ": " + result.detail;
        return DbusErrc::refused;
    }
    if (result.error == DbusErrc::bad_reply) {
        message = std::string(member) + ": unexpected reply" + (result.detail.empty() ? "" : ": " + result.detail);
        return DbusErrc::bad_reply;
    }
    message = std::string(member) + ": " + result.detail;
    return result.error;
}

DbusConnection::Method GraceClient::method(std::string member) const {
    DbusConnection::Method m;
    m.destination = options_.bus_name;
    m.path = std::string(kAdminPath);
    m.interface = std::string(kAdminInterface);
    m.member = std::move(member);
    m.timeout = options_.timeout;
    return m;
}

void GraceClient::grace(GraceEvent event, std::string address, Handler handler) {
    std::string problem;
    std::string argument = grace_argument(event, address, problem);
    if (argument.empty()) {
        asio::post(connection_->io(), guarded([handler = std::move(handler), problem]() {
                       if (handler) handler(DbusErrc::invalid_argument, problem);
                   }));
        return;
    }
    const std::string what = "grace(\"" + argument + "\")";
    connection_->call(
        method("grace"), [argument](sdbus::MethodCall& call) { call << argument; },
        [](sdbus::MethodReply& reply, std::string& detail) { return grace_reply::read_status(reply, detail); },
        guarded([handler = std::move(handler), what](const DbusCallResult& result) {
            std::string message;
            const auto ec = map_result(result, what, message);
            if (handler) handler(ec, message);
        }));
}

void GraceClient::get_grace(GetGraceHandler handler) {
    // Filled by the reader while sd-bus dispatches, read by the handler later.
    auto in_grace = std::make_shared<bool>(false);
    connection_->call(
        method("get_grace"), nullptr,
        [in_grace](sdbus::MethodReply& reply, std::string& detail) {
            return grace_reply::read_grace_state(reply, *in_grace, detail);
        },
        guarded([handler = std::move(handler), in_grace](const DbusCallResult& result) {
            std::string message;
            const auto ec = map_result(result, "get_grace", message);
            if (handler) handler(ec, !ec && *in_grace, message);
        }));
}

DbusSubscription GraceClient::subscribe_heartbeat(HeartbeatHandler handler) {
    DbusConnection::SignalMatch match{options_.bus_name, std::string(kHeartbeatPath),
                                      std::string(kAdminInterface), std::string(kHeartbeatMember)};
    // Deliveries already posted when the subscription is dropped must not run:
    // they hold the token weakly, the reader (owned by the subscription) strongly.
    auto token = std::make_shared<char>();
    auto deliver = guarded([handler = std::move(handler)](bool healthy) {
        if (handler) handler(healthy);
    });
    return connection_->subscribe(
        std::move(match), [&io = connection_->io(), token, deliver](sdbus::Message& signal) {
            bool healthy = false;
            if (!grace_reply::read_heartbeat(signal, healthy)) return;
            asio::post(io, [alive = std::weak_ptr<char>(token), deliver, healthy]() mutable {
                if (alive.lock()) deliver(healthy);
            });
        });
}

}  // namespace gha
