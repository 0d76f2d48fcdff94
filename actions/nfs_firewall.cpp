#include "actions/nfs_firewall.hpp"

#include <sstream>

namespace gha {
namespace {

std::string elements(const std::vector<asio::ip::address>& vips, bool v4) {
    std::string out;
    for (const auto& a : vips) {
        if (a.is_v4() != v4) continue;
        out += out.empty() ? "" : ", ";
        out += a.to_string();
    }
    return out;
}

void set(std::ostringstream& out, const char* name, const char* type, const std::string& members) {
    out << "set " << name << " { type " << type << "; ";
    if (!members.empty()) out << "elements = { " << members << " }; ";
    out << "}; ";
}

}  // namespace

NfsFirewall::NfsFirewall(CommandRunner& runner, std::string nft, std::uint16_t port,
                         std::chrono::milliseconds timeout)
    : runner_(runner), nft_(std::move(nft)), port_(port), timeout_(timeout) {}

NfsFirewall::~NfsFirewall() { *alive_ = false; }

std::string NfsFirewall::commands(const FirewallState& state, std::uint16_t port) {
    const std::string t = std::string("inet ") + kNfsFirewallTable;
    // "add" first so that "delete" never fails on a missing table: the pair
    // empties whatever was there, in the same transaction as the new table.
    std::ostringstream out;
    out << "add table " << t << "; delete table " << t;
    if (!state.present) return out.str();
    const std::string v4 = elements(state.vips, true), v6 = elements(state.vips, false);
    const std::string p = std::to_string(port);
    out << "; table " << t << " { ";
    set(out, "vips4", "ipv4_addr", v4);
    set(out, "vips6", "ipv6_addr", v6);
    set(out, "leaving4", "ipv4_addr", state.leaving ? v4 : "");
    set(out, "leaving6", "ipv6_addr", state.leaving ? v6 : "");
    // Before the usual filter tables (priority 0), so their accept rules do
    // not let a segment through to be refused.
    out << "chain input { type filter hook input priority -10; policy accept; "
        << "ip daddr @leaving4 tcp dport " << p << " drop; "
        << "ip6 daddr @leaving6 tcp dport " << p << " drop; "
        // A socket (listener, connection, half-open or TIME_WAIT) takes it:
        // let it through. `socket transparent` matches 0 or 1 whenever
        // there is one; without one the expression does not match.
        << "ip daddr @vips4 tcp dport " << p << " socket transparent 0 accept; "
        << "ip daddr @vips4 tcp dport " << p << " socket transparent 1 accept; "
        << "ip6 daddr @vips6 tcp dport " << p << " socket transparent 0 accept; "
        << "ip6 daddr @vips6 tcp dport " << p << " socket transparent 1 accept; "
        << "ip daddr @vips4 tcp dport " << p << " drop; "
        << "ip6 daddr @vips6 tcp dport " << p << " drop; }; "
        << "chain output { type filter hook output priority -10; policy accept; ";
    if (state.drop_outgoing)
        out << "ip saddr @leaving4 tcp sport " << p << " drop; "
            << "ip6 saddr @leaving6 tcp sport " << p << " drop; ";
    out << "}; }";
    return out.str();
}

void NfsFirewall::apply(FirewallState state) {
    wanted_ = std::move(state);
    if (running_) {
        again_ = true;
        return;
    }
    run();
}

void NfsFirewall::run() {
    running_ = true;
    again_ = false;
    const FirewallState state = wanted_;
    ChildOptions options;
    options.timeout = timeout_;
    runner_.run({nft_, commands(state, port_)}, options, [this, state, alive = alive_](const ChildResult& result) {
        if (!*alive) return;
        running_ = false;
        if (result.ok())
            applied_ = state;
        else
            applied_.reset();
        if (done_) done_(state, result);
        if (again_) run();  // a failure is retried by the caller (the daemon reconciles)
    });
}

}  // namespace gha
