// ganesha.nfsd's admin interface over a DbusConnection: grace(s),
// get_grace() and the heartbeat signal. Everything is asynchronous and every
// handler is posted to the loop; a handler never runs once its GraceClient is
// gone.
//
// What ganesha 4.3 really does (checked against the running server):
//  - grace("E:ADDR") splits at the first ':'. Without a ':' the whole string
//    is taken as an address for event 5 (take IP), so just-grace must be
//    "0:", never "0" (that logs "recovery event 5 nodeid -1 ip 0").
//  - "2:" with an empty address releases *every* NFSv4 client (an empty
//    address matches all), so empty addresses are refused here.
//  - A refusal does not come back as (false, message): ganesha's dispatcher
//    turns it into a D-Bus error named "org.ganesha.nfsd.admin" whose message
//    is the method name; the reason is only in ganesha's log.
//  - get_grace replies (b in_grace, b success, s message), in that order.
//  - heartbeat(b) comes from path /org/ganesha/nfsd/heartbeat every
//    NFS_CORE_PARAM Heartbeat_Freq ms (default 1000), only while ganesha's
//    request queue makes progress; the same thread serves the D-Bus methods.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "actions/dbus_connection.hpp"

namespace gha {

enum class GraceEvent : int {
    just_grace = 0,   // no address
    release_ip = 2,   // address: the IP whose clients are released
    take_nodeid = 4,  // address: a decimal node id
    take_ip = 5,      // address: the IP (or host name) taken over
};

struct GraceClientOptions {
    std::string bus_name = "org.ganesha.nfsd";  // bus_name_for_prefix() for Dbus_Name_Prefix
    std::chrono::milliseconds timeout{2000};    // per call
};

class GraceClient : public std::enable_shared_from_this<GraceClient> {
public:
    static constexpr std::string_view kAdminPath = "/org/ganesha/nfsd/admin";
    static constexpr std::string_view kAdminInterface = "org.ganesha.nfsd.admin";
    static constexpr std::string_view kHeartbeatPath = "/org/ganesha/nfsd/heartbeat";
    static constexpr std::string_view kHeartbeatMember = "heartbeat";

    // ec: empty or DbusErrc. message: ganesha's message on success ("Started
    // grace period"), otherwise one human line about the failure.
    using Handler = std::function<void(std::error_code ec, const std::string& message)>;
    using GetGraceHandler = std::function<void(std::error_code ec, bool in_grace, const std::string& message)>;
    using HeartbeatHandler = std::function<void(bool healthy)>;

    // Must be owned by a shared_ptr: async handlers hold weak references.
    GraceClient(std::shared_ptr<DbusConnection> connection, GraceClientOptions options = {});

    // "org.ganesha.nfsd", or "PREFIX.org.ganesha.nfsd" for Dbus_Name_Prefix = PREFIX.
    static std::string bus_name_for_prefix(std::string_view prefix);
    // The grace() argument ("0:", "5:10.0.0.1", "4:2"), or an empty string
    // and `problem` set when the address does not fit the event.
    static std::string grace_argument(GraceEvent event, std::string_view address, std::string& problem);
    // Our error for a finished call of `member` (ganesha's refusal -> refused).
    static std::error_code map_result(const DbusCallResult& result, std::string_view member, std::string& message);

    void grace(GraceEvent event, std::string address, Handler handler);
    void get_grace(GetGraceHandler handler);
    // Handler gets every heartbeat of this bus name. Installed on the shared
    // connection now or at its next connect; after the bus restarted it comes
    // back with the next call or DbusConnection::async_connect().
    [[nodiscard]] DbusSubscription subscribe_heartbeat(HeartbeatHandler handler);

    const GraceClientOptions& options() const { return options_; }
    const std::shared_ptr<DbusConnection>& connection() const { return connection_; }

private:
    DbusConnection::Method method(std::string member) const;
    template <class Fn>
    auto guarded(Fn fn) {  // does nothing once we are gone
        return [weak = weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
            if (auto self = weak.lock()) fn(std::forward<decltype(args)>(args)...);
        };
    }

    std::shared_ptr<DbusConnection> connection_;
    GraceClientOptions options_;
};

}  // namespace gha
