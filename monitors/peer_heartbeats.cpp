#include "monitors/peer_heartbeats.hpp"

#include <netdb.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <system_error>

namespace gha {
namespace {

using asio::ip::udp;
using namespace std::chrono_literals;

constexpr Duration kLookupPoll = 10ms;      // while a lookup is young
constexpr Duration kLookupSlowPoll = 250ms;  // after resolve_timeout

std::string endpoint_text(const udp::endpoint& e) {
    const auto a = e.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string() + ":" + std::to_string(e.port());
    return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(e.port())
                     : a.to_string() + ":" + std::to_string(e.port());
}

// The address in the socket's family: IPv4 peers of an IPv6 socket as
// v4-mapped; IPv6 peers of an IPv4 socket only when they are v4-mapped.
std::optional<asio::ip::address> for_socket(const asio::ip::address& a, bool v6_socket) {
    if (v6_socket) {
        if (a.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4());
        return a;
    }
    if (a.is_v4()) return a;
    if (a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return std::nullopt;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::string ms_text(Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

std::string_view to_string(PeerState state) {
    switch (state) {
        case PeerState::up: return "up";
        case PeerState::down: return "down";
        case PeerState::unknown: break;
    }
    return "unknown";
}

namespace {

std::vector<std::string> peer_names(const std::vector<PeerTarget>& peers) {
    std::vector<std::string> out;
    for (const auto& p : peers) out.push_back(p.node);
    return out;
}

}  // namespace

struct PeerHeartbeats::Peer {
    Peer(const MonitorSettings& s) : counter(s.rise, s.fall) {}
    PeerStatus status;
    std::string host;
    std::uint16_t port = 0;
    std::optional<udp::endpoint> endpoint;
    udp::endpoint source;  // of the last accepted datagram, as status.source shows it
    ReplayWindow window;
    ReplayWindow list_window;  // connection lists have their own sequence
    ConnectionListAssembler lists;
    HealthCounter counter;
    std::unique_ptr<Timer> miss_timer;
    int misses_in_row = 0;
    bool lookup_running = false;
    TimePoint retry_at{};  // of the next lookup after a failed one
};

// One getaddrinfo_a request. glibc writes into cb from its own thread until
// gai_error() says it is done, so the struct never moves (unique_ptr).
struct PeerHeartbeats::Lookup {
    std::size_t peer = 0;
    std::string name;
    addrinfo hints{};
    gaicb cb{};
    gaicb* list[1] = {nullptr};
    TimePoint deadline{};
    bool timed_out = false;
};

PeerHeartbeats::PeerHeartbeats(asio::io_context& io, Clock& clock, PeerHeartbeatOptions options, HeartbeatKey key,
                               Callbacks callbacks)
    : io_(io),
      clock_(clock),
      options_(std::move(options)),
      codec_(options_.cluster, key),
      list_codec_(options_.cluster, key),
      callbacks_(std::move(callbacks)),
      queries_(options_.cluster, options_.self, std::move(key), peer_names(options_.peers),
               {[this](const std::string& node, std::uint32_t id, const std::string& request) {
                    if (callbacks_.on_query) callbacks_.on_query(node, id, request);
                },
                [this](const std::string& node, std::uint32_t id, const std::string& answer) {
                    if (callbacks_.on_query_answer) callbacks_.on_query_answer(node, id, answer);
                }}),
      socket_(io),
      send_timer_(clock.make_timer()),
      resolve_timer_(clock.make_timer()) {
    if (!valid_heartbeat_name(options_.cluster) || !valid_heartbeat_name(options_.self))
        throw std::invalid_argument("peer heartbeats: cluster '" + options_.cluster + "' or node '" + options_.self +
                                    "' is not a name the heartbeat can carry");
    std::error_code ec;
    const auto address = asio::ip::make_address(options_.bind_address, ec);
    if (ec) throw std::system_error(ec, "HA_HEARTBEAT_ADDRESS '" + options_.bind_address + "'");
    const udp::endpoint bind(address, options_.port);
    socket_.open(bind.protocol(), ec);
    if (ec) throw std::system_error(ec, "peer heartbeats: cannot open a UDP socket");
    if (address.is_v6()) socket_.set_option(asio::ip::v6_only(false), ec);  // reach IPv4 peers too
    socket_.bind(bind, ec);
    if (ec)
        throw std::system_error(ec, "peer heartbeats: cannot bind " + endpoint_text(bind) +
                                        " (HA_HEARTBEAT_ADDRESS / HA_HEARTBEAT_PORT)");
    if (!options_.wall_clock) options_.wall_clock = [] { return std::chrono::system_clock::now(); };
    // Ordered: a peer takes a greater incarnation as our restart, and any
    // lower one (a recording of an earlier life) as a replay.
    incarnation_ = make_incarnation(options_.wall_clock(), randombytes_random());  // sodium: initialised by the codec

    const bool v6 = address.is_v6();
    for (const auto& target : options_.peers) {
        auto peer = std::make_unique<Peer>(options_.settings);
        peer->status.node = target.node;
        peer->host = target.host;
        peer->port = target.port != 0 ? target.port : options_.port;
        peer->miss_timer = clock_.make_timer();
        if (!target.host.empty()) {
            const auto a = asio::ip::make_address(target.host, ec);
            const auto usable = ec ? std::nullopt : for_socket(a, v6);
            if (usable) {
                peer->endpoint = udp::endpoint(*usable, peer->port);
                peer->status.address = endpoint_text(*peer->endpoint);
            } else {
                peer->status.address_error = "address '" + target.host + "' is not usable from " + endpoint_text(bind);
            }
        }
        peers_.push_back(std::move(peer));
    }
}

PeerHeartbeats::~PeerHeartbeats() {
    stop();
    for (auto& lookup : lookups_) {
        const int rc = gai_cancel(&lookup->cb);
        if (rc == EAI_NOTCANCELED) {
            (void)lookup.release();  // glibc still writes into it: leak it, once, at shutdown
            continue;
        }
        if (gai_error(&lookup->cb) == 0 && lookup->cb.ar_result) freeaddrinfo(lookup->cb.ar_result);
    }
}

void PeerHeartbeats::start() {
    if (running_) return;
    running_ = true;
    receive();
    // A peer not heard within the detection bound after start is unhealthy.
    for (std::size_t i = 0; i < peers_.size(); ++i) arm_miss(i, detection_bound());
    resolve_pending();
    send_all();
    schedule_send();
}

void PeerHeartbeats::leave() {
    if (!running_) return;
    // Sent here and now (the loop is about to stop), without blocking: with
    // a full socket buffer the goodbye is lost and the peers see silence.
    Heartbeat hb = next_heartbeat();
    hb.leaving = true;
    const auto bytes = codec_.encode(hb);
    std::error_code ec;
    socket_.non_blocking(true, ec);
    for (auto& peer : peers_)
        if (peer->endpoint) socket_.send_to(asio::buffer(bytes), *peer->endpoint, 0, ec);
    stop();
}

void PeerHeartbeats::stop() {
    if (!running_) return;
    running_ = false;
    send_timer_->cancel();
    resolve_timer_->cancel();
    for (auto& peer : peers_) peer->miss_timer->cancel();
    std::error_code ignored;
    socket_.close(ignored);
}

Millis PeerHeartbeats::detection_bound() const { return options_.settings.fall * options_.settings.interval; }

udp::endpoint PeerHeartbeats::local_endpoint() const {
    std::error_code ec;
    return socket_.local_endpoint(ec);
}

void PeerHeartbeats::set_local(LocalHeartbeatState state) {
    if (state == local_) return;
    local_ = std::move(state);
    if (running_) send_all();  // a state change goes out at once
}

std::vector<PeerStatus> PeerHeartbeats::peers() const {
    std::vector<PeerStatus> out;
    out.reserve(peers_.size());
    for (const auto& peer : peers_) out.push_back(peer->status);
    return out;
}

const PeerStatus* PeerHeartbeats::peer(std::string_view node) const {
    for (const auto& peer : peers_)
        if (peer->status.node == node) return &peer->status;
    return nullptr;
}

PeerHeartbeats::Peer* PeerHeartbeats::find(std::string_view node) {
    for (auto& peer : peers_)
        if (peer->status.node == node) return peer.get();
    return nullptr;
}

// ---------------------------------------------------------------- sending

void PeerHeartbeats::schedule_send() {
    send_timer_->async_wait_for(options_.settings.interval, guarded([this](std::error_code ec) {
        if (ec || !running_) return;
        send_all();
        schedule_send();
    }));
}

Heartbeat PeerHeartbeats::next_heartbeat() {
    Heartbeat hb;
    hb.cluster = options_.cluster;
    hb.node = options_.self;
    hb.incarnation = incarnation_;
    hb.sequence = ++sequence_;
    hb.nfsd = local_.nfsd;
    hb.grace_held = local_.grace_held;
    hb.scope_fingerprint = local_.scope_fingerprint;
    hb.drained = local_.drained;
    return hb;
}

// One datagram (one sequence number) for every peer.
// The same acceptance as a heartbeat (its own replay window); a complete
// list replaces the peer's previous one. Receiving one says nothing about
// the peer's health: only heartbeats move its state.
void PeerHeartbeats::on_connection_list(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
    Peer* sender = nullptr;
    auto result = list_codec_.decode(bytes, window_lookup(sender, &Peer::list_window), decode_context(from));
    if (!result) {
        count_drop(result.reason, result.sender, from);
        return;
    }
    auto list = sender->lists.add(*result.chunk);
    if (!list) return;
    PeerStatus& s = sender->status;
    s.connections = list->size();
    s.connections_incomplete = sender->lists.incomplete();
    ++s.connection_lists;
    if (callbacks_.on_peer_connections) callbacks_.on_peer_connections(s.node, *list);
}

void PeerHeartbeats::set_connections(std::vector<ClientConnection> list) {
    std::sort(list.begin(), list.end());
    if (list == connections_) return;
    connections_ = std::move(list);
    ++list_generation_;
    if (running_) send_connections();
}

void PeerHeartbeats::send_connections() {
    sends_since_list_ = 0;
    if (list_generation_ == 0) return;  // nothing scanned yet
    const auto chunks =
        list_codec_.encode(options_.self, incarnation_, list_sequence_ + 1, list_generation_, connections_);
    list_sequence_ += chunks.size();
    for (const auto& chunk : chunks) send_to_peers(std::make_shared<const std::vector<std::uint8_t>>(chunk));
}

void PeerHeartbeats::send_to_peers(std::shared_ptr<const std::vector<std::uint8_t>> bytes) {
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        Peer& peer = *peers_[i];
        if (!peer.endpoint) continue;
        socket_.async_send_to(asio::buffer(*bytes), *peer.endpoint,
                              guarded([this, i, bytes](std::error_code ec, std::size_t) {
                                  if (ec && ec != asio::error::operation_aborted) ++peers_[i]->status.send_errors;
                              }));
    }
}

std::error_code PeerHeartbeats::send_query(const std::string& node, std::uint32_t id, const std::string& request) {
    const Peer* peer = find(node);
    if (!peer) return std::make_error_code(std::errc::invalid_argument);
    if (!running_ || !peer->endpoint) return std::make_error_code(std::errc::host_unreachable);
    send_datagrams(node, {queries_.request(node, incarnation_, id, request)});
    return {};
}

std::error_code PeerHeartbeats::answer_query(const std::string& node, std::uint32_t id, const std::string& text) {
    const Peer* peer = find(node);
    if (!peer) return std::make_error_code(std::errc::invalid_argument);
    if (!running_ || !peer->endpoint) return std::make_error_code(std::errc::host_unreachable);
    send_datagrams(node, queries_.answer(node, incarnation_, id, text));
    return {};
}

void PeerHeartbeats::send_datagrams(const std::string& node, std::vector<std::vector<std::uint8_t>> datagrams) {
    Peer* peer = find(node);
    for (auto& d : datagrams) {
        auto bytes = std::make_shared<const std::vector<std::uint8_t>>(std::move(d));
        socket_.async_send_to(asio::buffer(*bytes), *peer->endpoint,
                              guarded([this, node, bytes](std::error_code ec, std::size_t) {
                                  if (Peer* p = find(node); p && ec && ec != asio::error::operation_aborted)
                                      ++p->status.send_errors;
                              }));
    }
}

void PeerHeartbeats::send_all() {
    // The connection list rides along now and then, for a peer that
    // restarted (or lost a chunk) since it last changed.
    if (++sends_since_list_ >= kConnectionListRefresh) send_connections();
    const Heartbeat hb = next_heartbeat();
    auto bytes = std::make_shared<const std::vector<std::uint8_t>>(codec_.encode(hb));
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        Peer& peer = *peers_[i];
        if (!peer.endpoint) continue;
        ++peer.status.sent;
        socket_.async_send_to(asio::buffer(*bytes), *peer.endpoint,
                              guarded([this, i, bytes](std::error_code ec, std::size_t) {
                                  if (ec && ec != asio::error::operation_aborted) ++peers_[i]->status.send_errors;
                              }));
    }
}

// ---------------------------------------------------------------- receiving

void PeerHeartbeats::receive() {
    socket_.async_receive_from(asio::buffer(buffer_), from_, guarded([this](std::error_code ec, std::size_t n) {
        if (!running_ || ec == asio::error::operation_aborted || !socket_.is_open()) return;
        if (!ec) on_datagram(std::span<const std::uint8_t>(buffer_.data(), n), from_);
        // Other errors (an ICMP error queued on the socket) concern one
        // datagram; keep listening.
        receive();
    }));
}

DecodeContext PeerHeartbeats::decode_context(const udp::endpoint& from) {
    DecodeContext context;
    // A peer is heard only from its own address (HA_PEER_ADDR_<node> or its
    // name's address): an authentic datagram from elsewhere was relayed. The
    // port is not compared. Until its name is resolved we cannot tell.
    context.source_ok = [this, from](std::string_view node) {
        const Peer* peer = find(node);
        return !peer || !peer->endpoint || peer->endpoint->address() == from.address();
    };
    context.now = options_.wall_clock();
    return context;
}

// The sender's window of one kind (heartbeats or connection lists); `sender`
// is set to the peer the datagram names, for the caller.
HeartbeatCodec::WindowLookup PeerHeartbeats::window_lookup(Peer*& sender, ReplayWindow Peer::*window) {
    return [this, &sender, window](std::string_view node) -> ReplayWindow* {
        if (node == options_.self) return nullptr;
        sender = find(node);
        return sender ? &(sender->*window) : nullptr;
    };
}

void PeerHeartbeats::count_drop(DropReason reason, const std::string& claimed, const udp::endpoint& from) {
    const auto index = static_cast<std::size_t>(reason);
    ++drops_[index];
    switch (reason) {
        case DropReason::bad_mac:
            // Anyone can write any name into a forgery: charge the
            // source. Only a peer's own socket sending it says something
            // about that peer (another key).
            last_bad_mac_ = DropSource{endpoint_text(from), clock_.now()};
            for (auto& peer : peers_)
                if (peer->endpoint && *peer->endpoint == from) ++peer->status.drops[index];
            break;
        case DropReason::wrong_source:
            if (Peer* peer = find(claimed)) {
                ++peer->status.drops[index];
                peer->status.wrong_source = endpoint_text(from);
            }
            break;
        case DropReason::replay:
        case DropReason::clock_skew:
            if (Peer* peer = find(claimed)) ++peer->status.drops[index];
            break;
        default: break;
    }
}

void PeerHeartbeats::on_datagram(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
    if (is_connection_list(bytes)) {
        on_connection_list(bytes, from);
        return;
    }
    if (is_peer_query(bytes)) {
        std::string claimed;
        if (const auto why = queries_.on_datagram(bytes, decode_context(from), claimed)) count_drop(*why, claimed, from);
        return;
    }
    Peer* sender = nullptr;
    auto result = codec_.decode(bytes, window_lookup(sender, &Peer::window), decode_context(from));
    if (!result) {
        count_drop(result.reason, result.sender, from);
        return;
    }
    const Heartbeat& hb = *result.heartbeat;
    std::size_t index = 0;
    while (peers_[index].get() != sender) ++index;  // decode() accepted it, so it found the sender
    Peer& peer = *peers_[index];
    PeerStatus& s = peer.status;
    const bool listed_me = contains(s.grace_held, options_.self);
    const bool scope_changed = !s.heard || s.scope_fingerprint != hb.scope_fingerprint;
    s.heard = true;
    s.scope_fingerprint = hb.scope_fingerprint;
    s.last_heard = clock_.now();
    if (s.source.empty() || from != peer.source) {  // formatted once, not per datagram
        peer.source = from;
        s.source = endpoint_text(from);
    }
    ++s.received;
    if (result.restart) ++s.restarts;
    s.incarnation = hb.incarnation;
    s.sequence = hb.sequence;
    s.nfsd = hb.nfsd;
    if (hb.nfsd != NfsdState::healthy) ++s.nfsd_not_healthy;
    s.grace_held = hb.grace_held;
    s.grace_incomplete = hb.grace_incomplete;
    s.leaving = hb.leaving;
    const bool drained_changed = s.drained != hb.drained;
    s.drained = hb.drained;
    peer.misses_in_row = 0;
    // Slack for the sender's timer running a little late, except where it
    // would stretch the bound (fall=1).
    const Duration slack = options_.settings.fall > 1 ? Duration(options_.settings.interval / 4) : Duration::zero();
    arm_miss(index, options_.settings.interval + slack);
    record_link(peer, Outcome::success);
    update_state(peer);
    if (!listed_me && contains(s.grace_held, options_.self) && callbacks_.on_grace_held_for_me)
        callbacks_.on_grace_held_for_me(s.node);
    if (scope_changed && callbacks_.on_peer_scope) callbacks_.on_peer_scope(s);
    if (drained_changed && callbacks_.on_peer_drained) callbacks_.on_peer_drained(s);
}

// ---------------------------------------------------------------- health

void PeerHeartbeats::arm_miss(std::size_t index, Duration delay) {
    peers_[index]->miss_timer->async_wait_for(delay, guarded([this, index](std::error_code ec) {
        if (!ec && running_) on_miss(index);
    }));
}

void PeerHeartbeats::on_miss(std::size_t index) {
    Peer& peer = *peers_[index];
    ++peer.status.misses;
    ++peer.misses_in_row;
    record_link(peer, Outcome::failure);
    update_state(peer);
    if (peer.counter.health() == Health::unhealthy && peer.counter.counter() == 0) return;  // nothing left to count
    // The first miss came interval/4 late; the next ones keep to the
    // datagram's phase, so the fall-th lands at fall x interval.
    const Duration slack = options_.settings.fall > 1 ? Duration(options_.settings.interval / 4) : Duration::zero();
    arm_miss(index, options_.settings.interval - (peer.misses_in_row == 1 ? slack : Duration::zero()));
}

void PeerHeartbeats::record_link(Peer& peer, Outcome outcome) {
    peer.counter.record(outcome);
    peer.status.link = peer.counter.health();
    peer.status.counter = peer.counter.counter();
}

void PeerHeartbeats::update_state(Peer& peer) {
    PeerStatus& s = peer.status;
    PeerState next = s.state;
    std::string why;
    if (s.leaving) {
        next = PeerState::unknown;
        why = "its daemon stopped on purpose";
    } else if (s.link == Health::unhealthy) {
        next = PeerState::down;
        why = s.last_heard == TimePoint{} ? "not heard from since start (" + ms_text(detection_bound()) + ")"
                                          : "silent for " + ms_text(clock_.now() - s.last_heard);
    } else if (s.link == Health::healthy && s.nfsd == NfsdState::healthy) {
        next = PeerState::up;
        why = "heartbeats arriving, its nfsd healthy";
    } else if (s.link == Health::healthy && s.nfsd == NfsdState::down) {
        next = PeerState::down;
        why = "its daemon reports its nfsd down";
    }
    if (next == s.state) return;
    const PeerState from = s.state;
    s.state = next;
    s.why = why;
    s.state_since = clock_.now();
    if (callbacks_.on_peer_state) callbacks_.on_peer_state(s, from);
    if (next == PeerState::down && from == PeerState::up && callbacks_.on_peer_down)
        callbacks_.on_peer_down(s.node, why);
}

// ---------------------------------------------------------------- addresses

// Starts a lookup for every peer that needs one and is due.
void PeerHeartbeats::resolve_pending() {
    if (!running_) return;
    const TimePoint now = clock_.now();
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        Peer& peer = *peers_[i];
        if (peer.endpoint || peer.lookup_running || !peer.host.empty() || now < peer.retry_at) continue;
        auto lookup = std::make_unique<Lookup>();
        lookup->peer = i;
        lookup->name = peer.status.node;
        lookup->hints.ai_family = AF_UNSPEC;
        lookup->hints.ai_socktype = SOCK_DGRAM;
        lookup->cb.ar_name = lookup->name.c_str();
        lookup->cb.ar_request = &lookup->hints;
        lookup->list[0] = &lookup->cb;
        lookup->deadline = now + options_.resolve_timeout;
        const int rc = getaddrinfo_a(GAI_NOWAIT, lookup->list, 1, nullptr);
        if (rc != 0) {
            peer.status.address_error = std::string("cannot look up: ") + gai_strerror(rc);
            peer.retry_at = now + options_.resolve_retry;
            continue;
        }
        peer.lookup_running = true;
        lookups_.push_back(std::move(lookup));
    }
    poll_lookups();
}

// Collects finished lookups and sets the timer for the next poll or retry.
void PeerHeartbeats::poll_lookups() {
    if (!running_) return;
    const TimePoint now = clock_.now();
    const bool v6 = local_endpoint().address().is_v6();
    bool young = false;
    for (auto it = lookups_.begin(); it != lookups_.end();) {
        Lookup& lookup = **it;
        Peer& peer = *peers_[lookup.peer];
        const int rc = gai_error(&lookup.cb);
        if (rc == EAI_INPROGRESS) {
            // Still waiting: the loop never blocks on it; say so after the bound.
            if (!lookup.timed_out && now >= lookup.deadline) {
                lookup.timed_out = true;
                peer.status.address_error = "looking up '" + lookup.name + "' takes longer than " +
                                            ms_text(options_.resolve_timeout) + " (set HA_PEER_ADDR_...)";
            }
            young = young || !lookup.timed_out;
            ++it;
            continue;
        }
        peer.lookup_running = false;
        if (rc == 0) {
            std::optional<asio::ip::address> chosen;
            for (const addrinfo* ai = lookup.cb.ar_result; ai && !chosen; ai = ai->ai_next) {
                asio::ip::address a;
                if (ai->ai_family == AF_INET) {
                    a = asio::ip::address_v4(
                        ntohl(reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr));
                } else if (ai->ai_family == AF_INET6) {
                    asio::ip::address_v6::bytes_type b;
                    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr, b.size());
                    a = asio::ip::address_v6(b);
                } else {
                    continue;
                }
                chosen = for_socket(a, v6);
            }
            if (lookup.cb.ar_result) freeaddrinfo(lookup.cb.ar_result);
            if (chosen) {
                peer.endpoint = udp::endpoint(*chosen, peer.port);
                peer.status.address = endpoint_text(*peer.endpoint);
                peer.status.address_error.clear();
            } else {
                peer.status.address_error = "'" + lookup.name + "' has no address usable from this socket";
            }
        } else {
            peer.status.address_error = "cannot resolve '" + lookup.name + "': " + gai_strerror(rc);
        }
        if (!peer.endpoint) peer.retry_at = now + options_.resolve_retry;
        it = lookups_.erase(it);
    }
    std::optional<TimePoint> retry;
    for (const auto& peer : peers_)
        if (!peer->endpoint && !peer->lookup_running && peer->host.empty())
            retry = retry ? std::min(*retry, peer->retry_at) : peer->retry_at;
    Duration wait = Duration::max();
    if (!lookups_.empty()) wait = young ? kLookupPoll : kLookupSlowPoll;
    if (retry) wait = std::min(wait, std::max(Duration::zero(), *retry - now));
    if (wait == Duration::max()) return;
    resolve_timer_->async_wait_for(wait, guarded([this](std::error_code ec) {
        if (!ec) resolve_pending();
    }));
}

}  // namespace gha
