// Addresses appearing on this node's interfaces, as the kernel announces
// them (rtnetlink RTM_NEWADDR multicast), so that a VIP's arrival is seen
// the moment IPaddr2 adds it, whoever moved it and why.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <array>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

namespace gha {

struct AddedAddress {
    asio::ip::address address;
    int ifindex = 0;  // the interface it was added to
};

// Every address on this node's interfaces now (getifaddrs).
std::vector<asio::ip::address> current_local_addresses(std::error_code& ec);

// The addresses an rtnetlink message announces as added (RTM_NEWADDR), for
// the parser's tests. Malformed parts are skipped.
std::vector<AddedAddress> added_addresses(std::span<const std::uint8_t> messages);

class LocalAddressWatch : public std::enable_shared_from_this<LocalAddressWatch> {
public:
    using Added = std::function<void(const AddedAddress& added)>;

    // Opens and binds the netlink socket: throws std::system_error when it
    // cannot. Must be owned by a shared_ptr.
    LocalAddressWatch(asio::io_context& io, Added added);
    ~LocalAddressWatch();
    void start();
    void stop();
    // Messages lost because the socket's buffer overflowed (ENOBUFS): an
    // arrival may have been missed.
    std::uint64_t overruns() const { return overruns_; }

private:
    void wait();
    void read();

    asio::posix::stream_descriptor socket_;
    Added added_;
    std::array<std::uint8_t, 16384> buffer_{};
    std::uint64_t overruns_ = 0;
    bool running_ = false;
};

}  // namespace gha
