#include "service/control_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <stdexcept>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59  // Linux >= 4.13; older C libraries lack the name
#endif

namespace gha::control {

using asio::local::stream_protocol;

namespace {

// A listening Unix socket outlives its daemon for as long as any process
// holds a copy of it: a child that the daemon was spawning when it was
// killed has one until it closes its inherited descriptors before exec.
// SO_PEERCRED on our connected probe names the process that called
// listen(); if that process is gone, nobody will ever accept: the socket is
// stale. (A pid reused since is taken for alive: refusing to start is the
// safe mistake.)
bool listener_is_alive(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) return true;
    return ::kill(cred.pid, 0) == 0 || errno != ESRCH;
}

// The supplementary groups the peer had when it connected. Not read from
// /proc/<pid>/status when the kernel lacks SO_PEERGROUPS: that is the
// process's groups now, not at connect(), and the pid may already name
// another process (the client exited and its pid was reused), so a caller
// could borrow someone else's groups. Every supported kernel (Debian 12:
// 6.1) has SO_PEERGROUPS; without it only the primary gid counts.
std::vector<gid_t> peer_groups(int fd) {
    std::vector<gid_t> groups(32);
    for (int attempt = 0; attempt < 4; ++attempt) {
        auto len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            return groups;
        }
        if (errno != ERANGE) break;  // ENOPROTOOPT: a kernel older than 4.13
        groups.resize(len / sizeof(gid_t) + 1);  // len now says how much it needs
    }
    return {};
}

std::string octal(mode_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

}  // namespace

Caller peer_caller(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        // Unknown caller: an impossible uid/gid so it is never authorized.
        return Caller{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1), {}};
    }
    return Caller{cred.pid, cred.uid, cred.gid, peer_groups(fd)};
}

class ControlServer::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(ControlServer& server, stream_protocol::socket socket)
        : server_(server.token_), socket_(std::move(socket)), timer_(socket_.get_executor()),
          open_(server.open_), idle_timeout_(server.options_.idle_timeout) {
        ++*open_;
    }
    ~Connection() { --*open_; }

    void start() {
        caller_ = peer_caller(socket_.native_handle());
        timer_.expires_after(idle_timeout_);
        timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
            if (auto self = weak.lock(); self && !ec) self->socket_.close(ec);  // idle: drop it
        });
        // One byte more than the limit tells "too large" from "just fits".
        asio::async_read_until(
            socket_, asio::dynamic_buffer(input_, kMaxRequestBytes + 1), '\n',
            [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_line(ec, n); });
    }

private:
    void on_line(std::error_code ec, std::size_t n) {
        if (ec == asio::error::not_found) return reply(answer(error, "request larger than 65536 bytes"));
        auto server = server_.lock();
        if (ec || !server) return;  // closed, idle timeout, or the server is gone
        nlohmann::json response;
        auto request = parse_request(std::string_view(input_).substr(0, n - 1), response);
        if (!request) return reply(response);
        ControlServer& owner = **server;
        if (owner.on_request) owner.on_request(request->command);
        // Most commands answer at once; a query to another node later
        // (bounded by its own deadline, below the idle timeout).
        owner.registry_.dispatch(*request, caller_,
                                 [self = shared_from_this()](const nlohmann::json& r) { self->reply(r); });
    }

    void reply(const nlohmann::json& response) {
        output_ = response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        asio::async_write(socket_, asio::buffer(output_),
                          [self = shared_from_this()](std::error_code, std::size_t) {
                              std::error_code ignored;
                              self->timer_.cancel();
                              self->socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
                              self->socket_.close(ignored);
                          });
    }

    std::weak_ptr<ControlServer*> server_;
    stream_protocol::socket socket_;
    asio::steady_timer timer_;
    std::shared_ptr<std::size_t> open_;
    std::chrono::milliseconds idle_timeout_;
    Caller caller_;
    std::string input_;
    std::string output_;
};

ControlServer::ControlServer(asio::io_context& io, ServerOptions options,
                             const CommandRegistry& registry)
    : io_(io), options_(std::move(options)), registry_(registry), acceptor_(io), accept_retry_(io) {
    prepare_path();
    stream_protocol::endpoint endpoint(options_.path);
    acceptor_.open(endpoint.protocol());
    // umask makes the socket 0660 from the first instant; chmod after bind
    // would leave a window where it has the default mode.
    const mode_t old_mask = ::umask(0117);
    std::error_code ec;
    acceptor_.bind(endpoint, ec);
    ::umask(old_mask);
    if (ec) throw std::runtime_error("cannot bind control socket " + options_.path + ": " + ec.message());
    acceptor_.listen(16);
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) == 0) {
        inode_ = st.st_ino;
        device_ = st.st_dev;
    }
    if (options_.group && ::chown(options_.path.c_str(), static_cast<uid_t>(-1), *options_.group) != 0)
        throw std::runtime_error("cannot give control socket " + options_.path +
                                 " to its group: " + std::strerror(errno));
}

ControlServer::~ControlServer() { close(); }

// A socket file left by a crashed daemon is replaced; a live daemon, or a
// path that is not a socket at all, is an error: never delete what is not ours.
void ControlServer::prepare_path() {
    const auto& path = options_.path;
    if (path.size() >= sizeof(sockaddr_un::sun_path))
        throw std::runtime_error("control socket path too long: " + path);
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        const bool existed = std::filesystem::exists(parent, ec);
        std::filesystem::create_directories(parent, ec);
        if (ec) throw std::runtime_error("cannot create " + parent.string() + ": " + ec.message());
        prepare_directory(parent.string(), !existed);
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error(path + " exists and is not a socket; not replacing it");
    // A non-blocking connect(): a listener whose backlog is full (a daemon
    // that is up but stuck, or a child still holding a crashed daemon's
    // socket) makes a blocking one wait for ever, and asio's synchronous
    // connect() waits too. On a local socket it succeeds, is refused (nobody
    // listens) or fails with EAGAIN (backlog full) at once.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (probe < 0) throw std::runtime_error("cannot check control socket " + path + ": " + std::strerror(errno));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int error = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ? 0 : errno;
    const bool alive = error == 0 && listener_is_alive(probe);
    ::close(probe);
    if (alive) throw std::runtime_error("another ganesha-had is live on " + path);
    if (error == EAGAIN)
        throw std::runtime_error("control socket " + path +
                                 " has a listener that accepts no connection (its backlog is full: a stuck "
                                 "ganesha-had, or a process still holding a crashed one's socket); not replacing it");
    if (error != 0 && error != ECONNREFUSED)
        throw std::runtime_error("cannot check control socket " + path + ": " + std::strerror(error));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw std::runtime_error("cannot remove stale control socket " + path + ": " + std::strerror(errno));
}

// The socket's directory decides who reaches the socket at all: 0750 and
// HA_CONTROL_GROUP lets the group's members in (the socket itself is 0660
// with the same group) and keeps everybody else out. Only a directory that
// is ours is changed; fchown/fchmod on a descriptor opened without following
// a symlink, so a link planted there does not redirect them.
void ControlServer::prepare_directory(const std::string& directory, bool created) {
    const bool own = created || std::any_of(options_.own_directories.begin(), options_.own_directories.end(),
                                            [&](const std::string& d) {
                                                std::error_code ec;
                                                return !d.empty() && std::filesystem::equivalent(directory, d, ec);
                                            });
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (own || options_.group)
            warnings_.push_back("control socket directory " + directory + ": " + std::strerror(errno) +
                                "; its mode and group were not checked");
        return;
    }
    struct stat st {};
    const int stat_rc = ::fstat(fd, &st);
    const gid_t group = options_.group.value_or(::getegid());
    std::string problem;
    if (stat_rc != 0) {
        problem = std::string("cannot stat it: ") + std::strerror(errno);
    } else if (own && st.st_uid == ::geteuid()) {
        if ((st.st_gid != group && ::fchown(fd, static_cast<uid_t>(-1), group) != 0) ||
            ((st.st_mode & 07777) != 0750 && ::fchmod(fd, 0750) != 0)) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            throw std::runtime_error("cannot give the control socket's directory " + directory +
                                     " mode 0750 and group " + std::to_string(group) + ": " + why);
        }
    } else if (options_.group) {
        const bool reachable = (st.st_mode & S_IXOTH) || (st.st_gid == group && (st.st_mode & S_IXGRP));
        if (!reachable)
            problem = "mode " + octal(st.st_mode) + ", group " + std::to_string(st.st_gid) +
                      ": members of HA_CONTROL_GROUP (gid " + std::to_string(group) +
                      ") cannot reach the socket. The directory is not ganesha-had's own, so it was left as it "
                      "is: give it that group and mode 0750, or use a directory of its own (the default "
                      "/run/ganesha-ha)";
    }
    ::close(fd);
    if (!problem.empty()) warnings_.push_back("control socket directory " + directory + ": " + problem);
}

void ControlServer::start() { accept(); }

void ControlServer::accept() {
    acceptor_.async_accept([this, token = std::weak_ptr<ControlServer*>(token_)](std::error_code ec,
                                                                                stream_protocol::socket socket) {
        if (token.expired() || ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) return accept_later(ec);
        if (*open_ < options_.max_connections)
            std::make_shared<Connection>(*this, std::move(socket))->start();
        // else: the socket closes here; the client sees EOF and retries
        accept();
    });
}

void ControlServer::accept_later(std::error_code ec) {
    ++accept_failures_;
    if (on_accept_error) on_accept_error(ec);
    accept_retry_.expires_after(options_.accept_backoff);
    accept_retry_.async_wait([this, token = std::weak_ptr<ControlServer*>(token_)](std::error_code wait_ec) {
        if (wait_ec || token.expired() || !acceptor_.is_open()) return;
        accept();
    });
}

void ControlServer::close() {
    if (!acceptor_.is_open()) return;
    std::error_code ignored;
    accept_retry_.cancel();
    acceptor_.close(ignored);
    struct stat st {};
    if (::lstat(options_.path.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_)
        ::unlink(options_.path.c_str());
}

}  // namespace gha::control
