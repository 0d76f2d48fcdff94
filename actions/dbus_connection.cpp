#include "actions/dbus_connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <sdbus-c++/sdbus-c++.h>
#include <utility>

namespace gha {
namespace {

constexpr std::string_view kDefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";
// A credentials byte and a bare AUTH: any bus daemon answers with a REJECTED
// line listing its mechanisms, which is all we need to know it is alive.
constexpr std::string_view kSaslProbe{"\0AUTH\r\n", 7};
constexpr std::size_t kMaxSaslLine = 512;
// Messages dispatched per turn before other handlers get the loop again.
constexpr int kMaxDispatchPerRound = 64;

class DbusCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "gha.dbus"; }
    std::string message(int value) const override {
        switch (static_cast<DbusErrc>(value)) {
            case DbusErrc::bus_unreachable: return "D-Bus bus unreachable";
            case DbusErrc::service_unknown: return "service not on the bus";
            case DbusErrc::timeout: return "no reply in time";
            case DbusErrc::refused: return "request refused";
            case DbusErrc::bad_reply: return "unexpected reply";
            case DbusErrc::invalid_argument: return "invalid argument";
            case DbusErrc::other: return "D-Bus error";
        }
        return "unknown D-Bus error";
    }
};

// The errors sd-bus raises when it finds its socket dead at send time.
bool is_disconnect(const std::string& name) {
    return name == "org.freedesktop.DBus.Error.Disconnected" || name == "System.Error.ENOTCONN" ||
           name == "System.Error.ECONNRESET" || name == "System.Error.EPIPE" ||
           name == "System.Error.ESHUTDOWN" || name == "System.Error.ECONNABORTED";
}

// D-Bus addresses escape bytes as %XX.
std::optional<std::string> unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::string printable_path(const std::string& path) {
    if (!path.empty() && path[0] == '\0') return "@" + path.substr(1);  // abstract
    return path;
}

}  // namespace

const std::error_category& dbus_category() {
    static const DbusCategory category;
    return category;
}

std::error_code make_error_code(DbusErrc e) { return {static_cast<int>(e), dbus_category()}; }

std::string_view dbus_reason(std::error_code ec) {
    if (!ec) return "ok";
    if (ec.category() != dbus_category()) return "other";
    switch (static_cast<DbusErrc>(ec.value())) {
        case DbusErrc::bus_unreachable: return "bus_unreachable";
        case DbusErrc::service_unknown: return "service_unknown";
        case DbusErrc::timeout: return "timeout";
        case DbusErrc::refused: return "refused";
        case DbusErrc::bad_reply: return "bad_reply";
        case DbusErrc::invalid_argument: return "invalid_argument";
        case DbusErrc::other: return "other";
    }
    return "other";
}

// ------------------------------------------------------------ subscription

DbusSubscription::DbusSubscription(DbusSubscription&& other) noexcept
    : connection_(std::move(other.connection_)), id_(std::exchange(other.id_, 0)) {}

DbusSubscription& DbusSubscription::operator=(DbusSubscription&& other) noexcept {
    if (this != &other) {
        reset();
        connection_ = std::move(other.connection_);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void DbusSubscription::reset() {
    if (id_ != 0) {
        if (auto connection = connection_.lock()) connection->unsubscribe(id_);
    }
    connection_.reset();
    id_ = 0;
}

struct DbusConnection::Subscription {
    std::string rule;
    std::string owner_of;  // deliver only from the current owner of this name
    SignalReader reader;
    sdbus::Slot slot;     // empty while not installed
    std::string problem;  // why the last install failed
};

struct DbusConnection::Probe {
    explicit Probe(asio::io_context& io) : socket(io), timer(io) {}
    asio::local::stream_protocol::socket socket;
    asio::steady_timer timer;
    std::string answer;
    std::string path;
};

// ------------------------------------------------------------ connection

DbusConnection::DbusConnection(asio::io_context& io, DbusConnectionOptions options)
    : io_(io), options_(std::move(options)), timer_(io) {}

DbusConnection::~DbusConnection() {
    if (probe_) {
        std::error_code ignored;
        probe_->socket.close(ignored);
        probe_->timer.cancel();
        probe_.reset();
    }
    drop("connection closed", false);
    subscriptions_.clear();
}

std::string DbusConnection::address() const {
    if (!options_.address.empty()) return options_.address;
    // sd_bus_open_system reads the same variable (with secure_getenv).
    if (const char* env = std::getenv("DBUS_SYSTEM_BUS_ADDRESS"); env != nullptr && *env != '\0')
        return env;
    return std::string(kDefaultSystemBus);
}

std::optional<std::string> DbusConnection::unix_socket_path(std::string_view address) {
    while (!address.empty() && address.back() == ';') address.remove_suffix(1);
    if (address.find(';') != std::string_view::npos) return std::nullopt;  // several: sd-bus tries each
    constexpr std::string_view kUnix = "unix:";
    if (address.substr(0, kUnix.size()) != kUnix) return std::nullopt;
    address.remove_prefix(kUnix.size());
    std::optional<std::string> path;
    while (!address.empty()) {
        const auto comma = address.find(',');
        const auto pair = address.substr(0, comma);
        address = comma == std::string_view::npos ? std::string_view{} : address.substr(comma + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        const auto key = pair.substr(0, eq);
        auto value = unescape(pair.substr(eq + 1));
        if (!value || value->empty()) return std::nullopt;
        if (key == "path") {
            path = std::move(*value);
        } else if (key == "abstract") {
            path = std::string(1, '\0') + *value;
        } else if (key != "guid") {
            return std::nullopt;  // runtime=, tmpdir=, dir=: not a fixed socket
        }
    }
    return path;
}

DbusCallResult DbusConnection::classify(const std::string& name, const std::string& message) {
    DbusCallResult result;
    result.error_name = name;
    result.detail = name + ": " + message;
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
        result.error = DbusErrc::service_unknown;
    } else if (name == "org.freedesktop.DBus.Error.NoReply" || name == "org.freedesktop.DBus.Error.Timeout" ||
               name == "org.freedesktop.DBus.Error.TimedOut") {
        if (message == "Connection terminated") {
            // sd-bus's synthetic reply for calls pending when our bus connection closed.
            result.error = DbusErrc::bus_unreachable;
            result.detail = "bus connection lost with the call pending (" + result.detail + ")";
        } else if (message.find("disconnected from message bus without replying") != std::string::npos) {
            // dbus-daemon: the callee exited (ganesha killed) with our call pending.
            result.error = DbusErrc::service_unknown;
        } else {
            result.error = DbusErrc::timeout;
        }
    } else if (name == "org.freedesktop.DBus.Error.Disconnected") {
        result.error = DbusErrc::bus_unreachable;
    } else {
        result.error = DbusErrc::other;
    }
    return result;
}

void DbusConnection::async_connect(ConnectHandler handler) {
    if (bus_) {
        // Connected: only heal subscriptions whose AddMatch failed earlier.
        std::string problem;
        for (auto& [id, subscription] : subscriptions_) {
            if (!subscription->slot) install(id, *subscription);
            if (!subscription->slot && problem.empty()) problem = "AddMatch failed: " + subscription->problem;
        }
        arm();  // a synchronous AddMatch may have queued other messages
        if (handler) {
            const std::error_code ec = problem.empty() ? std::error_code{} : make_error_code(DbusErrc::other);
            asio::post(io_, guarded([handler = std::move(handler), ec, problem]() { handler(ec, problem); }));
        }
        return;
    }
    if (handler) connect_waiters_.push_back(std::move(handler));
    if (!probe_) start_probe();
}

void DbusConnection::start_probe() {
    const auto path = unix_socket_path(address());
    if (!path) {  // not a plain unix socket: let sd-bus connect directly
        open_bus();
        return;
    }
    auto probe = std::make_shared<Probe>(io_);
    probe->path = *path;
    probe_ = probe;

    probe->timer.expires_after(options_.connect_timeout);
    probe->timer.async_wait(guarded([this, probe](std::error_code ec) {
        if (ec || probe_ != probe) return;
        probe_done(probe, DbusErrc::bus_unreachable,
                   "no answer from the bus at " + printable_path(probe->path) + " within " +
                       std::to_string(options_.connect_timeout.count()) + " ms (bus daemon stopped?)");
    }));

    asio::local::stream_protocol::endpoint endpoint;
    try {
        endpoint = asio::local::stream_protocol::endpoint(probe->path);
    } catch (const std::system_error& e) {
        probe_done(probe, DbusErrc::bus_unreachable, "bad bus socket path " + printable_path(probe->path) + ": " + e.what());
        return;
    }
    probe->socket.async_connect(endpoint, guarded([this, probe](std::error_code ec) {
        if (probe_ != probe) return;
        if (ec) {
            probe_done(probe, DbusErrc::bus_unreachable,
                       "cannot connect to the bus at " + printable_path(probe->path) + ": " + ec.message());
            return;
        }
        asio::async_write(
            probe->socket, asio::buffer(kSaslProbe.data(), kSaslProbe.size()),
            guarded([this, probe](std::error_code wec, std::size_t) {
                if (probe_ != probe) return;
                if (wec) {
                    probe_done(probe, DbusErrc::bus_unreachable,
                               "bus at " + printable_path(probe->path) + ": " + wec.message());
                    return;
                }
                asio::async_read_until(
                    probe->socket, asio::dynamic_buffer(probe->answer, kMaxSaslLine), "\r\n",
                    guarded([this, probe](std::error_code rec, std::size_t) {
                        if (probe_ != probe) return;
                        if (rec) {
                            probe_done(probe, DbusErrc::bus_unreachable,
                                       "bus at " + printable_path(probe->path) +
                                           " dropped the handshake: " + rec.message());
                            return;
                        }
                        probe_done(probe, {}, {});
                    }));
            }));
    }));
}

void DbusConnection::probe_done(const std::shared_ptr<Probe>& probe, std::error_code ec, const std::string& detail) {
    std::error_code ignored;
    probe->socket.close(ignored);
    probe->timer.cancel();
    probe_.reset();
    if (ec) {
        connect_done(ec, detail);
        return;
    }
    open_bus();
}

void DbusConnection::open_bus() {
    std::unique_ptr<sdbus::IConnection> bus;
    std::optional<asio::posix::stream_descriptor> fd;
    std::string failure;
    try {
        // The bus just answered, so this synchronous connect (socket, SASL,
        // Hello) takes about a millisecond.
        bus = options_.address.empty() ? sdbus::createSystemBusConnection()
                                       : sdbus::createSessionBusConnectionWithAddress(options_.address);
        bus->setMethodCallTimeout(options_.sync_call_timeout);
        // A dup, so that asio owns (and closes) its own descriptor while
        // sd-bus keeps and closes the original.
        const int copy = ::fcntl(bus->getEventLoopPollData().fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup of the bus fd");
        std::error_code ec;
        fd.emplace(io_);
        fd->assign(copy, ec);
        if (ec) {
            ::close(copy);
            throw std::system_error(ec, "watching the bus fd");
        }
    } catch (const sdbus::Error& e) {
        failure = e.getMessage();
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        fd.reset();
        connect_done(DbusErrc::bus_unreachable, "cannot connect to the bus at " + address() + ": " + failure);
        return;
    }
    bus_ = std::move(bus);
    fd_ = std::move(fd);
    ++generation_;
    ++connects_;
    for (auto& [id, subscription] : subscriptions_) install(id, *subscription);
    for (auto& [name, owner] : owners_) query_owner(name);
    arm();
    connect_done({}, {});
}

void DbusConnection::connect_done(std::error_code ec, const std::string& detail) {
    auto waiters = std::exchange(connect_waiters_, {});
    auto waiting = std::exchange(waiting_, {});
    for (auto& waiter : waiters)
        asio::post(io_, guarded([waiter = std::move(waiter), ec, detail]() { waiter(ec, detail); }));
    for (auto& request : waiting) {
        if (ec)
            fail(request, DbusErrc::bus_unreachable, detail);
        else
            send(std::move(request));
    }
}

void DbusConnection::call(Method method, ArgsWriter write, ReplyReader read, CallHandler handler) {
    send(Request{std::move(method), std::move(write), std::move(read), std::move(handler)});
}

void DbusConnection::send(Request request) {
    if (!bus_) {
        waiting_.push_back(std::move(request));
        async_connect(nullptr);
        return;
    }
    const std::uint64_t id = next_id_++;
    std::unique_ptr<sdbus::IProxy> proxy;
    try {
        proxy = sdbus::createProxy(*bus_, request.method.destination, request.method.path);
        auto message = proxy->createMethodCall(request.method.interface, request.method.member);
        if (request.write) request.write(message);
        // sd-bus reads 0 as "its default (25 s)".
        const auto timeout = std::max(std::chrono::microseconds(1),
                                      std::chrono::duration_cast<std::chrono::microseconds>(request.method.timeout));
        // Called back only inside process(), by a proxy that we own and
        // destroy before the bus: `this` is alive whenever this runs.
        proxy->callMethod(
            message,
            [this, id](sdbus::MethodReply& reply, const sdbus::Error* error) { on_reply(id, reply, error); },
            timeout);
    } catch (const sdbus::Error& e) {
        proxy.reset();
        const std::string what = request.method.member + ": " + e.getMessage();
        if (e.getName() == "org.freedesktop.DBus.Error.InvalidArgs") {
            fail(request, DbusErrc::invalid_argument, what);
        } else if (is_disconnect(e.getName()) && !request.retried) {
            // The bus went away and the loop has not seen it yet: nothing was
            // sent, so reconnect and send once more.
            request.retried = true;
            drop("bus connection lost: " + e.getMessage());
            waiting_.push_back(std::move(request));
            async_connect(nullptr);
        } else {
            fail(request, is_disconnect(e.getName()) ? DbusErrc::bus_unreachable : DbusErrc::other, what);
        }
        return;
    } catch (const std::exception& e) {  // from the ArgsWriter
        proxy.reset();
        fail(request, DbusErrc::invalid_argument, request.method.member + ": " + e.what());
        return;
    }
    calls_.emplace(id, InFlight{std::move(proxy), std::move(request)});
    arm();  // a new deadline, perhaps a write to finish
}

void DbusConnection::on_reply(std::uint64_t id, sdbus::MethodReply& reply, const sdbus::Error* error) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    InFlight call = std::move(it->second);
    calls_.erase(it);
    // We are inside this proxy's callback: free it once dispatch returns.
    retired_.push_back(std::move(call.proxy));

    DbusCallResult result;
    if (error != nullptr) {
        result = classify(error->getName(), error->getMessage());
    } else if (call.request.read) {
        try {
            result.error = call.request.read(reply, result.detail);
        } catch (const std::exception& e) {
            result.error = DbusErrc::bad_reply;
            result.detail = call.request.method.member + ": " + e.what();
        }
    }
    post_result(std::move(call.request.handler), std::move(result));
}

std::string DbusConnection::match_rule(const SignalMatch& match) {
    std::string rule = "type='signal'";
    const auto add = [&rule](std::string_view key, const std::string& value) {
        if (value.empty()) return;
        if (value.find('\'') != std::string::npos)
            throw std::invalid_argument("D-Bus match " + std::string(key) + " with a quote: " + value);
        rule += "," + std::string(key) + "='" + value + "'";
    };
    add("sender", match.sender);
    add("path", match.path);
    add("interface", match.interface);
    add("member", match.member);
    return rule;
}

DbusSubscription DbusConnection::subscribe(SignalMatch match, SignalReader reader) {
    std::string rule = match_rule(match);
    const bool well_known = !match.sender.empty() && match.sender[0] != ':';
    if (well_known) watch_owner(match.sender);
    const auto id = add_subscription(std::move(rule), well_known ? match.sender : std::string(), std::move(reader));
    return DbusSubscription(weak_from_this(), id);
}

std::uint64_t DbusConnection::add_subscription(std::string rule, std::string owner_of, SignalReader reader) {
    const std::uint64_t id = next_id_++;
    auto subscription = std::make_unique<Subscription>();
    subscription->rule = std::move(rule);
    subscription->owner_of = std::move(owner_of);
    subscription->reader = std::move(reader);
    auto& added = *subscriptions_.emplace(id, std::move(subscription)).first->second;
    if (bus_) {
        install(id, added);
        arm();  // the synchronous AddMatch may have queued other messages
    } else {
        async_connect(nullptr);
    }
    return id;
}

void DbusConnection::watch_owner(const std::string& name) {
    auto& entry = owners_[name];
    if (entry.users++ > 0) return;
    // Installed before the GetNameOwner call goes out, so no change is missed
    // between the two; the broker sends both in order.
    SignalMatch changes{"org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged"};
    const std::string rule = match_rule(changes) + ",arg0='" + name + "'";
    // Runs only inside process(), while we are alive.
    entry.watch = add_subscription(rule, {}, [this](sdbus::Message& message) {
        if (message.getSender() != "org.freedesktop.DBus") return;
        std::string changed, old_owner, new_owner;
        message >> changed >> old_owner >> new_owner;
        if (auto it = owners_.find(changed); it != owners_.end()) it->second.owner = new_owner;
    });
    if (bus_) query_owner(name);
}

std::string DbusConnection::name_owner(const std::string& name) const {
    const auto it = owners_.find(name);
    return it == owners_.end() ? std::string() : it->second.owner;
}

void DbusConnection::query_owner(const std::string& name) {
    Method method{"org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                  options_.sync_call_timeout};
    // The reader runs in dispatch order with the NameOwnerChanged signals,
    // so the later news always wins. No owner: an error reply, owner stays "".
    send(Request{std::move(method), [name](sdbus::MethodCall& call) { call << name; },
                 [this, name](sdbus::MethodReply& reply, std::string&) -> std::error_code {
                     std::string owner;
                     reply >> owner;
                     if (auto it = owners_.find(name); it != owners_.end()) it->second.owner = owner;
                     return {};
                 },
                 nullptr});
}

void DbusConnection::install(std::uint64_t id, Subscription& subscription) {
    try {
        // Called back only inside process(); the slot is ours and released
        // before the bus, so `this` is alive whenever this runs.
        subscription.slot =
            bus_->addMatch(subscription.rule, [this, id](sdbus::Message& message) { on_signal(id, message); });
        subscription.problem.clear();
    } catch (const sdbus::Error& e) {
        subscription.problem = e.getMessage();
    }
}

void DbusConnection::unsubscribe(std::uint64_t id) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    const std::string owner_of = it->second->owner_of;
    subscriptions_.erase(it);  // the slot's release sends RemoveMatch without waiting
    if (!owner_of.empty()) {
        auto owner = owners_.find(owner_of);
        if (owner != owners_.end() && --owner->second.users == 0) {
            const auto watch = owner->second.watch;
            owners_.erase(owner);
            subscriptions_.erase(watch);
        }
    }
    if (bus_) arm();
}

void DbusConnection::on_signal(std::uint64_t id, sdbus::Message& message) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end() || !it->second->reader) return;
    if (const auto& name = it->second->owner_of; !name.empty()) {
        const auto owner = owners_.find(name);
        if (owner == owners_.end() || owner->second.owner.empty() || message.getSender() != owner->second.owner)
            return;  // another sender's signal, let through for another rule
    }
    try {
        it->second->reader(message);
    } catch (...) {
        // Nothing may unwind through sd-bus's C code; a bad signal is dropped.
    }
}

void DbusConnection::disconnect() {
    if (probe_) probe_done(probe_, DbusErrc::bus_unreachable, "disconnected by request");
    drop("disconnected by request");
}

void DbusConnection::process() {
    if (!bus_) return;
    try {
        for (int i = 0; i < kMaxDispatchPerRound; ++i) {
            if (!bus_->processPendingRequest()) {
                // sd-bus read until EAGAIN: the next byte makes a new edge.
                retired_.clear();
                arm();
                return;
            }
        }
    } catch (const sdbus::Error& e) {
        drop("bus connection lost: " + e.getMessage());
        return;
    }
    retired_.clear();
    // Still busy: let other handlers have the loop, then go on.
    asio::post(io_, guarded([this, generation = generation_]() {
        if (generation == generation_) process();
    }));
}

void DbusConnection::arm() {
    if (!bus_ || !fd_) return;
    sdbus::IConnection::PollData poll{};
    try {
        poll = bus_->getEventLoopPollData();
    } catch (const sdbus::Error& e) {
        drop("bus connection lost: " + e.getMessage());
        return;
    }
    if ((poll.events & POLLIN) && !read_waiting_) wait_fd(false);
    if ((poll.events & POLLOUT) && !write_waiting_) wait_fd(true);

    if (poll.timeout_usec == std::numeric_limits<std::uint64_t>::max()) {  // no deadline
        if (timer_armed_) {
            timer_armed_ = false;
            ++timer_seq_;
            timer_.cancel();
        }
        return;
    }
    // sd-bus gives an absolute CLOCK_MONOTONIC time, which is the clock of
    // std::chrono::steady_clock (and so of asio::steady_timer) on Linux.
    const auto deadline = std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::microseconds(static_cast<std::int64_t>(poll.timeout_usec))));
    if (timer_armed_ && deadline == timer_deadline_) return;
    timer_armed_ = true;
    timer_deadline_ = deadline;
    const std::uint64_t seq = ++timer_seq_;
    timer_.expires_at(deadline);  // cancels the previous wait
    timer_.async_wait(guarded([this, seq](std::error_code ec) {
        if (ec || seq != timer_seq_) return;
        timer_armed_ = false;
        process();
    }));
}

void DbusConnection::wait_fd(bool write) {
    (write ? write_waiting_ : read_waiting_) = true;
    fd_->async_wait(write ? asio::posix::stream_descriptor::wait_write : asio::posix::stream_descriptor::wait_read,
                    guarded([this, write, generation = generation_](std::error_code ec) {
                        if (generation != generation_) return;  // a connection we dropped
                        (write ? write_waiting_ : read_waiting_) = false;
                        if (ec) {
                            if (ec != asio::error::operation_aborted)
                                drop("waiting on the bus socket: " + ec.message());
                            return;
                        }
                        process();
                    }));
}

void DbusConnection::drop(const std::string& reason, bool notify) {
    if (!bus_) return;
    ++generation_;
    ++timer_seq_;
    timer_armed_ = false;
    timer_.cancel();
    read_waiting_ = write_waiting_ = false;
    if (fd_) {
        std::error_code ignored;
        fd_->close(ignored);
        fd_.reset();
    }
    auto calls = std::exchange(calls_, {});
    // Everything that references the sd-bus connection goes before it.
    retired_.clear();
    for (auto& [id, subscription] : subscriptions_) subscription->slot.reset();
    for (auto& [name, owner] : owners_) owner.owner.clear();
    for (auto& [id, call] : calls) call.proxy.reset();
    bus_.reset();
    if (!notify) return;
    for (auto& [id, call] : calls) fail(call.request, DbusErrc::bus_unreachable, reason);
}

void DbusConnection::post_result(CallHandler handler, DbusCallResult result) {
    if (!handler) return;
    asio::post(io_, guarded([handler = std::move(handler), result = std::move(result)]() { handler(result); }));
}

void DbusConnection::fail(Request& request, DbusErrc code, const std::string& detail) {
    DbusCallResult result;
    result.error = code;
    result.detail = detail;
    post_result(std::move(request.handler), std::move(result));
}

}  // namespace gha
