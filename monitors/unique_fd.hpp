// A file descriptor closed when its owner goes, for the raw sockets, pipes
// and files that asio does not wrap (netlink, AF_PACKET, pidfd-side pipes).
// One class for every library and test, so no translation unit grows its
// own (and a unity build sees one definition).
#pragma once

#include <unistd.h>

#include <utility>

namespace gha {

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    // For calls that fill in a descriptor (pipe2, socketpair): the slot.
    int* out() { return &fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

}  // namespace gha
