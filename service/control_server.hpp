// The control socket: a Unix stream socket, one newline-terminated JSON
// request per connection, bounded in size, idle time and connection count.
// The caller's identity comes from SO_PEERCRED and SO_PEERGROUPS, never from
// the request.
//
// The socket's directory: when it is the daemon's own (it created it, or it
// is one of `own_directories`: systemd's RuntimeDirectory=, the default
// /run/ganesha-ha), it gets mode 0750 and `group` (else the daemon's own
// gid), so the members of HA_CONTROL_GROUP can reach the socket and nobody
// else can. Another directory is left as it is; when it would keep the
// group out, warnings() says so.
#pragma once

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <system_error>
#include <vector>

#include "service/command_registry.hpp"

namespace gha::control {

struct ServerOptions {
    std::string path;
    std::optional<gid_t> group;                      // socket group, if configured
    std::chrono::milliseconds idle_timeout{5000};    // per connection
    std::size_t max_connections = 64;
    // After a failed accept (EMFILE, ENFILE, ENOBUFS): the pending
    // connection stays queued, so accepting again at once would fail again
    // at once and spin the loop at 100 % CPU.
    std::chrono::milliseconds accept_backoff{100};
    std::vector<std::string> own_directories;  // the socket's directory is ours if it is one of these
};

// The peer of a connected Unix socket: SO_PEERCRED, and its supplementary
// groups from SO_PEERGROUPS (Linux >= 4.13). An unknown peer gets an
// impossible uid/gid; unknown supplementary groups are left empty (only the
// primary gid then counts: a group member may be refused, nobody else
// admitted).
Caller peer_caller(int fd);

class ControlServer {
public:
    // Throws std::runtime_error when another daemon is live on the path or
    // the path is something other than a stale socket (nothing is removed).
    ControlServer(asio::io_context& io, ServerOptions options, const CommandRegistry& registry);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    void start();
    void close();  // stops accepting and removes the socket file if it is still ours
    const std::string& path() const { return options_.path; }
    std::size_t open_connections() const { return *open_; }
    std::function<void(const std::string& command)> on_request;  // for counting
    std::function<void(std::error_code)> on_accept_error;          // for counting
    std::uint64_t accept_failures() const { return accept_failures_; }
    // What start-up found wrong but not fatal (a directory that keeps the group out).
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    class Connection;
    void accept();
    void accept_later(std::error_code ec);
    void prepare_path();
    void prepare_directory(const std::string& directory, bool created);

    asio::io_context& io_;
    ServerOptions options_;
    const CommandRegistry& registry_;
    asio::local::stream_protocol::acceptor acceptor_;
    asio::steady_timer accept_retry_;
    std::uint64_t accept_failures_ = 0;
    std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
    // Connections hold a weak reference: a request finishing after the
    // server is gone is dropped, not dispatched through a dangling pointer.
    std::shared_ptr<ControlServer*> token_ = std::make_shared<ControlServer*>(this);
    std::vector<std::string> warnings_;
    ino_t inode_ = 0;
    dev_t device_ = 0;
};

}  // namespace gha::control
