#include "actions/tcp_peers.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>

#include "monitors/unique_fd.hpp"

namespace gha {
namespace {

constexpr int kEstablished = 1;  // TCP_ESTABLISHED in the kernel's numbering
constexpr int kSynRecv = 3;      // TCP_SYN_RECV
constexpr int kListen = 10;      // TCP_LISTEN
constexpr int kNewSynRecv = 12;  // TCP_NEW_SYN_RECV (a request socket)
constexpr std::uint8_t kRetransmitting = 2;  // idiag_retrans: retransmissions of the pending segment
constexpr std::size_t kMaxMessages = 65536;

// A sock_diag socket with `type` (SOCK_DIAG_BY_FAMILY, SOCK_DESTROY) sent
// for TCP sockets of `family` in `states` (a bit per TCP state), `id` when
// one socket is meant. 0 or an errno; the socket in `s` for the answer.
int send_request(UniqueFd& s, std::uint16_t type, std::uint16_t flags, int family, std::uint32_t states,
                 const inet_diag_sockid* id = nullptr, std::uint8_t extensions = 0) {
    s.reset(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (s.get() < 0) return errno;
    timeval tv{2, 0};  // a backstop: the kernel answers at once
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
    } request{};
    request.nlh.nlmsg_len = sizeof request;
    request.nlh.nlmsg_type = type;
    request.nlh.nlmsg_flags = flags;
    request.req.sdiag_family = static_cast<std::uint8_t>(family);
    request.req.sdiag_protocol = IPPROTO_TCP;
    request.req.idiag_states = states;
    request.req.idiag_ext = extensions;
    if (id) request.req.id = *id;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(s.get(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        return errno;
    return 0;
}

// How long a socket has received nothing from its peer, from the kernel's
// tcp_info (INET_DIAG_INFO) following a dump answer's inet_diag_msg; none
// when the answer carries no tcp_info (not asked for, or not a full socket).
std::optional<std::chrono::milliseconds> quiet_for(const nlmsghdr& h) {
    const std::size_t start = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(inet_diag_msg)));
    if (h.nlmsg_len < start) return std::nullopt;
    int left = static_cast<int>(h.nlmsg_len - start);
    for (auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(&h) + start); RTA_OK(a, left);
         a = RTA_NEXT(a, left)) {
        if (a->rta_type != INET_DIAG_INFO) continue;
        // An older kernel's tcp_info is shorter than ours: only what it has.
        tcp_info info{};
        std::memcpy(&info, RTA_DATA(a), std::min<std::size_t>(RTA_PAYLOAD(a), sizeof info));
        if (RTA_PAYLOAD(a) < offsetof(tcp_info, tcpi_last_ack_recv) + sizeof info.tcpi_last_ack_recv) return std::nullopt;
        return std::chrono::milliseconds(std::min(info.tcpi_last_data_recv, info.tcpi_last_ack_recv));
    }
    return std::nullopt;
}

// One dump of `family` TCP sockets in `states` (a bit per TCP state); each
// answer goes to visit(inet_diag_msg, quiet_for), the latter only with
// `extensions` asking for INET_DIAG_INFO.
template <class Visit>
std::error_code dump(int family, std::uint32_t states, Visit visit, std::uint8_t extensions = 0) {
    UniqueFd s;
    if (const int e = send_request(s, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, family, states, nullptr,
                                   extensions))
        return {e, std::generic_category()};

    alignas(nlmsghdr) std::array<char, 32768> buf;
    for (std::size_t messages = 0; messages < kMaxMessages;) {
        const ssize_t n = ::recv(s.get(), buf.data(), buf.size(), 0);
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
            visit(*static_cast<const inet_diag_msg*>(NLMSG_DATA(h)), quiet_for(*h));
        }
    }
    return std::make_error_code(std::errc::message_size);
}

// One dump of `family` sockets; matching remotes appended to out.
std::error_code dump_peers(int family, const unsigned char* local, std::size_t local_len, std::uint16_t port,
                           std::vector<std::string>& out, std::size_t max_peers) {
    return dump(family, ~(1u << kListen), [&](const inet_diag_msg& m, auto) {
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

// One SOCK_DESTROY request for the socket `id` of `family`; 0 or an errno.
int destroy_one(int family, const inet_diag_sockid& id) {
    UniqueFd s;
    if (const int e = send_request(s, SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, family, ~0u, &id)) return e;
    alignas(nlmsghdr) std::array<char, 4096> buf;
    const ssize_t n = ::recv(s.get(), buf.data(), buf.size(), 0);
    if (n < 0) return errno;
    const auto* h = reinterpret_cast<const nlmsghdr*>(buf.data());
    if (!NLMSG_OK(h, static_cast<int>(n)) || h->nlmsg_type != NLMSG_ERROR) return EPROTO;
    const int error = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    return error == ENOENT ? 0 : error;  // gone meanwhile: as good as closed
}

bool stale(const inet_diag_msg& m, std::optional<std::chrono::milliseconds> quiet, StaleSockets which,
           std::chrono::milliseconds quiet_limit) {
    const int state = m.idiag_state;
    if (state == kListen) return false;
    if (which == StaleSockets::all) return true;
    if (state == kSynRecv || state == kNewSynRecv) return false;
    // An established connection made since the VIP arrived (milliseconds
    // ago) has just received its handshake and first call; one from an
    // earlier stay has heard nothing since the VIP left (segments of the
    // client's newer connection on the same port are out of its window and
    // count for nothing).
    return state != kEstablished || m.idiag_retrans >= kRetransmitting || (quiet && *quiet >= quiet_limit);
}

}  // namespace

std::size_t destroy_connections(const asio::ip::address& local, std::uint16_t local_port, StaleSockets which,
                                std::error_code& ec, std::chrono::milliseconds quiet_limit) {
    ec.clear();
    std::vector<std::pair<int, inet_diag_sockid>> victims;
    for (const int family : {AF_INET, AF_INET6}) {
        ec = dump(
            family, ~0u,
            [&](const inet_diag_msg& m, std::optional<std::chrono::milliseconds> quiet) {
                if (ntohs(m.id.idiag_sport) != local_port || diag_address(family, m.id.idiag_src) != local) return;
                if (stale(m, quiet, which, quiet_limit) && victims.size() < 65536) victims.emplace_back(family, m.id);
            },
            1u << (INET_DIAG_INFO - 1));
        if (ec) return 0;
    }
    std::size_t closed = 0;
    for (const auto& [family, id] : victims) {
        if (const int error = destroy_one(family, id)) {
            ec.assign(error, std::generic_category());
            if (error == EOPNOTSUPP) ec = std::make_error_code(std::errc::operation_not_supported);
            return closed;
        }
        ++closed;
    }
    return closed;
}

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
        ec = dump(family, 1u << kEstablished, [&](const inet_diag_msg& m, auto) {
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
