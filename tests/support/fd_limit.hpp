// For tests of "out of file descriptors" (EMFILE): lowers this process's
// RLIMIT_NOFILE so that the next descriptor it opens fails, until destroyed
// or restore(). Descriptors already open keep working, so open the sockets a
// test needs first.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace gha::test {

// UBSan's vptr check (build-asan: -fsanitize=undefined) validates an object's
// vtable the first time it meets a type, through a pipe it opens for that
// (sanitizer_common's IsAccessibleMemoryRange). With no descriptor free the
// pipe fails and a sound object is reported as having an "invalid vptr"
// (asio's scheduler_task, std::error_category), which aborts the test. ASan
// alone needs no descriptor. So under UBSan the tests that use up the
// descriptors skip themselves; build/ runs them.
#if defined(GHA_SANITIZER_NEEDS_DESCRIPTORS)
inline constexpr bool kSanitizerNeedsDescriptors = true;
#else
inline constexpr bool kSanitizerNeedsDescriptors = false;
#endif
inline constexpr const char* kSanitizerNeedsDescriptorsWhy =
    "UBSan's vptr check opens a pipe the first time it meets a type: it cannot run without a free descriptor "
    "(see tests/support/fd_limit.hpp); build/ runs this test";

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
