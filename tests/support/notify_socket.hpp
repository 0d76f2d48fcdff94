// A stand-in for systemd's notify socket: an AF_UNIX datagram socket the
// test binds and passes to the daemon as NOTIFY_SOCKET.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/ganesha_lab.hpp"

namespace gha::test {

class NotifySocket {
public:
    explicit NotifySocket(std::string path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        if (path_.size() >= sizeof a.sun_path) throw std::runtime_error("notify path too long");
        std::strcpy(a.sun_path, path_.c_str());
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("cannot bind notify socket " + path_);
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }

    // Every message received so far (each "KEY=value\nKEY=value").
    const std::vector<std::string>& messages() {
        char buffer[4096];
        ssize_t n;
        while ((n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0)
            messages_.emplace_back(buffer, static_cast<std::size_t>(n));
        return messages_;
    }
    std::size_t count(const std::string& needle) {
        std::size_t n = 0;
        for (const auto& m : messages())
            if (m.find(needle) != std::string::npos) ++n;
        return n;
    }
    // Index of the first message at or after `from` containing needle, or -1.
    long find(const std::string& needle, std::size_t from = 0) {
        const auto& all = messages();
        for (std::size_t i = from; i < all.size(); ++i)
            if (all[i].find(needle) != std::string::npos) return static_cast<long>(i);
        return -1;
    }
    bool wait_for(const std::string& needle, std::chrono::milliseconds deadline, std::size_t from = 0) {
        return lab::wait_until([&] { return find(needle, from) >= 0; }, deadline);
    }

private:
    std::string path_;
    int fd_ = -1;
    std::vector<std::string> messages_;
};

}  // namespace gha::test
