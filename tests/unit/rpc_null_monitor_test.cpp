// The rpc-null monitor against a scripted TCP server on loopback: each reply
// kind maps to the right outcome and reason. Timers use the fake clock, so the
// timeout case advances time instead of waiting for it.
#include "monitors/rpc_null_monitor.hpp"

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// What the scripted server does with a call.
enum class Script { accept_success, prog_unavail, prog_mismatch, garbage_args, denied, wrong_xid, junk, hold, close };

class ScriptedServer {
public:
    ScriptedServer(asio::io_context& io, Script script) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), script_(script) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    int calls = 0;

private:
    void accept() {
        acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
            if (ec) return;
            auto conn = std::make_shared<tcp::socket>(std::move(socket));
            held_.push_back(conn);
            if (script_ == Script::close) {
                conn->close();
            } else {
                auto call = std::make_shared<std::array<std::uint8_t, 44>>();
                asio::async_read(*conn, asio::buffer(*call), [this, conn, call](std::error_code rec, std::size_t) {
                    if (rec) return;
                    ++calls;
                    if (script_ == Script::hold) return;
                    auto reply = std::make_shared<std::vector<std::uint8_t>>(build(*call));
                    asio::async_write(*conn, asio::buffer(*reply), [reply](std::error_code, std::size_t) {});
                });
            }
            accept();
        });
    }
    std::vector<std::uint8_t> build(const std::array<std::uint8_t, 44>& call) const {
        std::uint32_t xid = (std::uint32_t{call[4]} << 24) | (std::uint32_t{call[5]} << 16) |
                            (std::uint32_t{call[6]} << 8) | call[7];
        std::vector<std::uint8_t> body;
        if (script_ == Script::junk) {
            body = {1, 2, 3};
        } else {
            put32(body, script_ == Script::wrong_xid ? xid + 1 : xid);
            put32(body, 1);  // REPLY
            if (script_ == Script::denied) {
                put32(body, 1);  // MSG_DENIED
                put32(body, 1);  // AUTH_ERROR
                put32(body, 1);  // AUTH_BADCRED
            } else {
                put32(body, 0);  // MSG_ACCEPTED
                put32(body, 0);  // verifier AUTH_NONE
                put32(body, 0);
                switch (script_) {
                    case Script::prog_unavail: put32(body, 1); break;
                    case Script::prog_mismatch: put32(body, 2), put32(body, 3), put32(body, 3); break;
                    case Script::garbage_args: put32(body, 4); break;
                    default: put32(body, 0);
                }
            }
        }
        std::vector<std::uint8_t> out;
        put32(out, 0x80000000u | static_cast<std::uint32_t>(body.size()));
        out.insert(out.end(), body.begin(), body.end());
        return out;
    }

    tcp::acceptor acceptor_;
    Script script_;
    std::vector<std::shared_ptr<tcp::socket>> held_;
};

class RpcNullMonitorTest : public ::testing::Test {
protected:
    void start(std::uint16_t port) {
        MonitorSettings s;
        s.interval = 1000ms;
        s.timeout = 500ms;
        s.rise = 1;
        s.fall = 1;
        monitor = std::make_shared<RpcNullMonitor>(io, clock, s, Endpoint{"127.0.0.1", port},
                                                   [this](const MonitorSession&, Transition, const ProbeResult& r) {
                                                       results.push_back(r);
                                                   });
        monitor->start();
    }
    // Runs the loop (real sockets) until a result is counted.
    bool run_until_result(std::size_t n = 1) {
        const auto deadline = std::chrono::steady_clock::now() + 3s;
        while (results.size() < n && std::chrono::steady_clock::now() < deadline) io.run_one_for(20ms);
        return results.size() >= n;
    }
    ProbeResult probe(Script script) {
        ScriptedServer server(io, script);
        start(server.port());
        EXPECT_TRUE(run_until_result());
        monitor->stop();
        return results.empty() ? ProbeResult{} : results.front();
    }

    asio::io_context io;
    test::FakeClock clock;
    std::shared_ptr<RpcNullMonitor> monitor;
    std::vector<ProbeResult> results;
};

TEST_F(RpcNullMonitorTest, ASuccessfulReplyIsHealthy) {
    auto r = probe(Script::accept_success);
    EXPECT_EQ(r.outcome, Outcome::success);
    EXPECT_NE(r.detail.find("answered in"), std::string::npos);
}

TEST_F(RpcNullMonitorTest, NoNfsv4ServiceFailsAtOnce) {
    EXPECT_EQ(probe(Script::prog_unavail).outcome, Outcome::definite_failure);
    results.clear();
    auto mismatch = probe(Script::prog_mismatch);
    EXPECT_EQ(mismatch.outcome, Outcome::definite_failure);
    EXPECT_EQ(mismatch.reason, "prog-mismatch");
}

TEST_F(RpcNullMonitorTest, OtherBadAnswersCountTowardFall) {
    const std::pair<Script, const char*> cases[] = {
        {Script::garbage_args, "garbage-args"},
        {Script::denied, "auth-error"},
        {Script::wrong_xid, "wrong-xid"},
        {Script::junk, "bad-reply"},
        {Script::close, "closed"},
    };
    for (const auto& [script, reason] : cases) {
        results.clear();
        auto r = probe(script);
        EXPECT_EQ(r.outcome, Outcome::failure) << reason;
        EXPECT_EQ(r.reason, reason);
    }
}

TEST_F(RpcNullMonitorTest, ARefusedConnectionIsNamed) {
    std::uint16_t port;
    {
        tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = closed.local_endpoint().port();
    }  // nobody listens there any more
    start(port);
    ASSERT_TRUE(run_until_result());
    EXPECT_EQ(results.front().reason, "refused");
}

TEST_F(RpcNullMonitorTest, AServerThatAcceptsButNeverAnswersTimesOut) {
    ScriptedServer server(io, Script::hold);  // a SIGSTOPped ganesha: TCP connects, no reply
    start(server.port());
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (server.calls == 0 && std::chrono::steady_clock::now() < deadline) io.run_one_for(20ms);
    ASSERT_EQ(server.calls, 1);
    EXPECT_TRUE(results.empty());
    clock.advance(499ms);
    EXPECT_TRUE(results.empty());
    clock.advance(1ms);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results.front().reason, "timeout");
    EXPECT_EQ(monitor->health(), Health::unhealthy);
}

}  // namespace
}  // namespace gha
