// GraceClient and DbusConnection against a real ganesha.nfsd (MEM FSAL) on a
// private dbus-daemon. Every wait runs the io_context in small slices until a
// condition holds or a deadline passes; nothing sleeps to be correct.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sdbus-c++/sdbus-c++.h>
#include <string>
#include <vector>

#include "actions/dbus_connection.hpp"
#include "actions/grace_client.hpp"
#include "tests/support/ganesha_lab.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using Monotonic = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long ms_between(Monotonic::time_point a, Monotonic::time_point b) {
    return std::chrono::duration_cast<milliseconds>(b - a).count();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
}

// Sets DBUS_SYSTEM_BUS_ADDRESS for one test and puts the old value back.
class ScopedBusAddress {
public:
    ScopedBusAddress() {
        if (const char* old = ::getenv(kName)) old_ = old;
    }
    ~ScopedBusAddress() {
        if (old_)
            ::setenv(kName, old_->c_str(), 1);
        else
            ::unsetenv(kName);
    }
    void set(const std::string& value) { ::setenv(kName, value.c_str(), 1); }

private:
    static constexpr const char* kName = "DBUS_SYSTEM_BUS_ADDRESS";
    std::optional<std::string> old_;
};

struct Outcome {
    bool done = false;
    std::error_code ec;
    bool in_grace = false;
    std::string message;
    Monotonic::time_point at{};
};

// Counts 10 ms ticks and the longest gap between two: a blocked loop shows.
class Ticker {
public:
    explicit Ticker(asio::io_context& io) : timer_(io) {}
    void start() {
        last_ = Monotonic::now();
        arm();
    }
    void stop() {
        stopped_ = true;
        timer_.cancel();
    }
    int ticks() const { return ticks_; }
    long long max_gap_ms() const { return max_gap_ms_; }

private:
    void arm() {
        timer_.expires_after(10ms);
        timer_.async_wait([this](std::error_code ec) {
            if (ec || stopped_) return;
            const auto now = Monotonic::now();
            max_gap_ms_ = std::max(max_gap_ms_, ms_between(last_, now));
            last_ = now;
            ++ticks_;
            arm();
        });
    }
    asio::steady_timer timer_;
    Monotonic::time_point last_{};
    int ticks_ = 0;
    long long max_gap_ms_ = 0;
    bool stopped_ = false;
};

// SIGSTOP takes effect asynchronously: a thread that is running (measured:
// ganesha's main thread right after start-up) may go on for a moment, and
// could still answer a call sent at once.
bool all_threads_stopped(pid_t pid) {
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        const auto stat = lab::read_file(task.path().string() + "/stat");
        const auto paren = stat.rfind(')');
        if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
        if (stat[paren + 2] != 'T' && stat[paren + 2] != 't') return false;
    }
    return !ec;
}

class GraceTest : public ::testing::Test {
protected:
    void SetUp() override {
        bus.emplace(dir.path());
        // The production path: no address in the options, sd-bus and the
        // probe both take the system bus from the environment.
        env.set(bus->address());
    }

    void start_ganesha(std::uint16_t n, const std::string& prefix = {}) {
        auto g = lab::ganesha_on_bus(dir.file("nfsd"), static_cast<std::uint16_t>(22000 + n), *bus);
        g.dbus_name_prefix = prefix;
        nfsd.emplace(g);
        nfsd->start();
    }

    std::shared_ptr<GraceClient> make_client(GraceClientOptions options = {}, DbusConnectionOptions bus_options = {}) {
        connection = std::make_shared<DbusConnection>(io, bus_options);
        return std::make_shared<GraceClient>(connection, options);
    }

    bool run_until(const std::function<bool()>& cond, milliseconds deadline) {
        const auto end = Monotonic::now() + deadline;
        while (!cond()) {
            if (Monotonic::now() >= end) return false;
            io.run_for(10ms);
        }
        return true;
    }

    std::shared_ptr<Outcome> start_grace(GraceClient& client, GraceEvent event, const std::string& address) {
        auto out = std::make_shared<Outcome>();
        client.grace(event, address, [out](std::error_code ec, const std::string& message) {
            out->done = true;
            out->ec = ec;
            out->message = message;
            out->at = Monotonic::now();
        });
        return out;
    }
    std::shared_ptr<Outcome> start_get_grace(GraceClient& client) {
        auto out = std::make_shared<Outcome>();
        client.get_grace([out](std::error_code ec, bool in_grace, const std::string& message) {
            out->done = true;
            out->ec = ec;
            out->in_grace = in_grace;
            out->message = message;
            out->at = Monotonic::now();
        });
        return out;
    }
    Outcome grace(GraceClient& client, GraceEvent event, const std::string& address) {
        auto out = start_grace(client, event, address);
        EXPECT_TRUE(run_until([&] { return out->done; }, 5s)) << "grace never finished";
        return *out;
    }
    Outcome get_grace(GraceClient& client) {
        auto out = start_get_grace(client);
        EXPECT_TRUE(run_until([&] { return out->done; }, 5s)) << "get_grace never finished";
        return *out;
    }

    // ganesha owns its bus name a little after it answers RPC NULL.
    void wait_service(GraceClient& client) {
        Outcome last;
        const bool up = run_until(
            [&] {
                last = get_grace(client);
                return last.ec != DbusErrc::service_unknown;
            },
            5s);
        ASSERT_TRUE(up) << "ganesha never showed up on the bus: " << last.message;
        ASSERT_FALSE(last.ec) << last.message;
    }

    // Started with no client records, ganesha lifts its start-up grace at
    // the first reaper run.
    void wait_not_in_grace(GraceClient& client) {
        Outcome last;
        ASSERT_TRUE(run_until(
            [&] {
                last = get_grace(client);
                return !last.ec && !last.in_grace;
            },
            15s))
            << "still in grace: " << last.message;
    }

    std::string ganesha_log() const { return lab::read_file(nfsd->log_path()); }

    void stop_ganesha() {
        ASSERT_TRUE(nfsd->kill(SIGSTOP));
        ASSERT_TRUE(lab::wait_until([&] { return all_threads_stopped(nfsd->pid()); }, 2000ms));
    }

    lab::TempDir dir;  // first: removed after the processes are gone
    std::optional<lab::DbusDaemon> bus;
    std::optional<lab::Ganesha> nfsd;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    std::shared_ptr<DbusConnection> connection;  // after io: closed before it
    ScopedBusAddress env;
};

TEST_F(GraceTest, TakeIpStartsGraceThatGetGraceAndTheLogShow) {
    start_ganesha(1);
    auto client = make_client();
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_NO_FATAL_FAILURE(wait_not_in_grace(*client));
    // A client record for the address taken over: grace then lasts its full
    // Grace_Period instead of ending at the next reaper run.
    std::filesystem::create_directories(nfsd->recovery_root() + "/127.0.0.2/v4recov/::ffff:127.0.0.9-(15:Linux NFSv4.2 c)");

    const auto taken = grace(*client, GraceEvent::take_ip, "127.0.0.2");
    ASSERT_FALSE(taken.ec) << taken.message;
    EXPECT_EQ(taken.message, "Started grace period");

    const auto state = get_grace(*client);
    ASSERT_FALSE(state.ec) << state.message;
    EXPECT_TRUE(state.in_grace);
    EXPECT_EQ(state.message, "get grace success");

    const std::string line = "nfs_start_grace :STATE :EVENT :NFS Server recovery event 5 nodeid -1 ip 127.0.0.2";
    EXPECT_TRUE(lab::wait_until([&] { return ganesha_log().find(line) != std::string::npos; }, 2000ms))
        << lab::tail_file(nfsd->log_path());
    EXPECT_EQ(connection->connects(), 1u);
}

TEST_F(GraceTest, JustGraceStartsGraceWithoutARecoveryEvent) {
    start_ganesha(2);
    auto client = make_client();
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_NO_FATAL_FAILURE(wait_not_in_grace(*client));
    const auto before = ganesha_log();

    const auto result = grace(*client, GraceEvent::just_grace, "");
    ASSERT_FALSE(result.ec) << result.message;
    EXPECT_EQ(result.message, "Started grace period");
    const auto state = get_grace(*client);
    ASSERT_FALSE(state.ec) << state.message;

    ASSERT_TRUE(lab::wait_until(
        [&] { return count_of(ganesha_log(), "NFS Server Now IN GRACE") > count_of(before, "NFS Server Now IN GRACE"); },
        2000ms));
    const auto after = ganesha_log();
    // "0:" is event 0; a bare "0" would have been "recovery event 5 ... ip 0".
    EXPECT_EQ(count_of(after, "recovery event"), count_of(before, "recovery event")) << after;
    // Without client records the reaper may lift it again within a few seconds.
    const bool lifted = count_of(after, "NOT IN GRACE") > count_of(before, "NOT IN GRACE");
    EXPECT_TRUE(state.in_grace || lifted);
}

TEST_F(GraceTest, PrefixedBusNameAndItsOwnHeartbeat) {
    start_ganesha(3, "gha3");
    GraceClientOptions options;
    options.bus_name = GraceClient::bus_name_for_prefix("gha3");
    ASSERT_EQ(options.bus_name, "gha3.org.ganesha.nfsd");
    auto client = make_client(options);
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));

    const auto result = grace(*client, GraceEvent::take_ip, "127.0.0.3");
    ASSERT_FALSE(result.ec) << result.message;
    EXPECT_TRUE(lab::wait_until(
        [&] { return ganesha_log().find("recovery event 5 nodeid -1 ip 127.0.0.3") != std::string::npos; }, 2000ms));

    // The plain name is nobody's on this bus.
    auto plain = std::make_shared<GraceClient>(connection, GraceClientOptions{});
    EXPECT_EQ(get_grace(*plain).ec, DbusErrc::service_unknown);

    // Signals are matched on the (well-known) sender: only the prefixed
    // subscription hears this ganesha.
    int prefixed_beats = 0, plain_beats = 0;
    auto a = client->subscribe_heartbeat([&](bool) { ++prefixed_beats; });
    auto b = plain->subscribe_heartbeat([&](bool) { ++plain_beats; });
    EXPECT_TRUE(run_until([&] { return prefixed_beats >= 2; }, 3500ms));
    EXPECT_EQ(plain_beats, 0);
}

TEST_F(GraceTest, KilledGaneshaIsServiceUnknownAtOnce) {
    start_ganesha(4);
    auto client = make_client();
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_TRUE(nfsd->kill(SIGKILL));
    ASSERT_TRUE(nfsd->wait_exited(5000ms));  // reaped: its bus connection is closed

    // The bus may need a moment to drop the name after the socket closed.
    Outcome last;
    ASSERT_TRUE(run_until(
        [&] {
            last = get_grace(*client);
            return last.ec == DbusErrc::service_unknown;
        },
        2000ms))
        << last.message;
    const auto t0 = Monotonic::now();
    const auto again = grace(*client, GraceEvent::take_ip, "127.0.0.2");
    EXPECT_EQ(again.ec, DbusErrc::service_unknown) << again.message;
    EXPECT_LT(ms_between(t0, again.at), 200);
    EXPECT_NE(again.message.find("ServiceUnknown"), std::string::npos) << again.message;
    EXPECT_EQ(dbus_reason(again.ec), "service_unknown");
}

TEST_F(GraceTest, StoppedGaneshaTimesOutWhileTheLoopKeepsRunning) {
    start_ganesha(5);
    GraceClientOptions options;
    options.timeout = 800ms;
    auto client = make_client(options);
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_NO_FATAL_FAILURE(stop_ganesha());

    Ticker ticker(io);
    ticker.start();
    const auto t0 = Monotonic::now();
    auto out = start_get_grace(*client);
    ASSERT_TRUE(run_until([&] { return out->done; }, 3000ms));
    ticker.stop();
    const auto elapsed = ms_between(t0, out->at);

    EXPECT_EQ(out->ec, DbusErrc::timeout) << out->message;
    EXPECT_GE(elapsed, 790);
    EXPECT_LE(elapsed, 800 + 300);
    // 80 ticks if nothing else ran on these 2 shared cores; a blocked loop
    // would show one gap as long as the call.
    EXPECT_GE(ticker.ticks(), 30) << "the loop was not running during the call";
    EXPECT_LE(ticker.max_gap_ms(), 200) << "the loop was blocked";
    EXPECT_EQ(connection->calls_in_flight(), 0u);

    // Resumed: the late reply to the abandoned call is dropped, new calls work.
    ASSERT_TRUE(nfsd->kill(SIGCONT));
    const auto state = get_grace(*client);
    EXPECT_FALSE(state.ec) << state.message;
    EXPECT_EQ(connection->connects(), 1u);
}

TEST_F(GraceTest, StoppedBusIsUnreachableAndTakesGaneshaWithIt) {
    start_ganesha(6);
    auto client = make_client();
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_TRUE(connection->connected());

    bus->stop();
    // The loop sees the hang-up on the bus socket by itself.
    ASSERT_TRUE(run_until([&] { return !connection->connected(); }, 2000ms));
    const auto t0 = Monotonic::now();
    const auto result = get_grace(*client);
    EXPECT_EQ(result.ec, DbusErrc::bus_unreachable) << result.message;
    EXPECT_LT(ms_between(t0, result.at), 200);
    EXPECT_NE(result.message.find(bus->socket_path()), std::string::npos) << result.message;

    // Surprise worth knowing: libdbus exits ganesha.nfsd when its system bus
    // goes away (exit-on-disconnect), without a line in its log.
    EXPECT_TRUE(nfsd->wait_exited(5000ms));
    std::cerr << "ganesha.nfsd after the bus stopped: exit status " << nfsd->exit_status().value_or(-999) << "\n";
}

TEST_F(GraceTest, BusGoneDuringACallFailsItAsUnreachable) {
    start_ganesha(15);
    GraceClientOptions options;
    options.timeout = 10000ms;
    auto client = make_client(options);
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_NO_FATAL_FAILURE(stop_ganesha());
    auto out = start_get_grace(*client);
    io.run_for(50ms);

    ASSERT_FALSE(out->done) << out->ec.message() << ": " << out->message;

    const auto t0 = Monotonic::now();
    bus->stop();
    ASSERT_TRUE(run_until([&] { return out->done; }, 2000ms));
    EXPECT_EQ(out->ec, DbusErrc::bus_unreachable) << out->message;
    EXPECT_LT(ms_between(t0, out->at), 500);
    EXPECT_FALSE(connection->connected());
    ASSERT_TRUE(nfsd->kill(SIGCONT));
}

TEST_F(GraceTest, AnIdleConnectionDoesNotSpin) {
    start_ganesha(16);
    auto client = make_client();
    int beats = 0;
    auto subscription = client->subscribe_heartbeat([&](bool) { ++beats; });
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    const auto cpu_ms = [] {
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000LL +
               (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
    };
    const auto before = cpu_ms();
    const int beats_before = beats;
    run_until([] { return false; }, 2000ms);  // two heartbeats' worth of idling
    EXPECT_GE(beats - beats_before, 1);
    EXPECT_LT(cpu_ms() - before, 100) << "CPU ms used by an idle loop in 2 s";
}

TEST_F(GraceTest, NoBusAtAllFailsFast) {
    bus->stop();
    auto client = make_client();
    const auto t0 = Monotonic::now();
    const auto result = grace(*client, GraceEvent::take_ip, "127.0.0.2");
    EXPECT_EQ(result.ec, DbusErrc::bus_unreachable) << result.message;
    EXPECT_LT(ms_between(t0, result.at), 200);
    EXPECT_FALSE(connection->connected());
    EXPECT_EQ(connection->connects(), 0u);
}

TEST_F(GraceTest, RestartedBusReconnectsOnTheNextCall) {
    start_ganesha(7);
    auto client = make_client();
    int beats = 0;
    auto subscription = client->subscribe_heartbeat([&](bool) { ++beats; });
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    EXPECT_EQ(connection->connects(), 1u);

    // 1: the loop noticed the old bus go away before the next call.
    bus->stop();
    ASSERT_TRUE(run_until([&] { return !connection->connected(); }, 2000ms));
    ASSERT_TRUE(nfsd->wait_exited(5000ms));  // it goes down with its bus
    bus->start();
    nfsd->start();
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    EXPECT_EQ(connection->connects(), 2u);
    EXPECT_FALSE(grace(*client, GraceEvent::take_ip, "127.0.0.2").ec);

    // 2: the next call comes before the loop has looked at the dead socket:
    // sending fails, the call reconnects and goes out once more.
    bus->stop();
    bus->start();
    ASSERT_TRUE(nfsd->wait_exited(5000ms));
    nfsd->start();
    ASSERT_TRUE(connection->connected());  // still the old, dead one
    const auto first = get_grace(*client);
    EXPECT_NE(first.ec, DbusErrc::bus_unreachable) << first.message;
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    EXPECT_EQ(connection->connects(), 3u);

    // The heartbeat subscription came along to the new bus and new ganesha.
    const int before = beats;
    EXPECT_TRUE(run_until([&] { return beats > before; }, 3000ms));
}

TEST_F(GraceTest, HeartbeatFollowsARestartedGanesha) {
    start_ganesha(14);
    auto client = make_client();
    int beats = 0;
    auto subscription = client->subscribe_heartbeat([&](bool) { ++beats; });
    ASSERT_TRUE(run_until([&] { return beats >= 1; }, 3000ms));
    nfsd->restart();  // a new process: a new unique name behind org.ganesha.nfsd
    const int before = beats;
    EXPECT_TRUE(run_until([&] { return beats >= before + 2; }, 4000ms));
    EXPECT_EQ(connection->connects(), 1u);
}

TEST_F(GraceTest, HeartbeatEverySecondAndNoneWhileStopped) {
    start_ganesha(8);
    auto client = make_client();
    std::vector<Monotonic::time_point> beats;
    bool all_healthy = true;
    auto subscription = client->subscribe_heartbeat([&](bool healthy) {
        beats.push_back(Monotonic::now());
        all_healthy = all_healthy && healthy;
    });
    ASSERT_TRUE(subscription);
    ASSERT_TRUE(run_until([&] { return beats.size() >= 2; }, 3000ms)) << beats.size() << " heartbeats in 3 s";
    ASSERT_TRUE(run_until([&] { return beats.size() >= 4; }, 3000ms));
    for (std::size_t i = 1; i < beats.size(); ++i) {
        const auto gap = ms_between(beats[i - 1], beats[i]);
        EXPECT_GE(gap, 800) << "heartbeat " << i;
        EXPECT_LE(gap, 1200) << "heartbeat " << i;
    }
    EXPECT_TRUE(all_healthy);

    ASSERT_NO_FATAL_FAILURE(stop_ganesha());
    const auto at_stop = beats.size();
    // One heartbeat may already be on its way; after it, nothing.
    EXPECT_FALSE(run_until([&] { return beats.size() > at_stop + 1; }, 2500ms)) << "heartbeats from a stopped ganesha";
    const auto stopped = beats.size();

    ASSERT_TRUE(nfsd->kill(SIGCONT));
    EXPECT_TRUE(run_until([&] { return beats.size() > stopped; }, 3000ms));

    // Unsubscribed: nothing more, not even a delivery already queued.
    subscription.reset();
    const auto last = beats.size();
    EXPECT_FALSE(run_until([&] { return beats.size() > last; }, 1500ms));
}

TEST_F(GraceTest, FrozenBusDaemonFailsFastInsteadOfBlockingTheLoop) {
    // sd-bus alone would sit 90 s in its authentication timeout here.
    ASSERT_TRUE(bus->process().signal(SIGSTOP));
    DbusConnectionOptions bus_options;
    bus_options.connect_timeout = 300ms;
    auto client = make_client({}, bus_options);

    Ticker ticker(io);
    ticker.start();
    const auto t0 = Monotonic::now();
    auto out = start_get_grace(*client);
    ASSERT_TRUE(run_until([&] { return out->done; }, 3000ms));
    ticker.stop();
    EXPECT_EQ(out->ec, DbusErrc::bus_unreachable) << out->message;
    EXPECT_NE(out->message.find("no answer"), std::string::npos) << out->message;
    EXPECT_GE(ms_between(t0, out->at), 290);
    EXPECT_LE(ms_between(t0, out->at), 300 + 200);
    EXPECT_LE(ticker.max_gap_ms(), 200) << "the loop was blocked";

    // Thawed, the next call connects (and finds no ganesha on this bus).
    ASSERT_TRUE(bus->process().signal(SIGCONT));
    const auto after = get_grace(*client);
    EXPECT_EQ(after.ec, DbusErrc::service_unknown) << after.message;
    EXPECT_EQ(connection->connects(), 1u);
}

TEST_F(GraceTest, RefusalIsAnErrorReplyNamedAfterTheInterface) {
    start_ganesha(11);
    auto client = make_client();
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));

    // Our client never sends these; raw calls show what a refusal looks like.
    std::vector<DbusCallResult> results;
    DbusConnection::Method grace_without_argument{"org.ganesha.nfsd", "/org/ganesha/nfsd/admin",
                                                  "org.ganesha.nfsd.admin", "grace", 2000ms};
    connection->call(grace_without_argument, nullptr, nullptr,
                     [&](const DbusCallResult& r) { results.push_back(r); });
    DbusConnection::Method get_grace_with_argument = grace_without_argument;
    get_grace_with_argument.member = "get_grace";
    connection->call(
        get_grace_with_argument, [](sdbus::MethodCall& call) { call << std::string("x"); }, nullptr,
        [&](const DbusCallResult& r) { results.push_back(r); });
    ASSERT_TRUE(run_until([&] { return results.size() == 2; }, 5000ms));
    for (const auto& r : results) {
        EXPECT_EQ(r.error, DbusErrc::other);
        EXPECT_EQ(r.error_name, "org.ganesha.nfsd.admin") << r.detail;
        std::string message;
        EXPECT_EQ(GraceClient::map_result(r, "grace", message), DbusErrc::refused);
        EXPECT_NE(message.find("refused"), std::string::npos);
    }
    EXPECT_NE(results[0].detail.find("grace"), std::string::npos) << results[0].detail;
    EXPECT_NE(ganesha_log().find("Grace period take 1 arguments"), std::string::npos);
}

TEST_F(GraceTest, HandlersOfAGoneClientNeverRun) {
    start_ganesha(12);
    GraceClientOptions options;
    options.timeout = 400ms;
    auto client = make_client(options);
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    ASSERT_NO_FATAL_FAILURE(stop_ganesha());

    bool ran = false;
    client->get_grace([&](std::error_code, bool, const std::string&) { ran = true; });
    client->grace(GraceEvent::take_ip, "", [&](std::error_code, const std::string&) { ran = true; });
    client.reset();
    EXPECT_TRUE(run_until([&] { return connection->calls_in_flight() == 0; }, 2000ms));
    EXPECT_FALSE(run_until([&] { return ran; }, 200ms));

    // The shared connection is still good for others.
    ASSERT_TRUE(nfsd->kill(SIGCONT));
    auto other = std::make_shared<GraceClient>(connection, GraceClientOptions{});
    const auto state = get_grace(*other);
    EXPECT_FALSE(state.ec) << state.message;

    // And a DbusConnection dropped with a call in flight just goes away.
    ASSERT_NO_FATAL_FAILURE(stop_ganesha());
    other->get_grace([&](std::error_code, bool, const std::string&) { ran = true; });
    other.reset();
    connection.reset();
    EXPECT_FALSE(run_until([&] { return ran; }, 300ms));
    ASSERT_TRUE(nfsd->kill(SIGCONT));
}

TEST_F(GraceTest, ExplicitAddressWinsOverTheEnvironment) {
    start_ganesha(13);
    env.set("unix:path=" + dir.file("no-such-bus.sock"));
    DbusConnectionOptions bus_options;
    bus_options.address = bus->address();
    auto client = make_client({}, bus_options);
    ASSERT_NO_FATAL_FAILURE(wait_service(*client));
    EXPECT_EQ(connection->address(), bus->address());

    auto from_env = std::make_shared<GraceClient>(std::make_shared<DbusConnection>(io), GraceClientOptions{});
    const auto result = get_grace(*from_env);
    EXPECT_EQ(result.ec, DbusErrc::bus_unreachable) << result.message;
    EXPECT_NE(result.message.find("no-such-bus.sock"), std::string::npos) << result.message;
}

// ------------------------------------------------ no peers needed

TEST(GraceArgument, MatchesWhatGaneshaParses) {
    std::string problem;
    EXPECT_EQ(GraceClient::grace_argument(GraceEvent::just_grace, "", problem), "0:");
    EXPECT_EQ(GraceClient::grace_argument(GraceEvent::take_ip, "10.0.0.7", problem), "5:10.0.0.7");
    EXPECT_EQ(GraceClient::grace_argument(GraceEvent::take_ip, "fe80::1", problem), "5:fe80::1");
    EXPECT_EQ(GraceClient::grace_argument(GraceEvent::take_ip, "node2.example", problem), "5:node2.example");
    EXPECT_EQ(GraceClient::grace_argument(GraceEvent::release_ip, "10.0.0.7", problem), "2:10.0.0.7");
    EXPECT_EQ(GraceClient::grace_argument(GraceEvent::take_nodeid, "3", problem), "4:3");
    EXPECT_TRUE(problem.empty());

    for (const auto& [event, address] : std::vector<std::pair<GraceEvent, std::string>>{
             {GraceEvent::just_grace, "10.0.0.7"},
             {GraceEvent::take_ip, ""},
             {GraceEvent::release_ip, ""},  // would release every client
             {GraceEvent::take_ip, "10.0.0.7 x"},
             {GraceEvent::take_nodeid, "x3"},
             {GraceEvent::take_nodeid, ""},
             {static_cast<GraceEvent>(1), "10.0.0.7"}}) {
        problem.clear();
        EXPECT_EQ(GraceClient::grace_argument(event, address, problem), "") << address;
        EXPECT_FALSE(problem.empty()) << address;
    }
}

TEST(GraceArgument, InvalidArgumentsNeverReachTheBus) {
    asio::io_context io;
    DbusConnectionOptions options;
    options.address = "unix:path=/nonexistent/bus.sock";
    auto connection = std::make_shared<DbusConnection>(io, options);
    auto client = std::make_shared<GraceClient>(connection);
    std::error_code ec;
    std::string message;
    bool done = false;
    client->grace(GraceEvent::release_ip, "", [&](std::error_code e, const std::string& m) {
        done = true;
        ec = e;
        message = m;
    });
    EXPECT_FALSE(done);  // never inline
    io.run_for(100ms);
    ASSERT_TRUE(done);
    EXPECT_EQ(ec, DbusErrc::invalid_argument);
    EXPECT_EQ(dbus_reason(ec), "invalid_argument");
    EXPECT_FALSE(connection->connecting());
    EXPECT_EQ(connection->connects(), 0u);
}

TEST(DbusAddress, UnixSocketPath) {
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:path=/run/dbus/system_bus_socket"), "/run/dbus/system_bus_socket");
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:path=/tmp/a%20b,guid=0123"), "/tmp/a b");
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:abstract=gha"), std::string("\0gha", 4));
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:path=/x;"), "/x");
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:path=/x;unix:path=/y"), std::nullopt);
    EXPECT_EQ(DbusConnection::unix_socket_path("tcp:host=127.0.0.1,port=1"), std::nullopt);
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:runtime=yes"), std::nullopt);
    EXPECT_EQ(DbusConnection::unix_socket_path("unix:path=/x%2"), std::nullopt);
}

TEST(DbusErrors, Classify) {
    EXPECT_EQ(DbusConnection::classify("org.freedesktop.DBus.Error.ServiceUnknown", "x").error,
              DbusErrc::service_unknown);
    EXPECT_EQ(DbusConnection::classify("org.freedesktop.DBus.Error.NameHasNoOwner", "x").error,
              DbusErrc::service_unknown);
    EXPECT_EQ(DbusConnection::classify("org.freedesktop.DBus.Error.NoReply", "Method call timed out").error,
              DbusErrc::timeout);
    EXPECT_EQ(DbusConnection::classify("org.freedesktop.DBus.Error.Timeout", "x").error, DbusErrc::timeout);
    EXPECT_EQ(DbusConnection::classify("org.freedesktop.DBus.Error.NoReply", "Connection terminated").error,
              DbusErrc::bus_unreachable);
    EXPECT_EQ(DbusConnection::classify("org.freedesktop.DBus.Error.NoReply",
                                       "Message recipient disconnected from message bus without replying")
                  .error,
              DbusErrc::service_unknown);
    EXPECT_EQ(DbusConnection::classify("org.ganesha.nfsd.admin", "grace").error, DbusErrc::other);
}

}  // namespace
}  // namespace gha
