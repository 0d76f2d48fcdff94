// The control socket: a Unix stream socket, one newline-terminated JSON
// request per connection, bounded in size, idle time and connection count.
// The caller's identity comes from SO_PEERCRED, never from the request.
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
};

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

private:
    class Connection;
    void accept();
    void accept_later(std::error_code ec);
    void prepare_path();

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
    ino_t inode_ = 0;
    dev_t device_ = 0;
};

}  // namespace gha::control
