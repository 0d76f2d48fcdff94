#include "monitors/local_addresses.hpp"

#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace gha {

std::vector<asio::ip::address> current_local_addresses(std::error_code& ec) {
    ec.clear();
    std::vector<asio::ip::address> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        ec.assign(errno, std::generic_category());
        return out;
    }
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            out.push_back(asio::ip::address_v4(ntohl(in->sin_addr.s_addr)));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            asio::ip::address_v6::bytes_type bytes;
            std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
            out.push_back(asio::ip::address_v6(bytes, in6->sin6_scope_id));
        }
    }
    ::freeifaddrs(list);
    return out;
}

std::vector<AddedAddress> added_addresses(std::span<const std::uint8_t> messages) {
    std::vector<AddedAddress> out;
    std::size_t pos = 0;
    // pos and a never pass the end: a length that is not a multiple of 4
    // (the last attribute's, or the message's when the kernel leaves the
    // padding out) rounds up past it, and the size_t difference would wrap.
    while (messages.size() - pos >= sizeof(nlmsghdr)) {
        nlmsghdr h;
        std::memcpy(&h, messages.data() + pos, sizeof h);
        if (h.nlmsg_len < sizeof h || h.nlmsg_len > messages.size() - pos) break;
        const std::size_t end = pos + h.nlmsg_len;
        if (h.nlmsg_type == RTM_NEWADDR && h.nlmsg_len >= NLMSG_LENGTH(sizeof(ifaddrmsg))) {
            ifaddrmsg ifa;
            std::memcpy(&ifa, messages.data() + pos + NLMSG_HDRLEN, sizeof ifa);
            std::size_t a = pos + NLMSG_LENGTH(sizeof(ifaddrmsg));
            a = pos + NLMSG_ALIGN(a - pos);
            std::optional<asio::ip::address> local, address;
            while (end - a >= sizeof(rtattr)) {
                rtattr attr;
                std::memcpy(&attr, messages.data() + a, sizeof attr);
                if (attr.rta_len < sizeof attr || attr.rta_len > end - a) break;
                const std::uint8_t* data = messages.data() + a + RTA_LENGTH(0);
                const std::size_t len = attr.rta_len - RTA_LENGTH(0);
                std::optional<asio::ip::address> value;
                if (ifa.ifa_family == AF_INET && len == 4) {
                    asio::ip::address_v4::bytes_type b;
                    std::memcpy(b.data(), data, 4);
                    value = asio::ip::address_v4(b);
                } else if (ifa.ifa_family == AF_INET6 && len == 16) {
                    asio::ip::address_v6::bytes_type b;
                    std::memcpy(b.data(), data, 16);
                    value = asio::ip::address_v6(b);
                }
                if (attr.rta_type == IFA_LOCAL) local = value;
                if (attr.rta_type == IFA_ADDRESS) address = value;
                a = std::min<std::size_t>(a + RTA_ALIGN(attr.rta_len), end);
            }
            // IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS
            // is the peer's on a point-to-point link); IPv6 has only IFA_ADDRESS.
            const int ifindex = static_cast<int>(ifa.ifa_index);
            if (local)
                out.push_back({*local, ifindex});
            else if (address)
                out.push_back({*address, ifindex});
        }
        pos = std::min<std::size_t>(pos + NLMSG_ALIGN(h.nlmsg_len), messages.size());
    }
    return out;
}

LocalAddressWatch::LocalAddressWatch(asio::io_context& io, Added added) : socket_(io), added_(std::move(added)) {
    const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "rtnetlink socket");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::generic_category(), "rtnetlink bind (address notifications)");
    }
    socket_.assign(fd);
}

LocalAddressWatch::~LocalAddressWatch() { stop(); }

void LocalAddressWatch::start() {
    if (running_) return;
    running_ = true;
    wait();
}

void LocalAddressWatch::stop() {
    running_ = false;
    std::error_code ec;
    socket_.close(ec);
}

void LocalAddressWatch::wait() {
    socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [weak = weak_from_this()](std::error_code ec) {
                           auto self = weak.lock();
                           if (!self || ec || !self->running_) return;
                           self->read();
                       });
}

void LocalAddressWatch::read() {
    // Everything queued now; each datagram is one or more messages.
    for (int i = 0; i < 64 && running_; ++i) {
        const ssize_t n = ::recv(socket_.native_handle(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ENOBUFS) {
                ++overruns_;
                continue;
            }
            break;  // EAGAIN: drained; anything else: try again on the next wake-up
        }
        for (const auto& address : added_addresses(std::span<const std::uint8_t>(buffer_.data(), std::size_t(n))))
            if (added_) added_(address);
    }
    if (running_) wait();
}

}  // namespace gha
