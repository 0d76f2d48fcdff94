// The node's nftables table `inet ganesha_ha`: NFS clients' packets to the
// VIPs are dropped, never refused, when no server can take them here. A RST
// makes a Linux NFS client wait ~3 s before it tries again; a dropped SYN
// is sent again after 1 s, by which time the VIP has usually moved.
//
//  - Always: a TCP segment to a VIP's NFS port that no local socket would
//    take (ganesha.nfsd is not listening: it just died, and the client's
//    first reconnect beats our detection by microseconds) is dropped.
//  - While `leaving` (the local ganesha.nfsd is dead or hung, until it is
//    healthy again): every segment to and from a VIP's NFS port is dropped,
//    in both directions (`drop_outgoing`), so a hung server that the fence
//    kills cannot close its clients' connections either; they stay
//    established until the node that takes the VIP tickles them
//    (actions/tickle.hpp), and their reconnect then goes to that node.
//
// Each apply replaces the whole table in one nft transaction, so it is
// idempotent and a half-applied state never exists; remove() deletes it.
// `nft` runs as a child process (no shell), its commands as arguments.
#pragma once

#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actions/command_runner.hpp"

namespace gha {

inline constexpr const char* kNfsFirewallTable = "ganesha_ha";

struct FirewallState {
    std::vector<asio::ip::address> vips;
    bool leaving = false;
    bool present = true;  // false: the table is removed
    // While leaving, also drop what the server sends: only when the node
    // taking the VIP tickles the clients (else a dropped FIN would leave them
    // waiting for their RPC timeout).
    bool drop_outgoing = true;
    bool operator==(const FirewallState&) const = default;
};

class NfsFirewall {
public:
    using Done = std::function<void(const FirewallState& state, const ChildResult& result)>;

    NfsFirewall(CommandRunner& runner, std::string nft, std::uint16_t port, std::chrono::milliseconds timeout);
    ~NfsFirewall();
    NfsFirewall(const NfsFirewall&) = delete;
    NfsFirewall& operator=(const NfsFirewall&) = delete;

    // Brings the table to `state`. One nft runs at a time: a state asked for
    // meanwhile is applied after it (only the latest). `done` reports each
    // run's outcome.
    void apply(FirewallState state);
    void on_done(Done done) { done_ = std::move(done); }

    // The last state nft confirmed, nullopt before the first success or after a failure.
    const std::optional<FirewallState>& applied() const { return applied_; }
    const FirewallState& wanted() const { return wanted_; }
    bool busy() const { return running_; }

    // nft's command line for a state (one argument: nft parses its own syntax).
    static std::string commands(const FirewallState& state, std::uint16_t port);

private:
    void run();

    CommandRunner& runner_;
    std::string nft_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    FirewallState wanted_;
    std::optional<FirewallState> applied_;
    bool running_ = false;
    bool again_ = false;
    Done done_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gha
