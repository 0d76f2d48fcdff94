#include "actions/tickle.hpp"

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "monitors/unique_fd.hpp"

namespace gha {
namespace {

constexpr std::uint8_t kAck = 0x10;
constexpr std::uint16_t kWindow = 1234;  // CTDB's; any will do

void add_words(std::uint32_t& sum, std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
    if (bytes.size() % 2) sum += static_cast<std::uint32_t>(bytes.back() << 8);
}

void add_address(std::uint32_t& sum, const asio::ip::address& a) {
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        add_words(sum, b);
    } else {
        const auto b = a.to_v6().to_bytes();
        add_words(sum, b);
    }
}

}  // namespace

std::uint16_t tcp_checksum_sum(const asio::ip::address& source, const asio::ip::address& destination,
                               std::span<const std::uint8_t> segment) {
    std::uint32_t sum = 0;
    add_address(sum, source);
    add_address(sum, destination);
    sum += IPPROTO_TCP;
    sum += static_cast<std::uint32_t>(segment.size() & 0xffff);  // IPv6's 32-bit length: the high half is 0
    add_words(sum, segment);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

std::vector<std::uint8_t> tickle_segment(const ClientConnection& c, std::uint16_t vip_port) {
    std::vector<std::uint8_t> s(20, 0);
    s[0] = static_cast<std::uint8_t>(vip_port >> 8);
    s[1] = static_cast<std::uint8_t>(vip_port);
    s[2] = static_cast<std::uint8_t>(c.client_port >> 8);
    s[3] = static_cast<std::uint8_t>(c.client_port);
    // Sequence and acknowledgment numbers 0 (bytes 4..11): outside any
    // real window, so the client answers with its own numbers.
    s[12] = 5 << 4;  // data offset: 5 words, no options
    s[13] = kAck;
    s[14] = static_cast<std::uint8_t>(kWindow >> 8);
    s[15] = static_cast<std::uint8_t>(kWindow);
    const std::uint16_t checksum = static_cast<std::uint16_t>(~tcp_checksum_sum(c.vip, c.client, s));
    s[16] = static_cast<std::uint8_t>(checksum >> 8);
    s[17] = static_cast<std::uint8_t>(checksum);
    return s;
}

std::error_code send_gratuitous_arp(const asio::ip::address& vip, int ifindex) {
    if (!vip.is_v4()) return {};
    char name[IF_NAMESIZE] = {};
    if (!::if_indextoname(static_cast<unsigned>(ifindex), name)) return {errno, std::generic_category()};
    UniqueFd s{::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP))};
    if (s.get() < 0) return {errno, std::generic_category()};
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name, sizeof ifr.ifr_name - 1);
    if (::ioctl(s.get(), SIOCGIFHWADDR, &ifr) < 0) return {errno, std::generic_category()};
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) return {};  // loopback, tunnels: no ARP to send
    // ARP request, sender = target = the VIP (RFC 5227's announcement).
    std::uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};
    const auto ip = vip.to_v4().to_bytes();
    std::memcpy(arp + 8, ifr.ifr_hwaddr.sa_data, 6);
    std::memcpy(arp + 14, ip.data(), 4);
    std::memcpy(arp + 24, ip.data(), 4);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    if (::sendto(s.get(), arp, sizeof arp, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
        return {errno, std::generic_category()};
    return {};
}

std::size_t send_tickles(const std::vector<ClientConnection>& connections, std::uint16_t vip_port,
                         std::error_code& ec) {
    ec.clear();
    std::size_t sent = 0;
    for (const auto& c : connections) {
        const bool v4 = c.vip.is_v4();
        // A raw TCP socket without IP_HDRINCL: the kernel writes the IP
        // header, with the bound VIP as the source. It would also receive a
        // copy of every TCP segment, so it lives only for this send.
        UniqueFd s{::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP)};
        std::error_code error;
        if (s.get() < 0) {
            error = {errno, std::generic_category()};
        } else {
            sockaddr_storage from{}, to{};
            socklen_t len = 0;
            if (v4) {
                auto* f = reinterpret_cast<sockaddr_in*>(&from);
                auto* t = reinterpret_cast<sockaddr_in*>(&to);
                f->sin_family = t->sin_family = AF_INET;
                const auto vb = c.vip.to_v4().to_bytes(), cb = c.client.to_v4().to_bytes();
                std::memcpy(&f->sin_addr, vb.data(), vb.size());
                std::memcpy(&t->sin_addr, cb.data(), cb.size());
                len = sizeof(sockaddr_in);
            } else {
                auto* f = reinterpret_cast<sockaddr_in6*>(&from);
                auto* t = reinterpret_cast<sockaddr_in6*>(&to);
                f->sin6_family = t->sin6_family = AF_INET6;
                const auto vb = c.vip.to_v6().to_bytes(), cb = c.client.to_v6().to_bytes();
                std::memcpy(&f->sin6_addr, vb.data(), vb.size());
                std::memcpy(&t->sin6_addr, cb.data(), cb.size());
                f->sin6_scope_id = static_cast<std::uint32_t>(c.vip.to_v6().scope_id());
                t->sin6_scope_id = static_cast<std::uint32_t>(c.client.to_v6().scope_id());
                len = sizeof(sockaddr_in6);
            }
            const auto segment = tickle_segment(c, vip_port);
            if (::bind(s.get(), reinterpret_cast<sockaddr*>(&from), len) < 0 ||
                ::sendto(s.get(), segment.data(), segment.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
                         len) < 0)
                error = {errno, std::generic_category()};
        }
        if (error) {
            if (!ec) ec = error;
        } else {
            ++sent;
        }
    }
    return sent;
}

}  // namespace gha
