// One D-Bus connection (sdbus-c++ 1.2 on sd-bus) driven by the daemon's asio
// loop: no sdbus event-loop thread and no blocking wait on the loop. sd-bus
// says which fd events and which deadline it needs (getEventLoopPollData); a
// stream_descriptor on a dup() of the bus fd waits for the events, a
// steady_timer for the deadline (the earliest pending call's timeout), and
// every wake-up runs processPendingRequest() until sd-bus has nothing left,
// then re-arms both.
//
// Connecting is lazy: the first call connects, and so does the first call
// after the bus went away (bus restart). sd-bus's own connect is synchronous
// and, against a bus daemon that accepts but never answers (SIGSTOPped), sits
// in its 90 s authentication timeout (measured with libsystemd 252). So a
// connect first probes the socket asynchronously (connect + one SASL line,
// bounded by connect_timeout), and only a bus that answered gets the
// synchronous sd-bus connect, which then takes about a millisecond.
//
// Handlers are always posted to the loop: never run inside call()/subscribe(),
// never inside sd-bus dispatch, and never after the DbusConnection is gone.
// Use it from the loop's thread only (one io_context thread, as everywhere).
//
// Known bound: dropping a connection calls sd_bus_flush_close_unref, which
// would wait for unsent bytes; those exist only if the bus stopped reading
// while our socket buffer filled up (hundreds of KiB of calls), never with
// this daemon's traffic.
#pragma once

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sdbus {
class Error;
class IConnection;
class IProxy;
class Message;
class MethodCall;
class MethodReply;
}  // namespace sdbus

namespace gha {

enum class DbusErrc {
    bus_unreachable = 1,  // no bus socket, refused, no answer, or the connection was lost
    service_unknown,      // the destination name has no owner (ganesha.nfsd not running)
    timeout,              // no reply within the call's timeout (a SIGSTOPped peer)
    refused,              // the peer said no (ganesha: status false or its error reply)
    bad_reply,            // the reply does not have the expected signature
    invalid_argument,     // rejected before anything was sent
    other,                // any other D-Bus error (its name is in the detail)
};

const std::error_category& dbus_category();
std::error_code make_error_code(DbusErrc e);
// "bus_unreachable", "timeout", ...: a bounded label for logs and metrics
// ("ok" for no error, "other" for codes of other categories).
std::string_view dbus_reason(std::error_code ec);

}  // namespace gha

template <>
struct std::is_error_code_enum<gha::DbusErrc> : std::true_type {};

namespace gha {

struct DbusConnectionOptions {
    // "" = the system bus: $DBUS_SYSTEM_BUS_ADDRESS, else
    // unix:path=/run/dbus/system_bus_socket (what sd_bus_open_system uses).
    std::string address;
    // Deadline for the connect probe (socket connect + first SASL answer).
    std::chrono::milliseconds connect_timeout{1000};
    // Bound for the synchronous bus calls sd-bus makes by itself (AddMatch
    // when a subscription is installed). Only made right after the bus
    // answered, but a bound all the same.
    std::chrono::milliseconds sync_call_timeout{1000};
};

struct DbusCallResult {
    std::error_code error;   // DbusErrc; empty on success
    std::string error_name;  // the D-Bus error name when the reply was an error
    std::string detail;      // one human line
};

class DbusConnection;

// Unsubscribes when destroyed or reset(). Survives reconnects: the match is
// installed again on every new connection.
class DbusSubscription {
public:
    DbusSubscription() = default;
    ~DbusSubscription() { reset(); }
    DbusSubscription(const DbusSubscription&) = delete;
    DbusSubscription& operator=(const DbusSubscription&) = delete;
    DbusSubscription(DbusSubscription&& other) noexcept;
    DbusSubscription& operator=(DbusSubscription&& other) noexcept;

    void reset();
    explicit operator bool() const { return id_ != 0; }

private:
    friend class DbusConnection;
    DbusSubscription(std::weak_ptr<DbusConnection> connection, std::uint64_t id)
        : connection_(std::move(connection)), id_(id) {}
    std::weak_ptr<DbusConnection> connection_;
    std::uint64_t id_ = 0;
};

class DbusConnection : public std::enable_shared_from_this<DbusConnection> {
public:
    struct Method {
        std::string destination;  // bus name
        std::string path;
        std::string interface;
        std::string member;
        std::chrono::milliseconds timeout{2000};
    };
    using ArgsWriter = std::function<void(sdbus::MethodCall&)>;
    // Runs while sd-bus dispatches the reply: read the reply and nothing else
    // (no calls on this connection). Returns an error (bad_reply, refused) or
    // none; may fill detail. An exception counts as bad_reply.
    using ReplyReader = std::function<std::error_code(sdbus::MethodReply&, std::string& detail)>;
    using CallHandler = std::function<void(const DbusCallResult&)>;
    // What a subscription listens to. A well-known sender name is resolved
    // to its current owner and checked here too: sd-bus cannot match
    // well-known senders locally and lets every signal through that the bus
    // delivered for *any* rule of the connection (measured: two
    // subscriptions for g1.org.ganesha.nfsd and org.ganesha.nfsd both got
    // g1's heartbeats).
    struct SignalMatch {
        std::string sender;  // well-known or unique name; "" = anyone
        std::string path;
        std::string interface;
        std::string member;
    };
    // Runs while sd-bus dispatches the signal; same rules as ReplyReader
    // (post anything else to io()). Exceptions are swallowed.
    using SignalReader = std::function<void(sdbus::Message&)>;
    using ConnectHandler = std::function<void(std::error_code, const std::string& detail)>;

    // Must be owned by a shared_ptr: async handlers hold weak references.
    explicit DbusConnection(asio::io_context& io, DbusConnectionOptions options = {});
    ~DbusConnection();
    DbusConnection(const DbusConnection&) = delete;
    DbusConnection& operator=(const DbusConnection&) = delete;

    // Connects unless connected; handler (may be empty) gets the outcome.
    void async_connect(ConnectHandler handler);
    // One method call; connects first if needed. The call's timeout is
    // enforced by sd-bus (its deadline drives our timer).
    void call(Method method, ArgsWriter write, ReplyReader read, CallHandler handler);
    // Installed now if connected (a synchronous AddMatch, bounded by
    // sync_call_timeout), else on the next connect, which this starts.
    // Throws std::invalid_argument for a field with a quote in it.
    [[nodiscard]] DbusSubscription subscribe(SignalMatch match, SignalReader reader);
    // Drops the connection (calls in flight fail with bus_unreachable).
    void disconnect();

    bool connected() const { return bus_ != nullptr; }
    bool connecting() const { return probe_ != nullptr; }
    std::uint64_t connects() const { return connects_; }  // successful connects so far
    std::size_t calls_in_flight() const { return calls_.size() + waiting_.size(); }
    // The unique name owning `name`, for a well-known name that a
    // subscription filters on: "" when it has no owner, before the answer to
    // our query came, or while disconnected.
    std::string name_owner(const std::string& name) const;
    // The address a connect uses (options, environment, or the default).
    std::string address() const;
    asio::io_context& io() { return io_; }

    // Exposed for unit tests: the socket path of a single unix: address
    // ("\0name" for abstract sockets), or nullopt when the address is
    // something else (the probe is then skipped).
    static std::optional<std::string> unix_socket_path(std::string_view address);
    // Maps a D-Bus error reply to our codes.
    static DbusCallResult classify(const std::string& name, const std::string& message);
    // "type='signal',sender='...',path='...',interface='...',member='...'".
    static std::string match_rule(const SignalMatch& match);

private:
    struct Request {
        Method method;
        ArgsWriter write;
        ReplyReader read;
        CallHandler handler;
        bool retried = false;  // resent once after a connection found dead at send time
    };
    struct InFlight {
        std::unique_ptr<sdbus::IProxy> proxy;
        Request request;
    };
    struct Subscription;
    struct Probe;
    struct NameOwner {
        int users = 0;
        std::string owner;  // unique name; "" = none or not known yet
        std::uint64_t watch = 0;  // our NameOwnerChanged subscription
    };

    void start_probe();
    void probe_done(const std::shared_ptr<Probe>& probe, std::error_code ec, const std::string& detail);
    void open_bus();
    void connect_done(std::error_code ec, const std::string& detail);
    void send(Request request);
    std::uint64_t add_subscription(std::string rule, std::string owner_of, SignalReader reader);
    void install(std::uint64_t id, Subscription& subscription);
    void unsubscribe(std::uint64_t id);
    void watch_owner(const std::string& name);
    void query_owner(const std::string& name);
    void on_reply(std::uint64_t id, sdbus::MethodReply& reply, const sdbus::Error* error);
    void on_signal(std::uint64_t id, sdbus::Message& message);
    void process();
    void arm();
    void wait_fd(bool write);
    void drop(const std::string& reason, bool notify = true);
    void post_result(CallHandler handler, DbusCallResult result);
    void fail(Request& request, DbusErrc code, const std::string& detail);
    template <class Fn>
    auto guarded(Fn fn) {  // does nothing once we are gone
        return [weak = weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
            if (auto self = weak.lock()) fn(std::forward<decltype(args)>(args)...);
        };
    }

    friend class DbusSubscription;

    asio::io_context& io_;
    DbusConnectionOptions options_;
    // Declaration order matters for destruction: everything that references
    // the sd-bus connection (proxies, match slots) goes before bus_.
    std::unique_ptr<sdbus::IConnection> bus_;
    std::map<std::uint64_t, std::unique_ptr<Subscription>> subscriptions_;
    std::map<std::string, NameOwner> owners_;  // well-known senders we filter on
    std::map<std::uint64_t, InFlight> calls_;
    // Proxies whose reply callback is running: freed after dispatch returns.
    std::vector<std::unique_ptr<sdbus::IProxy>> retired_;
    std::vector<Request> waiting_;  // for the connect in progress
    std::vector<ConnectHandler> connect_waiters_;
    std::shared_ptr<Probe> probe_;
    std::optional<asio::posix::stream_descriptor> fd_;  // a dup() of the bus fd
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point timer_deadline_{};
    bool timer_armed_ = false;
    std::uint64_t timer_seq_ = 0;
    bool read_waiting_ = false;
    bool write_waiting_ = false;
    std::uint64_t generation_ = 0;  // bumped per connect and drop: stale waits do nothing
    std::uint64_t next_id_ = 1;
    std::uint64_t connects_ = 0;
};

}  // namespace gha
