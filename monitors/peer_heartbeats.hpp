// Peer heartbeats: every ganesha-had sends an authenticated UDP datagram
// (monitors/heartbeat_codec.hpp) to every other node of HA_CLUSTER_NODES
// each interval, and at once when its own state changes (nfsd health, the
// grace it holds). Each peer has a health counter (rise/fall, as the other
// monitors): a valid datagram is a success; a missing one is a failure, so
// a peer that goes silent is unhealthy fall × interval after the last
// datagram it sent (the first miss gets interval/4 of slack against the
// sender's timer drift, except with fall=1).
//
// A peer's state combines its link and what it reports about its nfsd:
// up = heard and its nfsd healthy; down = silent, or its nfsd reported down;
// a peer that reports "unknown" (its daemon just started) keeps its state.
// A daemon that stops on purpose says so (leave()): it is then "unknown",
// and its silence is not a failure, until it sends again.
//
// Addresses: IP literals are used as they are; a peer without one is looked
// up by node name with getaddrinfo_a, never blocking the loop (polled on a
// timer, bounded by resolve_timeout, retried every resolve_retry while it
// fails). Everything runs on the one io_context; time comes from the Clock.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/ip/v6_only.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "monitors/clock.hpp"
#include "monitors/client_connection.hpp"
#include "monitors/connection_list_codec.hpp"
#include "monitors/health_counter.hpp"
#include "monitors/heartbeat_codec.hpp"
#include "monitors/monitor_settings.hpp"
#include "monitors/peer_queries.hpp"

namespace gha {

struct PeerTarget {
    std::string node;
    std::string host;        // IP literal; "" = resolve the node name
    std::uint16_t port = 0;  // 0 = PeerHeartbeatOptions::port
};

struct PeerHeartbeatOptions {
    std::string cluster;  // HA_NAME
    std::string self;     // this node
    std::string bind_address = "0.0.0.0";
    std::uint16_t port = kDefaultHeartbeatPort;  // 0 binds an ephemeral port (tests)
    std::vector<PeerTarget> peers;               // every other node
    MonitorSettings settings;                    // interval, rise, fall
    Millis resolve_timeout{2000};
    Millis resolve_retry{10000};
    // Wall clock, for this daemon's incarnation (its start time) and the
    // peers' clock skew. Unset: std::chrono::system_clock::now.
    std::function<std::chrono::system_clock::time_point()> wall_clock;
};

enum class PeerState { unknown, up, down };
std::string_view to_string(PeerState state);

// Our own state, as the next datagram will carry it.
struct LocalHeartbeatState {
    NfsdState nfsd = NfsdState::unknown;
    std::vector<std::string> grace_held;  // nodes whose VIP our ganesha is in grace for
    std::uint64_t scope_fingerprint = 0;  // of our ganesha's Server_Scope; 0 = unknown
    bool drained = false;                 // we take no VIP (an operator's drain)
    bool operator==(const LocalHeartbeatState&) const = default;
};

using DropCounts = std::array<std::uint64_t, kDropReasonCount>;  // indexed by DropReason

struct PeerStatus {
    std::string node;
    std::string address;        // "127.0.0.2:62049"; "" while unresolved
    std::string address_error;  // why it is unresolved
    PeerState state = PeerState::unknown;
    std::string why;            // of the last state change
    TimePoint state_since{};
    Health link = Health::unknown;
    int counter = 0;
    TimePoint last_heard{};     // last accepted datagram
    std::string source;         // its source address
    std::optional<std::uint64_t> incarnation;
    std::uint64_t sequence = 0;
    NfsdState nfsd = NfsdState::unknown;
    std::vector<std::string> grace_held;
    bool grace_incomplete = false;
    bool leaving = false;       // its last datagram said its daemon is stopping
    bool drained = false;       // it takes no VIP (drained), as its last datagram said
    bool heard = false;         // at least one datagram accepted since start
    std::uint64_t scope_fingerprint = 0;  // of its ganesha's Server_Scope, as last sent; 0 = unknown
    std::uint64_t received = 0, restarts = 0, misses = 0, sent = 0, send_errors = 0;
    // Accepted datagrams whose nfsd state was not "healthy" (down, or its
    // daemon did not know yet): a flapping peer's count does not move.
    std::uint64_t nfsd_not_healthy = 0;
    // Authentic datagrams claiming this peer that were dropped (replay,
    // wrong-source, clock-skew), and bad-mac ones sent from its exact
    // address and port (that node has another key). A bad MAC from anywhere
    // else proves nothing about the name in it: counted globally only.
    DropCounts drops{};
    std::string wrong_source;  // where the last wrong-source datagram claiming this peer came from
    // Its client connections, from its last complete connection list.
    std::size_t connections = 0;
    bool connections_incomplete = false;
    std::uint64_t connection_lists = 0;  // complete lists received
};

// The last datagram with a bad MAC: where it came from, not who it claimed to be.
struct DropSource {
    std::string source;  // "192.0.2.7:40000"
    TimePoint at{};
};

class PeerHeartbeats : public std::enable_shared_from_this<PeerHeartbeats> {
public:
    struct Callbacks {
        // A peer that was up is down: silent for fall × interval, or its
        // daemon reports its nfsd down. Not called for a peer never seen up.
        std::function<void(const std::string& node, const std::string& why)> on_peer_down;
        // Every state change (the one above included), for logs and events.
        std::function<void(const PeerStatus& peer, PeerState from)> on_peer_state;
        // A peer's heartbeat lists this node in its grace list (and its
        // previous one did not).
        std::function<void(const std::string& node)> on_grace_held_for_me;
        // A peer's Server_Scope fingerprint differs from the one in its
        // previous datagram (or this is its first datagram).
        std::function<void(const PeerStatus& peer)> on_peer_scope;
        // A peer's drained flag changed (it stopped or started taking VIPs).
        std::function<void(const PeerStatus& peer)> on_peer_drained;
        // A peer's connection list arrived complete (sent when it changes
        // and every kConnectionListRefresh heartbeats).
        std::function<void(const std::string& node, const std::vector<ClientConnection>& list)>
            on_peer_connections;
        // A peer's query (its control request as JSON), and a peer's whole
        // answer to one of ours (monitors/peer_query_codec.hpp).
        std::function<void(const std::string& node, std::uint32_t id, const std::string& request)> on_query;
        std::function<void(const std::string& node, std::uint32_t id, const std::string& answer)> on_query_answer;
    };
    static constexpr int kConnectionListRefresh = 10;

    // Opens and binds the socket: throws std::system_error (naming the
    // address) when it cannot. Must be owned by a shared_ptr.
    PeerHeartbeats(asio::io_context& io, Clock& clock, PeerHeartbeatOptions options, HeartbeatKey key,
                   Callbacks callbacks);
    ~PeerHeartbeats();
    PeerHeartbeats(const PeerHeartbeats&) = delete;
    PeerHeartbeats& operator=(const PeerHeartbeats&) = delete;

    void start();  // first datagram at once, then every interval
    void stop();   // closes the socket; no more callbacks
    // stop(), after telling the peers (one best-effort datagram) that this
    // daemon is stopping on purpose.
    void leave();

    // Sends at once when it differs from the current state.
    void set_local(LocalHeartbeatState state);
    const LocalHeartbeatState& local() const { return local_; }
    // The client connections to our VIPs, for the peers (sent at once when
    // it differs from the last one).
    void set_connections(std::vector<ClientConnection> list);

    // A query to `node`, and our answer to one of its queries. Errors:
    // invalid_argument (not a peer), host_unreachable (its address is not
    // resolved, or we are stopped). Throw std::invalid_argument when too large.
    std::error_code send_query(const std::string& node, std::uint32_t id, const std::string& request);
    std::error_code answer_query(const std::string& node, std::uint32_t id, const std::string& text);

    std::vector<PeerStatus> peers() const;
    const PeerStatus* peer(std::string_view node) const;
    const DropCounts& drops() const { return drops_; }
    const std::optional<DropSource>& last_bad_mac() const { return last_bad_mac_; }
    std::uint64_t incarnation() const { return incarnation_; }
    std::uint64_t sequence() const { return sequence_; }
    asio::ip::udp::endpoint local_endpoint() const;
    const PeerHeartbeatOptions& options() const { return options_; }
    // Silence to unhealthy: fall × interval.
    Millis detection_bound() const;

private:
    struct Peer;
    struct Lookup;

    void receive();
    void on_datagram(std::span<const std::uint8_t> bytes, const asio::ip::udp::endpoint& from);
    void on_connection_list(std::span<const std::uint8_t> bytes, const asio::ip::udp::endpoint& from);
    void count_drop(DropReason reason, const std::string& claimed, const asio::ip::udp::endpoint& from);
    DecodeContext decode_context(const asio::ip::udp::endpoint& from);
    HeartbeatCodec::WindowLookup window_lookup(Peer*& sender, ReplayWindow Peer::*window);
    void send_connections();
    void send_to_peers(std::shared_ptr<const std::vector<std::uint8_t>> bytes);
    void send_datagrams(const std::string& node, std::vector<std::vector<std::uint8_t>> datagrams);
    Heartbeat next_heartbeat();
    void send_all();
    void schedule_send();
    void arm_miss(std::size_t index, Duration delay);
    void on_miss(std::size_t index);
    void record_link(Peer& peer, Outcome outcome);
    void update_state(Peer& peer);
    void resolve_pending();
    void poll_lookups();
    Peer* find(std::string_view node);
    template <class Fn>
    auto guarded(Fn fn) {
        return [weak = weak_from_this(), fn = std::move(fn)](auto&&... args) mutable {
            if (auto self = weak.lock()) fn(std::forward<decltype(args)>(args)...);
        };
    }

    asio::io_context& io_;
    Clock& clock_;
    PeerHeartbeatOptions options_;
    HeartbeatCodec codec_;
    ConnectionListCodec list_codec_;
    Callbacks callbacks_;
    PeerQueries queries_;
    asio::ip::udp::socket socket_;
    std::vector<std::unique_ptr<Peer>> peers_;
    std::unique_ptr<Timer> send_timer_;
    std::unique_ptr<Timer> resolve_timer_;
    std::vector<std::unique_ptr<Lookup>> lookups_;  // in flight
    std::array<std::uint8_t, kMaxHeartbeatBytes + 1> buffer_{};
    asio::ip::udp::endpoint from_;
    LocalHeartbeatState local_;
    DropCounts drops_{};
    std::optional<DropSource> last_bad_mac_;
    std::uint64_t incarnation_ = 0;
    std::uint64_t sequence_ = 0;
    std::vector<ClientConnection> connections_;
    std::uint32_t list_generation_ = 0;
    std::uint64_t list_sequence_ = 0;
    int sends_since_list_ = 0;
    bool running_ = false;
};

}  // namespace gha
