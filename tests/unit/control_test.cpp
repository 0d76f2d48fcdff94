// The control channel: envelope parsing, the registry's single exception
// boundary and permission check, and the real server on a Unix socket.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "service/command_registry.hpp"
#include "service/control_server.hpp"
#include "tests/support/fd_limit.hpp"

namespace gha::control {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(ControlProtocol, ParsesAWellFormedRequest) {
    json error;
    auto r = parse_request(R"({"command":"events","arguments":{"since":4}})", error);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->command, "events");
    EXPECT_EQ(r->arguments["since"], 4);
    auto bare = parse_request(R"({"command":"status"})", error);
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->arguments.is_object());
}

TEST(ControlProtocol, RejectsMalformedRequestsWithAReason) {
    const std::pair<std::string, std::string> cases[] = {
        {"{not json", "not valid JSON"},
        {"[1,2]", "must be a JSON object"},
        {R"({"arguments":{}})", "no \"command\""},
        {R"({"command":7})", "no \"command\""},
        {R"({"command":""})", "no \"command\""},
        {R"({"command":"status","arguments":[1]})", "\"arguments\" must be an object"},
        {std::string(kMaxRequestBytes + 1, ' '), "larger than 65536"},
    };
    for (const auto& [line, why] : cases) {
        json error;
        EXPECT_FALSE(parse_request(line, error)) << line;
        EXPECT_EQ(error["result"], 1);
        EXPECT_NE(error["text"].get<std::string>().find(why), std::string::npos) << error.dump();
    }
}

// events (since, limit) and actions (id): any local user may send these. A
// float out of range reached nlohmann's get<std::uint64_t>(), a conversion
// with undefined behaviour ({"limit": 1e300}; UBSan: float-cast-overflow).
TEST(ControlProtocol, NumericArgumentsAreWholeNumbersOrAnError) {
    const json args = json::parse(R"({"n": 5, "big": 18446744073709551615, "f": 3.0, "null": null,
        "huge": 1e300, "two64": 18446744073709551616.0, "neg": -1, "negf": -0.5, "frac": 2.5,
        "text": "5", "list": [1]})");
    EXPECT_EQ(unsigned_argument(args, "n", 9), 5u);
    EXPECT_EQ(unsigned_argument(args, "big", 9), 18446744073709551615u);
    EXPECT_EQ(unsigned_argument(args, "f", 9), 3u);
    EXPECT_EQ(unsigned_argument(args, "absent", 9), 9u);
    EXPECT_EQ(unsigned_argument(args, "null", 9), 9u);
    EXPECT_EQ(unsigned_argument(json(), "n", 9), 9u);
    for (const char* bad : {"huge", "two64", "neg", "negf", "frac", "text", "list"}) {
        try {
            (void)unsigned_argument(args, bad, 9);
            ADD_FAILURE() << bad << " was taken";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(std::string("\"") + bad + "\" must be a whole number"),
                      std::string::npos) << e.what();
        }
    }
}

class RegistryTest : public ::testing::Test {
protected:
    RegistryTest()
        : registry([](const Caller& c) { return c.uid == 0; }) {
        registry.add("read", "reads", false, [](const Request&, const Caller&) { return answer(0, "read ok"); });
        registry.add("write", "writes", true, [this](const Request&, const Caller&) {
            ++writes;
            return answer(0, "written");
        });
        registry.add("boom", "throws", false, [](const Request&, const Caller&) -> json {
            throw std::runtime_error("disk on fire");
        });
        registry.add("typed", "bad argument type", false, [](const Request& r, const Caller&) {
            return answer(0, std::to_string(r.arguments.value("n", 0)));
        });
    }
    CommandRegistry registry;
    int writes = 0;
    Caller root{1, 0, 0};
    Caller user{2, 1000, 1000};
};

TEST_F(RegistryTest, UnknownCommandIsResultTwo) {
    auto r = registry.dispatch({"frobnicate"}, root);
    EXPECT_EQ(r["result"], 2);
    EXPECT_NE(r["text"].get<std::string>().find("frobnicate"), std::string::npos);
}

TEST_F(RegistryTest, ChangingCommandsNeedAnAuthorizedCaller) {
    auto denied = registry.dispatch({"write"}, user);
    EXPECT_EQ(denied["result"], 1);
    EXPECT_NE(denied["text"].get<std::string>().find("permission denied"), std::string::npos);
    EXPECT_EQ(writes, 0);
    EXPECT_EQ(registry.dispatch({"read"}, user)["result"], 0);
    EXPECT_EQ(registry.dispatch({"write"}, root)["result"], 0);
    EXPECT_EQ(writes, 1);
}

TEST_F(RegistryTest, HandlerExceptionsBecomeResultOne) {
    auto r = registry.dispatch({"boom"}, root);
    EXPECT_EQ(r["result"], 1);
    EXPECT_NE(r["text"].get<std::string>().find("disk on fire"), std::string::npos);
    Request typed{"typed", {{"n", "not a number"}}};
    EXPECT_EQ(registry.dispatch(typed, root)["result"], 1);
}

TEST_F(RegistryTest, ListCommandsIsBuiltIn) {
    auto r = registry.dispatch({"list-commands"}, user);
    ASSERT_EQ(r["result"], 0);
    std::vector<std::string> names;
    for (const auto& c : r["arguments"]["commands"]) names.push_back(c["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"boom", "list-commands", "read", "typed", "write"}));
}

// A real server on a socket in a scratch directory, its loop on a thread.
class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() / ("gha-ctl-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        path = (dir / "hactl.sock").string();
        registry.add("write", "writes", true, [](const Request&, const Caller&) { return answer(0, "written"); });
        registry.add("whoami", "caller", false, [](const Request&, const Caller& c) {
            return answer(0, "", {{"uid", c.uid}, {"pid", c.pid}, {"gid", c.gid}, {"groups", c.groups}});
        });
    }
    void TearDown() override {
        stop();
        std::filesystem::remove_all(dir);
    }
    void start(std::chrono::milliseconds idle = 5000ms) {
        server = std::make_unique<ControlServer>(io, ServerOptions{path, std::nullopt, idle}, registry);
        server->on_accept_error = [this](std::error_code) { ++accept_errors; };
        server->start();
        work.emplace(io.get_executor());
        thread = std::thread([this] { io.run(); });
    }
    void stop() {
        if (!thread.joinable()) return;
        asio::post(io, [this] { server->close(); });
        work.reset();  // run() returns once the close has run and nothing is pending
        thread.join();
    }
    json call(const Request& r) {
        ClientError e;
        auto answer = control::call(path, r, 2000ms, e);
        EXPECT_EQ(e.kind, ClientError::none) << e.text;
        return answer;
    }
    // Sends raw bytes and returns everything the server answers until EOF.
    std::string raw(const std::string& bytes, std::chrono::milliseconds wait = 3000ms) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strcpy(a.sun_path, path.c_str());
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        return out;
    }

    // Polls until cond() holds (true) or the deadline passes (false).
    static bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (!cond()) {
            if (std::chrono::steady_clock::now() > end) return false;
            std::this_thread::sleep_for(1ms);
        }
        return true;
    }

    asio::io_context io;
    std::atomic<int> accept_errors{0};
    CommandRegistry registry{[](const Caller& c) { return c.uid == 0; }};
    std::unique_ptr<ControlServer> server;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
    std::filesystem::path dir;
    std::string path;
};

TEST_F(ServerTest, AnswersOneRequestAndSeesTheCallersCredentials) {
    start();
    auto r = call({"whoami"});
    EXPECT_EQ(r["result"], 0);
    EXPECT_EQ(r["arguments"]["uid"], ::getuid());
    EXPECT_EQ(r["arguments"]["pid"], ::getpid());
}

TEST_F(ServerTest, SocketIsCreatedWithMode0660) {
    start();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(ServerTest, BadJsonAndOversizeRequestsGetResultOneAndTheServerGoesOn) {
    start();
    auto bad = json::parse(raw("{oops\n"));
    EXPECT_EQ(bad["result"], 1);
    auto big = json::parse(raw(std::string(kMaxRequestBytes + 10, 'x') + "\n"));
    EXPECT_EQ(big["result"], 1);
    EXPECT_NE(big["text"].get<std::string>().find("larger than"), std::string::npos);
    EXPECT_EQ(call({"whoami"})["result"], 0);
}

TEST_F(ServerTest, AnIdleConnectionIsClosed) {
    start(100ms);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(raw("{\"command\":", 3000ms), "");  // no newline ever comes
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
    EXPECT_EQ(call({"whoami"})["result"], 0);
}

TEST_F(ServerTest, AnUnprivilegedCallerCannotChangeAnything) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another uid";
    start();
    ::chmod(path.c_str(), 0666);  // let uid 65534 reach it; SO_PEERCRED must still stop it
    ::chmod(dir.c_str(), 0755);
    const pid_t child = ::fork();
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(90);
        ClientError e;
        auto r = control::call(path, {"write"}, 2000ms, e);
        if (e.kind != ClientError::none) ::_exit(91);
        const bool denied = r["result"] == 1 && r["text"].get<std::string>().find("permission denied") != std::string::npos;
        auto whoami = control::call(path, {"whoami"}, 2000ms, e);
        ::_exit(denied && whoami["result"] == 0 && whoami["arguments"]["uid"] == 65534 ? 0 : 92);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(call({"write"})["result"], 0);  // root may
}

// A member of the group only through a supplementary group is seen as one:
// SO_PEERGROUPS, as the caller was at connect().
TEST_F(ServerTest, TheCallersSupplementaryGroupsAreSeen) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another uid";
    start();
    ::chmod(path.c_str(), 0666);
    ::chmod(dir.c_str(), 0755);
    const pid_t child = ::fork();
    if (child == 0) {
        const gid_t groups[] = {4242, 4243};
        if (::setgroups(2, groups) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(90);
        ClientError e;
        auto whoami = control::call(path, {"whoami"}, 2000ms, e);
        if (e.kind != ClientError::none) ::_exit(91);
        auto seen = whoami["arguments"]["groups"].get<std::vector<gid_t>>();
        std::sort(seen.begin(), seen.end());
        ::_exit(whoami["arguments"]["gid"] == 65534 && seen == std::vector<gid_t>{4242, 4243} ? 0 : 92);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(PeerCaller, ReadsTheSupplementaryGroupsOfTheOtherEnd) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    const Caller caller = peer_caller(fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
    EXPECT_EQ(caller.pid, ::getpid());
    EXPECT_EQ(caller.uid, ::geteuid());
    EXPECT_EQ(caller.gid, ::getegid());
    std::vector<gid_t> ours(static_cast<std::size_t>(::getgroups(0, nullptr)));
    ours.resize(static_cast<std::size_t>(::getgroups(static_cast<int>(ours.size()), ours.data())));
    auto seen = caller.groups;
    std::sort(ours.begin(), ours.end());
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, ours);
    // An fd that is no socket: an impossible uid, never authorized.
    const Caller nobody = peer_caller(-1);
    EXPECT_EQ(nobody.uid, static_cast<uid_t>(-1));
    EXPECT_TRUE(nobody.groups.empty());
}

TEST(PeerCaller, MembershipIsThePrimaryOrASupplementaryGroup) {
    const Caller caller{1, 1000, 1000, {27, 4242}};
    EXPECT_TRUE(caller.in_group(1000));
    EXPECT_TRUE(caller.in_group(4242));
    EXPECT_FALSE(caller.in_group(0));
    EXPECT_FALSE((Caller{1, 1000, 1000, {}}.in_group(4242)));
}

// The socket's directory: ours (created now, or named ours) gets 0750 and the
// group; an operator's directory is left alone, with a warning when it keeps
// the group out.
class SocketDirectoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        root = std::filesystem::temp_directory_path() / ("gha-ctldir-" + std::to_string(::getpid()));
        std::filesystem::remove_all(root);
        std::filesystem::create_directories(root);
        // Root may give any group; anyone else one of its own.
        group = ::geteuid() == 0 ? gid_t{4242} : ::getegid();
    }
    void TearDown() override { std::filesystem::remove_all(root); }
    static struct stat stat_of(const std::filesystem::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st;
    }
    std::unique_ptr<ControlServer> make(const std::filesystem::path& socket, std::vector<std::string> own = {}) {
        ServerOptions options{socket.string(), group};
        options.own_directories = std::move(own);
        return std::make_unique<ControlServer>(io, std::move(options), registry);
    }
    asio::io_context io;
    CommandRegistry registry{[](const Caller&) { return false; }};
    std::filesystem::path root;
    gid_t group = 0;
};

TEST_F(SocketDirectoryTest, ADirectoryItCreatesGetsMode0750AndTheGroup) {
    const auto dir = root / "run";
    const mode_t old_mask = ::umask(0077);  // the unit's UMask=
    auto server = make(dir / "hactl.sock");
    ::umask(old_mask);
    const auto st = stat_of(dir);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_gid, group);
    const auto sock = stat_of(dir / "hactl.sock");
    EXPECT_EQ(sock.st_mode & 0777, 0660u);
    EXPECT_EQ(sock.st_gid, group);
    EXPECT_TRUE(server->warnings().empty());
}

TEST_F(SocketDirectoryTest, ItsOwnExistingDirectoryIsSetAgain) {
    const auto dir = root / "ganesha-ha";  // as systemd's RuntimeDirectory= leaves it: 0700 here
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    auto server = make(dir / "hactl.sock", {"/nonexistent", dir.string()});
    const auto st = stat_of(dir);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_gid, group);
    EXPECT_TRUE(server->warnings().empty());
}

TEST_F(SocketDirectoryTest, AnOperatorsDirectoryIsLeftAloneAndAClosedOneIsReported) {
    const auto dir = root / "elsewhere";
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    const auto before = stat_of(dir);
    auto server = make(dir / "hactl.sock");
    const auto after = stat_of(dir);
    EXPECT_EQ(after.st_mode & 07777, 0700u);
    EXPECT_EQ(after.st_gid, before.st_gid);
    ASSERT_EQ(server->warnings().size(), 1u);
    EXPECT_NE(server->warnings()[0].find("cannot reach the socket"), std::string::npos) << server->warnings()[0];
    server.reset();
    ::chmod(dir.c_str(), 0711);  // others may pass: nothing to say
    EXPECT_TRUE(make(dir / "hactl.sock")->warnings().empty());
}

TEST_F(SocketDirectoryTest, ASymlinkedDirectoryIsNotFollowed) {
    const auto real = root / "real";
    std::filesystem::create_directories(real);
    ::chmod(real.c_str(), 0755);
    const auto link = root / "link";
    std::filesystem::create_directory_symlink(real, link);
    auto server = make(link / "hactl.sock", {link.string()});
    EXPECT_EQ(stat_of(real).st_mode & 07777, 0755u);  // not changed through the link
    ASSERT_EQ(server->warnings().size(), 1u);
    EXPECT_NE(server->warnings()[0].find("not checked"), std::string::npos) << server->warnings()[0];
}

TEST_F(ServerTest, AStaleSocketFileIsReplaced) {
    {   // a socket file nobody listens on, as a crashed daemon leaves it
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strcpy(a.sun_path, path.c_str());
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        ::close(fd);
    }
    start();
    EXPECT_EQ(call({"whoami"})["result"], 0);
}

TEST_F(ServerTest, ALiveDaemonOnThePathIsNotDisplaced) {
    start();
    asio::io_context other;
    EXPECT_THROW(ControlServer(other, ServerOptions{path, std::nullopt}, registry), std::runtime_error);
    EXPECT_EQ(call({"whoami"})["result"], 0);  // the first one still answers
}

// A listener that accepts nothing and whose backlog is full: the check
// neither hangs (a blocking connect() waits for room for ever) nor replaces
// the socket; it says why it refused.
TEST_F(ServerTest, AListenerWithAFullBacklogIsNeitherWaitedForNorDisplaced) {
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    std::vector<int> queued;
    for (int i = 0; i < 64; ++i) {
        const int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ASSERT_EQ(errno, EAGAIN) << std::strerror(errno);
            ::close(c);
            break;
        }
        queued.push_back(c);
    }
    ASSERT_LT(queued.size(), 64u) << "the backlog never filled";

    std::promise<std::string> refused;
    auto outcome = refused.get_future();
    std::thread check([&] {
        asio::io_context other;
        try {
            ControlServer s(other, ServerOptions{path, std::nullopt}, registry);
            refused.set_value("started");
        } catch (const std::runtime_error& e) {
            refused.set_value(e.what());
        }
    });
    const bool answered = outcome.wait_for(5s) == std::future_status::ready;
    int open_listener = listener;
    if (!answered) {  // closing the listener wakes a blocked connect(), so the thread ends
        ::close(listener);
        open_listener = -1;
    }
    check.join();
    ASSERT_TRUE(answered) << "the check waited for the full backlog";
    const std::string what = outcome.get();
    EXPECT_NE(what.find("backlog is full"), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << "the socket file was removed";
    for (const int c : queued) ::close(c);
    if (open_listener >= 0) ::close(open_listener);
}

TEST_F(ServerTest, APathThatIsNotASocketIsLeftAlone) {
    std::ofstream(path) << "operator's file";
    asio::io_context other;
    try {
        ControlServer s(other, ServerOptions{path, std::nullopt}, registry);
        FAIL() << "bound over a regular file";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("not a socket"), std::string::npos);
    }
    std::ifstream in(path);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(content, "operator's file");
}

TEST_F(ServerTest, CloseRemovesTheSocketFile) {
    start();
    stop();
    EXPECT_FALSE(std::filesystem::exists(path));
}

// Out of descriptors, every accept fails at once and the connection stays
// queued: the server pauses between tries instead of spinning, counts each
// failure, and serves the connection once a descriptor is free again.
TEST_F(ServerTest, OutOfDescriptorsTheAcceptLoopBacksOffAndRecovers) {
    if (test::kSanitizerNeedsDescriptors) GTEST_SKIP() << test::kSanitizerNeedsDescriptorsWhy;
    start();
    const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);
    test::NoFreeDescriptors limit;
    ASSERT_TRUE(limit.active());
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_TRUE(wait_until([&] { return accept_errors >= 1; }, 2000ms));
    const int first = accept_errors;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(wait_until([&] { return accept_errors >= first + 3; }, 2000ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms) << "three failed accepts came too fast: spinning";
    limit.restore();
    const std::string request = "{\"command\":\"whoami\"}\n";
    ASSERT_EQ(::send(client, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    timeval tv{3, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buffer[4096];
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    ::close(client);
    ASSERT_GT(n, 0) << std::strerror(errno);
    EXPECT_EQ(json::parse(std::string(buffer, static_cast<std::size_t>(n)))["result"], 0);
    stop();
    EXPECT_EQ(server->accept_failures(), static_cast<std::uint64_t>(accept_errors.load()));
}

TEST(ControlClient, SaysClearlyWhenNoDaemonIsThere) {
    ClientError e;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = call("/nonexistent/hactl.sock", {"status"}, 2000ms, e);
    EXPECT_TRUE(r.is_null());
    EXPECT_EQ(e.kind, ClientError::unreachable);
    EXPECT_NE(e.text.find("not reachable"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
}

// A full listen backlog makes a non-blocking connect fail with EAGAIN: the
// daemon is busy or stopped, not gone. The client asks again until its
// deadline and gets its answer once there is room.
TEST(ControlClient, AFullBacklogIsRetriedUntilTheDeadline) {
    const auto dir = std::filesystem::temp_directory_path() / ("gha-backlog-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "hactl.sock").string();
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    std::vector<int> fillers;
    for (int i = 0; i < 64; ++i) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        fillers.push_back(fd);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) break;
    }
    ASSERT_EQ(errno, EAGAIN) << "the backlog never filled up";

    auto answer = std::async(std::launch::async, [&] {
        ClientError e;
        auto r = call(path, {"version"}, 3000ms, e);
        return std::make_pair(r, e);
    });
    // Before the fix the client gave up at once ("in progress", then a failed send).
    ASSERT_EQ(answer.wait_for(300ms), std::future_status::timeout) << "the client gave up on a full backlog";
    timeval accept_deadline{3, 0};  // accept() honours SO_RCVTIMEO: never block the test for good
    ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &accept_deadline, sizeof accept_deadline);
    // Make room and serve whoever sends a request.
    for (int fd : fillers) ::close(fd);
    for (;;) {
        const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        ASSERT_GE(conn, 0);
        timeval tv{0, 200000};
        ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buffer[256];
        const ssize_t n = ::recv(conn, buffer, sizeof buffer, 0);
        if (n > 0) {
            const std::string reply = "{\"result\":0,\"text\":\"v\"}\n";
            ::send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
            ::close(conn);
            break;
        }
        ::close(conn);
    }
    const auto [r, e] = answer.get();
    EXPECT_EQ(e.kind, ClientError::none) << e.text;
    EXPECT_EQ(r.value("text", ""), "v");
    ::close(listener);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gha::control
