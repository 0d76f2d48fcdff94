// Peer heartbeats with the fake clock and real UDP sockets on 127.0.0.1: the
// test plays the peers with its own sockets and codec, and moves time by hand.
#include "monitors/peer_heartbeats.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/fake_clock.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using asio::ip::udp;

HeartbeatKey test_key(std::uint8_t fill = 3) {
    std::array<std::uint8_t, kHeartbeatKeyBytes> bytes;
    bytes.fill(fill);
    return HeartbeatKey(bytes);
}

// One simulated peer daemon: its socket, its incarnation and sequence.
struct FakePeer {
    FakePeer(asio::io_context& io, std::string name, const char* address = "127.0.0.1")
        : node(std::move(name)), socket(io) {
        socket.open(udp::v4());
        socket.bind(udp::endpoint(asio::ip::make_address(address), 0));
        socket.non_blocking(true);
    }
    std::uint16_t port() const { return socket.local_endpoint().port(); }
    Heartbeat next(NfsdState nfsd = NfsdState::healthy, std::vector<std::string> grace = {}) {
        Heartbeat hb;
        hb.cluster = "demo";
        hb.node = node;
        hb.incarnation = incarnation;
        hb.sequence = ++sequence;
        hb.nfsd = nfsd;
        hb.grace_held = std::move(grace);
        return hb;
    }
    void send_bytes(const std::vector<std::uint8_t>& bytes, const udp::endpoint& to) {
        socket.send_to(asio::buffer(bytes), to);
    }
    // Datagrams the daemon sent us, decoded without replay checks.
    std::vector<Heartbeat> received() {
        std::vector<Heartbeat> out;
        std::array<std::uint8_t, 2048> buffer;
        udp::endpoint from;
        std::error_code ec;
        for (;;) {
            const auto n = socket.receive_from(asio::buffer(buffer), from, 0, ec);
            if (ec) break;
            DropReason why{};
            auto hb = HeartbeatCodec::parse(std::span<const std::uint8_t>(buffer.data(), n), why);
            if (hb) out.push_back(*hb);
        }
        return out;
    }

    std::string node;
    udp::socket socket;
    std::uint64_t incarnation = 1000;
    std::uint64_t sequence = 0;
};

class PeerHeartbeatsTest : public ::testing::Test {
protected:
    void SetUp() override {
        settings.interval = 500ms;
        settings.rise = 2;
        settings.fall = 4;
    }
    void make(std::vector<PeerTarget> extra = {}) {
        PeerHeartbeatOptions o;
        o.cluster = "demo";
        o.self = "n1";
        o.bind_address = "127.0.0.1";
        o.port = 0;
        o.settings = settings;
        o.peers = {{"n2", "127.0.0.1", n2.port()}, {"n3", "127.0.0.1", n3.port()}};
        o.peers.insert(o.peers.end(), extra.begin(), extra.end());
        if (wall) o.wall_clock = [this] { return *wall; };
        PeerHeartbeats::Callbacks callbacks;
        callbacks.on_peer_down = [this](const std::string& node, const std::string& why) {
            downs.push_back(node + ": " + why);
        };
        callbacks.on_peer_state = [this](const PeerStatus& p, PeerState from) {
            states.push_back(p.node + " " + std::string(to_string(from)) + "->" + std::string(to_string(p.state)));
        };
        callbacks.on_grace_held_for_me = [this](const std::string& node) { held_for_me.push_back(node); };
        hb = std::make_shared<PeerHeartbeats>(io, clock, o, test_key(), callbacks);
        target = udp::endpoint(asio::ip::make_address("127.0.0.1"), hb->local_endpoint().port());
    }
    // Loopback delivery is immediate; run what became ready.
    void pump() {
        for (int quiet = 0; quiet < 3;) quiet = io.poll() == 0 ? quiet + 1 : 0;
    }
    void send(FakePeer& peer, const Heartbeat& h) {
        peer.send_bytes(codec.encode(h), target);
        pump();
    }
    void advance(Duration d) {
        clock.advance(d);
        pump();
    }
    const PeerStatus& status(const std::string& node) { return *hb->peer(node); }
    std::vector<std::string> states_of(const std::string& node) const {
        std::vector<std::string> out;
        for (const auto& s : states)
            if (s.rfind(node + " ", 0) == 0) out.push_back(s);
        return out;
    }

    asio::io_context io;
    test::FakeClock clock;
    MonitorSettings settings;
    FakePeer n2{io, "n2"}, n3{io, "n3"};
    HeartbeatCodec codec{"demo", test_key()};
    std::shared_ptr<PeerHeartbeats> hb;
    udp::endpoint target;
    std::vector<std::string> downs, states, held_for_me;
    std::optional<std::chrono::system_clock::time_point> wall;
};

// The source shown in `peers` is the last accepted datagram's, also when a
// peer's datagrams start coming from another address (it is formatted only
// when it changes).
TEST_F(PeerHeartbeatsTest, ShowsWhereTheLastAcceptedDatagramCameFrom) {
    make();
    hb->start();
    send(n2, n2.next());
    EXPECT_EQ(status("n2").source, "127.0.0.1:" + std::to_string(n2.port()));
    send(n2, n2.next());
    EXPECT_EQ(status("n2").source, "127.0.0.1:" + std::to_string(n2.port()));
    FakePeer moved{io, "n2"};
    moved.incarnation = n2.incarnation;
    moved.sequence = n2.sequence;
    send(moved, moved.next());
    EXPECT_EQ(status("n2").source, "127.0.0.1:" + std::to_string(moved.port()));
    EXPECT_EQ(status("n2").received, 3u);
    // A forgery from yet another address changes nothing.
    FakePeer forger{io, "n2"};
    auto forged = codec.encode(forger.next());
    forged.back() ^= 1;
    forger.send_bytes(forged, target);
    pump();
    EXPECT_EQ(status("n2").source, "127.0.0.1:" + std::to_string(moved.port()));
}

TEST_F(PeerHeartbeatsTest, SendsAtOnceThenEveryInterval) {
    make();
    hb->start();
    pump();
    auto got = n2.received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].node, "n1");
    EXPECT_EQ(got[0].cluster, "demo");
    EXPECT_EQ(got[0].sequence, 1u);
    EXPECT_EQ(got[0].incarnation, hb->incarnation());
    EXPECT_EQ(got[0].nfsd, NfsdState::unknown);
    EXPECT_EQ(n3.received().size(), 1u);
    advance(499ms);
    EXPECT_TRUE(n2.received().empty());
    advance(1ms);
    got = n2.received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].sequence, 2u);
}

TEST_F(PeerHeartbeatsTest, ALocalStateChangeIsSentAtOnce) {
    make();
    hb->start();
    pump();
    n2.received();
    advance(100ms);
    hb->set_local({NfsdState::down, {}});
    pump();
    auto got = n2.received();
    ASSERT_EQ(got.size(), 1u) << "not sent at once";
    EXPECT_EQ(got[0].nfsd, NfsdState::down);
    hb->set_local({NfsdState::down, {}});  // no change, nothing sent
    pump();
    EXPECT_TRUE(n2.received().empty());
    hb->set_local({NfsdState::down, {"n2"}});  // grace entered
    pump();
    got = n2.received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].grace_held, std::vector<std::string>{"n2"});
}

TEST_F(PeerHeartbeatsTest, APeerIsUpAtItsFirstHeartbeatAndDownAfterFallTimesIntervalOfSilence) {
    make();
    hb->start();
    send(n2, n2.next());
    EXPECT_EQ(status("n2").state, PeerState::up);
    EXPECT_EQ(status("n2").link, Health::healthy);
    EXPECT_EQ(status("n2").last_heard, clock.now());
    EXPECT_EQ(hb->detection_bound(), 2000ms);
    advance(1999ms);
    EXPECT_EQ(status("n2").state, PeerState::up);
    EXPECT_TRUE(downs.empty());
    advance(1ms);
    EXPECT_EQ(status("n2").state, PeerState::down);
    ASSERT_EQ(downs.size(), 1u);
    EXPECT_EQ(downs[0], "n2: silent for 2000 ms");
}

TEST_F(PeerHeartbeatsTest, ItRisesAgainAfterRiseHeartbeats) {
    make();
    hb->start();
    send(n2, n2.next());
    advance(2000ms);
    ASSERT_EQ(status("n2").state, PeerState::down);
    send(n2, n2.next());
    EXPECT_EQ(status("n2").state, PeerState::down) << "one heartbeat is not rise=2";
    advance(400ms);
    send(n2, n2.next());
    EXPECT_EQ(status("n2").state, PeerState::up);
    EXPECT_EQ(states_of("n2"), (std::vector<std::string>{"n2 unknown->up", "n2 up->down", "n2 down->up"}));
}

TEST_F(PeerHeartbeatsTest, AMissWhileRisingStartsTheRiseOver) {
    make();
    hb->start();
    send(n2, n2.next());
    advance(2000ms);
    send(n2, n2.next());
    advance(700ms);  // one miss at +625 ms
    send(n2, n2.next());
    EXPECT_EQ(status("n2").state, PeerState::down);
    advance(500ms);
    send(n2, n2.next());
    EXPECT_EQ(status("n2").state, PeerState::up);
}

TEST_F(PeerHeartbeatsTest, HeartbeatsALittleLateAreNotMisses) {
    make();
    hb->start();
    for (int i = 0; i < 20; ++i) {
        send(n2, n2.next());
        advance(620ms);  // interval + 120 ms: within the interval/4 slack
    }
    EXPECT_EQ(status("n2").misses, 0u);
    EXPECT_EQ(status("n2").state, PeerState::up);
}

TEST_F(PeerHeartbeatsTest, AReportedNfsdDownIsPeerDownAtOnce) {
    make();
    hb->start();
    send(n2, n2.next(NfsdState::healthy));
    send(n2, n2.next(NfsdState::unknown));  // e.g. its monitors not decided yet: no change
    EXPECT_EQ(status("n2").state, PeerState::up);
    send(n2, n2.next(NfsdState::down));
    EXPECT_EQ(status("n2").state, PeerState::down);
    EXPECT_EQ(status("n2").link, Health::healthy);
    ASSERT_EQ(downs.size(), 1u);
    EXPECT_EQ(downs[0], "n2: its daemon reports its nfsd down");
    send(n2, n2.next(NfsdState::healthy));
    EXPECT_EQ(status("n2").state, PeerState::up);
}

TEST_F(PeerHeartbeatsTest, APeerNeverSeenUpIsNotReportedLost) {
    make();
    hb->start();
    advance(2000ms);
    EXPECT_EQ(status("n3").state, PeerState::down);
    EXPECT_NE(status("n3").why.find("not heard from since start"), std::string::npos);
    EXPECT_TRUE(downs.empty());
    send(n3, n3.next(NfsdState::down));  // heard, but its nfsd is down: still no "lost"
    EXPECT_TRUE(downs.empty());
}

TEST_F(PeerHeartbeatsTest, GraceHeldForMeIsReportedOnItsEdge) {
    make();
    hb->start();
    send(n2, n2.next(NfsdState::healthy, {"n3"}));
    EXPECT_TRUE(held_for_me.empty());
    send(n2, n2.next(NfsdState::healthy, {"n3", "n1"}));
    send(n2, n2.next(NfsdState::healthy, {"n1"}));
    EXPECT_EQ(held_for_me, std::vector<std::string>{"n2"});
    EXPECT_EQ(status("n2").grace_held, std::vector<std::string>{"n1"});
    send(n2, n2.next(NfsdState::healthy, {}));
    send(n2, n2.next(NfsdState::healthy, {"n1"}));
    EXPECT_EQ(held_for_me, (std::vector<std::string>{"n2", "n2"}));
}

TEST_F(PeerHeartbeatsTest, ForgedAndReplayedDatagramsChangeNothingAndAreCounted) {
    make();
    hb->start();
    const Heartbeat first = n2.next(NfsdState::healthy);
    const auto genuine = codec.encode(first);
    n2.send_bytes(genuine, target);
    pump();
    const PeerStatus before = status("n2");

    // A forger flips nfsd to "down" without the key.
    auto forged = genuine;
    forged[5] = static_cast<std::uint8_t>(NfsdState::down);
    n3.send_bytes(forged, target);  // from another source address: only the MAC counts
    n2.send_bytes(genuine, target);  // replayed
    HeartbeatCodec other_key("demo", test_key(4));
    n2.send_bytes(other_key.encode(n2.next(NfsdState::down)), target);
    Heartbeat stranger = n2.next();
    stranger.node = "n9";
    n2.send_bytes(codec.encode(stranger), target);
    Heartbeat me = n2.next();
    me.node = "n1";  // a reflected or spoofed copy of our own
    n2.send_bytes(codec.encode(me), target);
    Heartbeat elsewhere = n2.next();
    elsewhere.cluster = "prod";
    n2.send_bytes(codec.encode(elsewhere), target);
    n2.send_bytes(std::vector<std::uint8_t>(1500, 0x47), target);
    n2.send_bytes({'G', 'H', 'H', 'B', 1}, target);
    auto v4 = genuine;
    v4[4] = 4;
    n2.send_bytes(v4, target);
    n2.send_bytes(std::vector<std::uint8_t>(100, 0), target);
    pump();

    const PeerStatus after = status("n2");
    EXPECT_EQ(after.state, PeerState::up);
    EXPECT_EQ(after.nfsd, NfsdState::healthy);
    EXPECT_EQ(after.received, before.received);
    EXPECT_EQ(after.sequence, first.sequence);
    EXPECT_EQ(after.last_heard, before.last_heard);
    EXPECT_TRUE(downs.empty());
    const auto& d = hb->drops();
    EXPECT_EQ(d[static_cast<int>(DropReason::bad_mac)], 2u);
    EXPECT_EQ(d[static_cast<int>(DropReason::replay)], 1u);
    EXPECT_EQ(d[static_cast<int>(DropReason::unknown_sender)], 2u);
    EXPECT_EQ(d[static_cast<int>(DropReason::wrong_cluster)], 1u);
    EXPECT_EQ(d[static_cast<int>(DropReason::oversized)], 1u);
    EXPECT_EQ(d[static_cast<int>(DropReason::truncated)], 1u);
    EXPECT_EQ(d[static_cast<int>(DropReason::bad_version)], 1u);
    EXPECT_EQ(d[static_cast<int>(DropReason::malformed)], 1u);
    // An authentic replay claiming n2 is on n2's row; a bad MAC is on the
    // row of the peer whose socket sent it (the forgery came from n3's).
    EXPECT_EQ(after.drops[static_cast<int>(DropReason::bad_mac)], 1u);
    EXPECT_EQ(after.drops[static_cast<int>(DropReason::replay)], 1u);
    EXPECT_EQ(status("n3").drops[static_cast<int>(DropReason::bad_mac)], 1u);
}

// Issue 13: a bad MAC is charged to where it came from, never to the name
// it carries; the last offending source is kept for `peers`.
TEST_F(PeerHeartbeatsTest, ABadMacFromAStrangerIsNotChargedToThePeerItNames) {
    make();
    hb->start();
    FakePeer stranger(io, "n2", "127.0.0.9");
    HeartbeatCodec other_key("demo", test_key(4));
    stranger.send_bytes(other_key.encode(stranger.next(NfsdState::down)), target);
    pump();
    EXPECT_EQ(hb->drops()[static_cast<int>(DropReason::bad_mac)], 1u);
    EXPECT_EQ(status("n2").drops[static_cast<int>(DropReason::bad_mac)], 0u);
    EXPECT_EQ(status("n3").drops[static_cast<int>(DropReason::bad_mac)], 0u);
    ASSERT_TRUE(hb->last_bad_mac());
    EXPECT_EQ(hb->last_bad_mac()->source, "127.0.0.9:" + std::to_string(stranger.port()));
    EXPECT_EQ(hb->last_bad_mac()->at, clock.now());
}

// Issue 13: an authentic datagram relayed from another address than the
// peer's is dropped and counted, and the live peer is unaffected.
TEST_F(PeerHeartbeatsTest, AnAuthenticDatagramFromAnotherAddressIsWrongSource) {
    make();
    hb->start();
    send(n2, n2.next());
    FakePeer relay(io, "n2", "127.0.0.2");
    relay.send_bytes(codec.encode(n2.next(NfsdState::down)), target);  // the next sequence, via elsewhere
    pump();
    EXPECT_EQ(status("n2").nfsd, NfsdState::healthy);
    EXPECT_EQ(status("n2").sequence, 1u);
    EXPECT_EQ(hb->drops()[static_cast<int>(DropReason::wrong_source)], 1u);
    EXPECT_EQ(status("n2").drops[static_cast<int>(DropReason::wrong_source)], 1u);
    EXPECT_EQ(status("n2").wrong_source, "127.0.0.2:" + std::to_string(relay.port()));
    send(n2, n2.next());  // the window did not move: the real one goes on
    EXPECT_EQ(status("n2").sequence, 3u);
    EXPECT_TRUE(downs.empty());
}

// Issue 13: one recorded datagram of the peer's earlier life, injected after
// its live ones, must not make us drop the live ones.
TEST_F(PeerHeartbeatsTest, ARecordingOfAnEarlierLifeDoesNotLockTheLivePeerOut) {
    make();
    hb->start();
    n2.incarnation = 5;
    std::vector<std::vector<std::uint8_t>> recording;
    for (int i = 0; i < 3; ++i) recording.push_back(codec.encode(n2.next(NfsdState::down, {"n3"})));
    n2.incarnation = 7;
    n2.sequence = 9;
    send(n2, n2.next());
    for (const auto& bytes : recording) n2.send_bytes(bytes, target);
    pump();
    send(n2, n2.next());
    EXPECT_EQ(status("n2").incarnation, 7u);
    EXPECT_EQ(status("n2").sequence, 11u);
    EXPECT_EQ(status("n2").nfsd, NfsdState::healthy);
    EXPECT_TRUE(status("n2").grace_held.empty());
    EXPECT_EQ(status("n2").restarts, 0u);
    EXPECT_EQ(hb->drops()[static_cast<int>(DropReason::replay)], 3u);
    EXPECT_TRUE(downs.empty());
}

// Our own incarnation is our start time on the wall clock.
TEST_F(PeerHeartbeatsTest, TheIncarnationIsTheStartTime) {
    const std::chrono::system_clock::time_point start(std::chrono::milliseconds(1'764'000'000'123));
    wall = start;
    make();
    EXPECT_EQ(incarnation_start(hb->incarnation()), std::chrono::milliseconds(1'764'000'000'123));
}

TEST_F(PeerHeartbeatsTest, ARestartedPeerIsAcceptedAndItsOldLifeIsNot) {
    make();
    hb->start();
    const auto old_life = codec.encode(n2.next());
    n2.send_bytes(old_life, target);
    send(n2, n2.next());
    n2.incarnation = 2000;
    n2.sequence = 0;
    send(n2, n2.next());
    EXPECT_EQ(status("n2").incarnation, 2000u);
    EXPECT_EQ(status("n2").sequence, 1u);
    EXPECT_EQ(status("n2").restarts, 1u);
    n2.send_bytes(old_life, target);
    pump();
    EXPECT_EQ(status("n2").incarnation, 2000u);
    EXPECT_EQ(hb->drops()[static_cast<int>(DropReason::replay)], 1u);
}

// systemctl stop/restart of a daemon is not a failure: it says goodbye.
TEST_F(PeerHeartbeatsTest, LeaveSaysGoodbyeAndAPeerThatLeftIsNotLost) {
    make();
    hb->start();
    pump();
    n2.received();
    hb->leave();
    auto got = n2.received();
    ASSERT_EQ(got.size(), 1u) << "the goodbye is sent before the socket closes";
    EXPECT_TRUE(got[0].leaving);

    make();  // the other side of it
    hb->start();
    send(n2, n2.next());
    Heartbeat bye = n2.next();
    bye.leaving = true;
    send(n2, bye);
    EXPECT_EQ(status("n2").state, PeerState::unknown);
    EXPECT_EQ(status("n2").why, "its daemon stopped on purpose");
    advance(5000ms);
    EXPECT_TRUE(downs.empty());
    EXPECT_EQ(status("n2").state, PeerState::unknown);
    n2.incarnation = 1077;  // restarted: a later start, a greater incarnation
    n2.sequence = 0;
    send(n2, n2.next());
    advance(500ms);
    send(n2, n2.next());
    EXPECT_EQ(status("n2").state, PeerState::up);
    EXPECT_TRUE(downs.empty());
}

TEST_F(PeerHeartbeatsTest, StopClosesTheSocketAndNothingFiresAfterwards) {
    make();
    hb->start();
    send(n2, n2.next());
    hb->stop();
    advance(5000ms);
    EXPECT_TRUE(downs.empty());
    EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(PeerHeartbeatsTest, ANodeWithoutAnAddressIsLookedUpWithoutBlocking) {
    FakePeer local(io, "localhost");
    make({{"localhost", "", local.port()}});  // from /etc/hosts: no DNS traffic from a test
    hb->start();
    pump();
    for (int i = 0; i < 400 && status("localhost").address.empty(); ++i) {
        std::this_thread::sleep_for(5ms);  // getaddrinfo_a works in glibc's thread
        advance(10ms);
    }
    EXPECT_EQ(status("localhost").address, "127.0.0.1:" + std::to_string(local.port()));
    advance(500ms);
    EXPECT_FALSE(local.received().empty());
}

TEST_F(PeerHeartbeatsTest, ABusyPortIsAClearError) {
    make();
    PeerHeartbeatOptions o;
    o.cluster = "demo";
    o.self = "n1";
    o.bind_address = "127.0.0.1";
    o.port = hb->local_endpoint().port();
    try {
        PeerHeartbeats second(io, clock, o, test_key(), {});
        ADD_FAILURE() << "bound twice";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot bind 127.0.0.1:" + std::to_string(o.port)), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace gha
