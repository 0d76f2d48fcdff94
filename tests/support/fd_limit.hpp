// For tests of "out of file descriptors" (EMFILE): lowers this process's
// RLIMIT_NOFILE so that the next descriptor it opens fails, until destroyed
// or restore(). Descriptors already open keep working, so open the sockets a
// test needs first.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace gha::test {

class NoFreeDescriptors {
public:
    NoFreeDescriptors() {
        if (::getrlimit(RLIMIT_NOFILE, &old_) != 0) return;
        // The lowest free descriptor: every one below it is in use.
        const int lowest = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (lowest < 0) return;
        ::close(lowest);
        rlimit tight = old_;
        tight.rlim_cur = static_cast<rlim_t>(lowest);
        active_ = ::setrlimit(RLIMIT_NOFILE, &tight) == 0;
    }
    ~NoFreeDescriptors() { restore(); }
    NoFreeDescriptors(const NoFreeDescriptors&) = delete;
    NoFreeDescriptors& operator=(const NoFreeDescriptors&) = delete;

    bool active() const { return active_; }
    void restore() {
        if (active_) ::setrlimit(RLIMIT_NOFILE, &old_);
        active_ = false;
    }

private:
    rlimit old_{};
    bool active_ = false;
};

}  // namespace gha::test
