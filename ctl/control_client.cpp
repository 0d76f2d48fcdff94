#include "ctl/control_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "monitors/unique_fd.hpp"

namespace gha::control {
namespace {

using Monotonic = std::chrono::steady_clock;

// Waits for `events` until the deadline; false on timeout.
bool wait_for(int fd, short events, Monotonic::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Monotonic::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return true;  // let the next call report the error
    }
}

nlohmann::json fail(ClientError& error, ClientError::Kind kind, std::string text) {
    error = {kind, std::move(text)};
    return nullptr;
}

}  // namespace

nlohmann::json call(const std::string& socket_path, const Request& request,
                    std::chrono::milliseconds timeout, ClientError& error) {
    const auto deadline = Monotonic::now() + timeout;
    const std::string where = "ganesha-had is not reachable on " + socket_path;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path)
        return fail(error, ClientError::unreachable, "socket path too long: " + socket_path);
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return fail(error, ClientError::unreachable, std::string("socket: ") + std::strerror(errno));
    // A Unix socket connects at once or not at all: EAGAIN means the
    // listen backlog is full (the daemon is stopped or busy), not "in
    // progress", and nothing tells when there is room: ask again, a little
    // later each time, until the deadline.
    for (auto pause = std::chrono::milliseconds(5);;) {
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) break;
        if (errno == EINTR) continue;
        if (errno != EAGAIN)
            return fail(error, ClientError::unreachable, where + " (" + std::strerror(errno) + ")");
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Monotonic::now());
        if (left.count() <= 0)
            return fail(error, ClientError::timeout, where + " (its listen backlog stayed full)");
        ::poll(nullptr, 0, static_cast<int>(std::min(pause, left).count()));
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }

    const std::string out = serialize_request(request);
    std::size_t sent = 0;
    while (sent < out.size()) {
        if (!wait_for(fd.get(), POLLOUT, deadline))
            return fail(error, ClientError::timeout, "timed out sending to ganesha-had");
        const ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return fail(error, ClientError::unreachable, where + " (" + std::strerror(errno) + ")");
        }
        sent += static_cast<std::size_t>(n);
    }

    std::string in;
    char buffer[65536];
    for (;;) {
        if (in.size() > kMaxResponseBytes)
            return fail(error, ClientError::protocol, "answer larger than 16 MiB");
        if (auto nl = in.find('\n'); nl != std::string::npos) {
            in.resize(nl);
            break;
        }
        if (!wait_for(fd.get(), POLLIN, deadline))
            return fail(error, ClientError::timeout, "ganesha-had did not answer within " +
                                                          std::to_string(timeout.count()) + " ms");
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return fail(error, ClientError::protocol, std::string("recv: ") + std::strerror(errno));
        }
        if (n == 0) {
            if (in.empty()) return fail(error, ClientError::protocol, "ganesha-had closed the connection without answering");
            break;
        }
        in.append(buffer, static_cast<std::size_t>(n));
    }
    auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("result"))
        return fail(error, ClientError::protocol, "ganesha-had sent an answer that is not a control response");
    return json;
}

}  // namespace gha::control
