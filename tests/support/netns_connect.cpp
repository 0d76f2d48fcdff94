#include "tests/support/netns_connect.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace gha::lab {
namespace {

int attempt(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1) return EINVAL;
    if (::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) return 0;
    if (errno != EINPROGRESS) return errno;
    pollfd p{s, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 0) return ETIMEDOUT;
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &len);
    return error;
}

}  // namespace

int connect_outcome(const std::string& netns, const std::string& address, std::uint16_t port,
                    std::chrono::milliseconds timeout) {
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        const int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(255);
        ::_exit(attempt(address, port, timeout) & 0xff);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 255) return -1;
    return WEXITSTATUS(status);
}

}  // namespace gha::lab
