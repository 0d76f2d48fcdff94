#include "actions/tcp_peers.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace gha {
namespace {

constexpr int kEstablished = 1;  // TCP_ESTABLISHED in the kernel's numbering
constexpr int kListen = 10;      // TCP_LISTEN
constexpr std::size_t kMaxMessages = 65536;

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// One dump of `family` TCP sockets in `states` (a bit per TCP state); each
// answer goes to visit.
template <class Visit>
std::error_code dump(int family, std::uint32_t states, Visit visit) {
    Fd s{::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)};
    if (s.fd < 0) return {errno, std::generic_category()};
    timeval tv{2, 0};  // a backstop: the kernel answers a dump at once
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    struct {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
    } request{};
    request.nlh.nlmsg_len = sizeof request;
    request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.req.sdiag_family = static_cast<std::uint8_t>(family);
    request.req.sdiag_protocol = IPPROTO_TCP;
    request.req.idiag_states = states;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(s.fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        return {errno, std::generic_category()};

    alignas(nlmsghdr) std::array<char, 32768> buf;
    for (std::size_t messages = 0; messages < kMaxMessages;) {
        const ssize_t n = ::recv(s.fd, buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return {errno, std::generic_category()};
        }
        int left = static_cast<int>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            ++messages;
            if (h->nlmsg_type == NLMSG_DONE) return {};
            if (h->nlmsg_type == NLMSG_ERROR) {
                const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
                return {e->error ? -e->error : EPROTO, std::generic_category()};
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
            visit(*static_cast<const inet_diag_msg*>(NLMSG_DATA(h)));
        }
    }
    return std::make_error_code(std::errc::message_size);
}

// One dump of `family` sockets; matching remotes appended to out.
std::error_code dump_peers(int family, const unsigned char* local, std::size_t local_len, std::uint16_t port,
                           std::vector<std::string>& out, std::size_t max_peers) {
    return dump(family, ~(1u << kListen), [&](const inet_diag_msg& m) {
        if (ntohs(m.id.idiag_sport) != port || std::memcmp(m.id.idiag_src, local, local_len) != 0) return;
        char text[INET6_ADDRSTRLEN] = {};
        if (!::inet_ntop(family, m.id.idiag_dst, text, sizeof text)) return;
        std::string remote = unmapped_address(text);
        if (std::find(out.begin(), out.end(), remote) == out.end() && out.size() < max_peers)
            out.push_back(std::move(remote));
    });
}

// An address from inet_diag's 16 bytes; an IPv4-mapped IPv6 one as IPv4.
asio::ip::address diag_address(int family, const std::uint32_t* raw) {
    if (family == AF_INET) {
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), raw, b.size());
        return asio::ip::address_v4(b);
    }
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), raw, b.size());
    const asio::ip::address_v6 v6(b);
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
    return v6;
}

}  // namespace

std::string unmapped_address(const std::string& address) {
    static const std::string prefix = "::ffff:";
    if (address.size() > prefix.size() && address.compare(0, prefix.size(), prefix) == 0 &&
        address.find('.') != std::string::npos)
        return address.substr(prefix.size());
    return address;
}

std::vector<std::string> tcp_peers(const std::string& local_address, std::uint16_t local_port, std::error_code& ec,
                                   std::size_t max_peers) {
    ec.clear();
    std::vector<std::string> out;
    in_addr v4{};
    in6_addr v6{};
    const std::string plain = unmapped_address(local_address);
    if (::inet_pton(AF_INET, plain.c_str(), &v4) == 1) {
        // Seen as IPv4 by an AF_INET socket, and as ::ffff:a.b.c.d by a
        // dual-stack AF_INET6 one (ganesha listens on one of those).
        if ((ec = dump_peers(AF_INET, reinterpret_cast<const unsigned char*>(&v4), sizeof v4, local_port, out,
                             max_peers)))
            return out;
        in6_addr mapped{};
        mapped.s6_addr[10] = 0xff;
        mapped.s6_addr[11] = 0xff;
        std::memcpy(&mapped.s6_addr[12], &v4, sizeof v4);
        ec = dump_peers(AF_INET6, mapped.s6_addr, sizeof mapped, local_port, out, max_peers);
    } else if (::inet_pton(AF_INET6, plain.c_str(), &v6) == 1) {
        ec = dump_peers(AF_INET6, v6.s6_addr, sizeof v6, local_port, out, max_peers);
    } else {
        ec = std::make_error_code(std::errc::invalid_argument);
    }
    return out;
}

std::vector<ClientConnection> tcp_connections(const std::vector<asio::ip::address>& locals, std::uint16_t local_port,
                                              std::error_code& ec, std::size_t max_connections) {
    ec.clear();
    std::vector<ClientConnection> out;
    if (locals.empty()) return out;
    for (const int family : {AF_INET, AF_INET6}) {
        ec = dump(family, 1u << kEstablished, [&](const inet_diag_msg& m) {
            if (ntohs(m.id.idiag_sport) != local_port || out.size() >= max_connections) return;
            ClientConnection c{diag_address(family, m.id.idiag_src), diag_address(family, m.id.idiag_dst),
                               ntohs(m.id.idiag_dport)};
            if (c.vip.is_v4() != c.client.is_v4()) return;  // cannot happen with real sockets
            if (std::find(locals.begin(), locals.end(), c.vip) != locals.end()) out.push_back(c);
        });
        if (ec) return out;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace gha
