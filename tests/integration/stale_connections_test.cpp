// destroy_connections(): sock_diag SOCK_DESTROY of the sockets on one local
// address and port, on loopback with this test's own listening port (root:
// CAP_NET_ADMIN; only sockets whose local port is that port are touched).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "actions/tcp_peers.hpp"
#include "monitors/unique_fd.hpp"
#include "tests/support/ganesha_lab.hpp"

namespace gha {
namespace {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

// A listening socket on 127.0.0.1 and a port the kernel picks: that port.
void listen_on_loopback(UniqueFd& socket, std::uint16_t& port) {
    socket.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(0);
    ASSERT_EQ(::bind(socket.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(socket.get(), 8), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
}

class StaleConnections : public ::testing::Test {
protected:
    void SetUp() override { listen_on_loopback(listener, port); }
    // A client connected and accepted: {client, server side}.
    void connect_one(UniqueFd& client, UniqueFd& server) {
        client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in a = loopback(port);
        ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        server.reset(::accept(listener.get(), nullptr, nullptr));
        ASSERT_GE(server.get(), 0);
    }
    UniqueFd listener;
    std::uint16_t port = 0;
    const asio::ip::address local = asio::ip::make_address("127.0.0.1");
};

TEST_F(StaleConnections, AllClosesEveryConnectionButTheListenerAndTheClientIsReset) {
    UniqueFd client, server;
    connect_one(client, server);
    std::error_code ec;
    EXPECT_EQ(destroy_connections(local, port, StaleSockets::all, ec), 1u);
    ASSERT_FALSE(ec) << ec.message();
    char byte;
    EXPECT_EQ(::recv(client.get(), &byte, 1, 0), -1);
    EXPECT_EQ(errno, ECONNRESET);
    // The listener still takes new connections.
    UniqueFd again, accepted;
    connect_one(again, accepted);
    EXPECT_EQ(destroy_connections(local, port, StaleSockets::all, ec), 1u);
}

TEST_F(StaleConnections, NotFreshKeepsAnEstablishedConnectionAndClosesAClosingOne) {
    UniqueFd client, server;
    connect_one(client, server);
    std::error_code ec;
    EXPECT_EQ(destroy_connections(local, port, StaleSockets::not_fresh, ec), 0u) << "a live connection was closed";
    ASSERT_FALSE(ec) << ec.message();
    // The server side closes first: FIN_WAIT2 here (the client has not closed): stale.
    server.reset();
    EXPECT_EQ(destroy_connections(local, port, StaleSockets::not_fresh, ec), 1u);
    EXPECT_FALSE(ec) << ec.message();
}

// Left from a VIP's earlier stay: established, and nothing heard from the
// client for longer than a connection made since the arrival could be.
TEST_F(StaleConnections, NotFreshClosesAnEstablishedConnectionThatHasHeardNothingForTheQuietLimit) {
    using namespace std::chrono_literals;
    UniqueFd client, server;
    connect_one(client, server);
    ASSERT_EQ(::send(client.get(), "x", 1, MSG_NOSIGNAL), 1);
    char byte;
    ASSERT_EQ(::recv(server.get(), &byte, 1, 0), 1);
    std::error_code ec;
    EXPECT_EQ(destroy_connections(local, port, StaleSockets::not_fresh, ec, 60s), 0u) << "it heard its client just now";
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(lab::wait_until([&] { return destroy_connections(local, port, StaleSockets::not_fresh, ec, 100ms) == 1; },
                                5s))
        << "a connection quiet for 100 ms was never closed as stale: " << ec.message();
    EXPECT_EQ(::recv(client.get(), &byte, 1, 0), -1);
    EXPECT_EQ(errno, ECONNRESET);
}

// The other port is a second listener of this test's, with no connection.
// Not "port + 1": the kernel may give the client exactly that local port
// (connect() prefers the even ephemeral ports, bind(0) the odd ones), and the
// client's own socket is then rightly on that port.
TEST_F(StaleConnections, NothingOnAnotherPortIsTouched) {
    UniqueFd other;
    std::uint16_t other_port = 0;
    ASSERT_NO_FATAL_FAILURE(listen_on_loopback(other, other_port));
    UniqueFd client, server;
    connect_one(client, server);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(client.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    ASSERT_NE(ntohs(a.sin_port), other_port);
    std::error_code ec;
    EXPECT_EQ(destroy_connections(local, other_port, StaleSockets::all, ec), 0u);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(::send(client.get(), "x", 1, MSG_NOSIGNAL), 1);
    char byte;
    EXPECT_EQ(::recv(server.get(), &byte, 1, 0), 1) << "the connection on the listener's port was touched";
}

}  // namespace
}  // namespace gha
