// rtnetlink address notifications (monitors/local_addresses): what the kernel
// multicasts to the daemon's NETLINK_ROUTE socket. Trusted, but the parser
// must never read past a message or an attribute whatever the lengths say.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "monitors/local_addresses.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto added = gha::added_addresses(std::span<const std::uint8_t>(data, size));
    // Each address needs at least a netlink header, an ifaddrmsg and an attribute.
    if (added.size() > size / 28) std::abort();
    for (const auto& a : added) (void)a.address.to_string();
    return 0;
}
