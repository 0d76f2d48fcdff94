// Steering NFS clients across a VIP move (issue 12): the drop table follows
// the local nfsd's health, this node's client connections go to the peers
// ahead of time, and a VIP's arrival sends its known clients tickle ACKs.
#include <algorithm>

#include "actions/tcp_peers.hpp"
#include "actions/tickle.hpp"
#include "service/daemon.hpp"
#include "service/log.hpp"

namespace gha {
namespace {

using control::answer;
using control::Caller;
using control::Request;
using nlohmann::json;

// How often this node's own connections are read (sock_diag, a few µs) and,
// when they changed, sent to the peers.
constexpr std::chrono::milliseconds kConnectionScan{1000};
// Tickle rounds after a VIP's arrival, each after a gratuitous ARP: the
// client's kernel answers an out-of-window segment at most once per 500 ms
// per connection (tcp_invalid_ratelimit), so the rounds are further apart
// than that; a later one reaches a client whose answer to the first got lost.
constexpr std::array<std::chrono::milliseconds, 3> kTickleRounds{std::chrono::milliseconds(0),
                                                                std::chrono::milliseconds(600),
                                                                std::chrono::milliseconds(1200)};
constexpr std::size_t kMaxTickleTimers = 64;
constexpr std::chrono::milliseconds kFirewallRetry{2000};  // after a failed nft run

json connections_json(const std::vector<ClientConnection>& list) {
    json out = json::array();
    for (const auto& c : list)
        out.push_back({{"vip", c.vip.to_string()}, {"client", c.client.to_string()}, {"port", c.client_port}});
    return out;
}

}  // namespace

std::vector<asio::ip::address> Daemon::vip_addresses() const {
    std::vector<asio::ip::address> out;
    for (const auto& [node, vip] : config_.vips) {
        std::error_code ec;
        const auto a = asio::ip::make_address(vip, ec);
        if (!ec && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    return out;
}

void Daemon::build_client_steering() {
    firewall_ = std::make_unique<NfsFirewall>(runner_, config_.clients.nft, config_.nfsd_address.port,
                                              config_.action_timeout);
    firewall_->on_done([this](const FirewallState& state, const ChildResult& result) {
        firewall_failed_ = !result.ok();
        failover_.drop_changed();  // a fence may be waiting for this table
        if (result.ok()) {
            metrics_.client_drop(state.present && state.leaving);
            log::info(std::string("nft table ganesha_ha ") +
                      (!state.present ? "removed" : state.leaving ? "dropping NFS traffic to the VIPs" : "in place"));
            return;
        }
        metrics_.firewall_failure();
        const std::string message = "nft: " + result.describe();
        log::warning(message);
        events_.add("clients", "firewall", message);
        if (!stopping_) schedule_reconcile(kFirewallRetry);
    });
    scan_timer_ = clock_.make_timer();
    failover_.set_drop_check([this] { return fence_may_go(); });
}

// Whether a fence may kill the hung nfsd now: not before the table drops
// what it sends (its FIN would reach the clients), unless none is wanted or
// nft failed (then a warning is already in the log).
std::optional<std::string> Daemon::fence_may_go() const {
    if (!config_.clients.drop) return "HA_CLIENT_DROP is off";
    const FirewallState want = wanted_firewall();
    if (!want.leaving) return "the nfsd is not judged down: no drop wanted";
    if (!want.drop_outgoing) return "HA_CLIENT_TICKLE is off: the server's packets are not dropped";
    const auto& applied = firewall_->applied();
    if (applied && applied->leaving && applied->drop_outgoing && applied->vips == want.vips) return "in place";
    if (firewall_failed_ && !firewall_->busy()) return "nft failed: fencing without the drop table";
    return std::nullopt;
}

// The table's wanted state: present when HA_CLIENT_DROP is on and the daemon
// runs; leaving while the local nfsd is judged down or hung.
FirewallState Daemon::wanted_firewall() const {
    FirewallState state;
    state.present = config_.clients.drop && !stopping_;
    state.vips = vip_addresses();
    state.leaving = state.present && nfsd_healthy_ && !*nfsd_healthy_;
    state.drop_outgoing = config_.clients.tickle;
    return state;
}

void Daemon::apply_firewall(bool only_if_different) {
    const FirewallState state = wanted_firewall();
    if (only_if_different && !firewall_->busy() && firewall_->applied() == state) return;
    if (only_if_different && firewall_->busy() && firewall_->wanted() == state) return;
    firewall_->apply(state);
}

void Daemon::start_client_steering() {
    // A (re)start begins clean: whatever an earlier daemon left is replaced.
    apply_firewall(false);
    if (config_.clients.tickle) {
        try {
            addresses_ = std::make_shared<LocalAddressWatch>(io_, [this](const AddedAddress& a) {
                on_local_address(a);
            });
            addresses_->start();
        } catch (const std::system_error& e) {
            const std::string message = std::string("no tickle ACKs: cannot watch local addresses: ") + e.what();
            log::warning(message);
            events_.add("clients", "tickle", message);
        }
    }
    scan_connections();
}

void Daemon::stop_client_steering() {
    if (addresses_) addresses_->stop();
    scan_timer_->cancel();
    for (auto& t : tickle_timers_) t.timer->cancel();
    // The child keeps the loop running until nft has removed the table.
    firewall_->apply(wanted_firewall());
}

void Daemon::scan_connections() {
    if (stopping_) return;
    std::error_code ec;
    auto list = tcp_connections(vip_addresses(), config_.nfsd_address.port, ec, kMaxSharedConnections);
    if (ec) {
        if (scan_error_ != ec) log::warning("connection scan (sock_diag): " + ec.message());
    } else {
        if (list != local_connections_) metrics_.client_connections(config_.node, static_cast<double>(list.size()));
        local_connections_ = list;
        // While the local nfsd is down the list the peers have stands: the
        // connections of a fenced server close (behind the drop) and must
        // still be tickled by whichever node takes the VIP.
        const bool leaving = nfsd_healthy_ && !*nfsd_healthy_;
        if (heartbeats_ && !leaving) heartbeats_->set_connections(std::move(list));
    }
    scan_error_ = ec;
    scan_timer_->async_wait_for(kConnectionScan, [this](std::error_code e) {
        if (!e) scan_connections();
    });
}

void Daemon::on_peer_connections(const std::string& node, const std::vector<ClientConnection>& list) {
    peer_connections_[node] = list;
    metrics_.client_connections(node, static_cast<double>(list.size()));
}

// Connections to a VIP's NFS port that no client of now can own (see
// destroy_connections), closed with an event when there were any.
void Daemon::close_stale_connections(const std::string& vip, StaleSockets which, const std::string& why) {
    std::error_code bad;
    const auto address = asio::ip::make_address(vip, bad);
    if (bad) return;
    std::error_code ec;
    const std::size_t closed = destroy_connections(address, config_.nfsd_address.port, which, ec);
    if (closed > 0 || ec)
        events_.add("clients", vip,
                    why + ": " + std::to_string(closed) + " stale connection(s) closed" +
                        (ec ? "; cannot close the rest: " + ec.message() : ""),
                    {{"vip", vip}, {"closed", closed}});
}

void Daemon::on_local_address(const AddedAddress& added) {
    const asio::ip::address& address = added.address;
    if (stopping_) return;
    const auto vips = vip_addresses();
    if (std::find(vips.begin(), vips.end(), address) == vips.end()) return;
    // Left from this VIP's earlier stay here (a fenced server's connections
    // whose FIN was dropped; an idle one the address left behind at a
    // fail-back, on the port the client uses again): they would answer the
    // tickled clients instead of resetting them.
    close_stale_connections(address.to_string(), StaleSockets::not_fresh, "VIP arrived");
    if (!config_.clients.tickle) return;
    // Every connection a peer last reported for this VIP: the node that
    // served it before (dead, hung or releasing) and any other that did.
    std::vector<ClientConnection> targets;
    for (const auto& [node, list] : peer_connections_)
        for (const auto& c : list)
            if (c.vip == address) targets.push_back(c);
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    events_.add("clients", address.to_string(),
                "VIP arrived; tickling " + std::to_string(targets.size()) + " known client connection(s)",
                {{"vip", address.to_string()}, {"connections", targets.size()}});
    if (targets.empty()) return;
    std::erase_if(tickle_timers_, [](const TickleTimer& t) { return *t.fired; });
    for (const auto delay : kTickleRounds) {
        if (delay.count() == 0) {
            send_tickle_round(address, added.ifindex, targets);
            continue;
        }
        if (tickle_timers_.size() >= kMaxTickleTimers) break;  // a flapping address: enough rounds queued
        TickleTimer t{clock_.make_timer(), std::make_shared<bool>(false)};
        t.timer->async_wait_for(delay, [this, address, ifindex = added.ifindex, targets,
                                         fired = t.fired](std::error_code ec) {
            *fired = true;
            if (!ec && !stopping_) send_tickle_round(address, ifindex, targets);
        });
        tickle_timers_.push_back(std::move(t));
    }
}

void Daemon::send_tickle_round(const asio::ip::address& vip, int ifindex,
                               const std::vector<ClientConnection>& targets) {
    if (auto arp = send_gratuitous_arp(vip, ifindex)) {
        const std::string message = "gratuitous ARP for " + vip.to_string() + ": " + arp.message();
        log::warning(message);
        events_.add("clients", "tickle", message);
    }
    std::error_code ec;
    const std::size_t sent = send_tickles(targets, config_.nfsd_address.port, ec);
    metrics_.tickles_sent(static_cast<double>(sent));
    if (ec) {
        const std::string message = "tickle ACKs: " + std::to_string(sent) + " of " +
                                    std::to_string(targets.size()) + " sent: " + ec.message();
        log::warning(message);
        events_.add("clients", "tickle", message);
    }
}

void Daemon::register_client_commands() {
    registry_.add("connections",
                  "NFS client connections to the VIPs: this node's own and each peer's last list (tickle targets)",
                  false, [this](const Request&, const Caller&) {
                      json peers = json::object();
                      std::size_t total = local_connections_.size();
                      for (const auto& [node, list] : peer_connections_) {
                          peers[node] = connections_json(list);
                          total += list.size();
                      }
                      json drop = {{"enabled", config_.clients.drop},
                                   {"leaving", firewall_->applied() && firewall_->applied()->leaving},
                                   {"in_sync", !firewall_->busy() && firewall_->applied() == wanted_firewall()}};
                      return answer(control::success, std::to_string(total) + " known client connection(s)",
                                    {{"local", connections_json(local_connections_)},
                                     {"peers", peers},
                                     {"drop", drop},
                                     {"tickle", config_.clients.tickle}});
                  });
}

}  // namespace gha
