// The metrics registry (series from start-up, bounded labels, counters that
// move) and the loop-served /metrics endpoint over a real loopback socket.
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "actions/grace_steps.hpp"
#include "actions/pacemaker_actions.hpp"
#include "metrics/exporter.hpp"
#include "service/failover.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fd_limit.hpp"
#include "tests/support/scripted_killer.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;

// "name{a="x",b="y"}" -> value, for every sample line.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

// Sample names of one family (without the labels).
std::set<std::string> series_of(const std::string& text, const std::string& family) {
    std::set<std::string> out;
    for (const auto& [key, value] : samples(text))
        if (key.rfind(family + "{", 0) == 0) out.insert(key);
    return out;
}

Config three_nodes() {
    Config c;
    c.ha_name = "test";
    c.cluster_nodes = {"n1", "n2", "n3"};
    c.node = "n1";
    MonitorSettings pid;
    pid.rise = 1;
    pid.fall = 1;
    MonitorSettings rpc;  // 1 s, 1 s, fall 2: bound 3 s
    c.monitors = {{"pid", pid}, {"rpc-null", rpc}};
    return c;
}

MonitorStatus status(const std::string& name, Health health, const MonitorSettings& settings = {}) {
    MonitorStatus s;
    s.name = name;
    s.kind = name;
    s.health = health;
    s.settings = settings;
    return s;
}

class MetricsTest : public ::testing::Test {
protected:
    double wall = 1700000000.0;
    Metrics metrics{"9.9.9", [this] { return wall; }};
    std::map<std::string, double> now() { return samples(metrics.text()); }
};

TEST_F(MetricsTest, EveryConfiguredSeriesExistsFromStartUp) {
    metrics.configure(three_nodes());
    metrics.configure_commands({"status", "metrics"});
    const auto s = now();
    EXPECT_EQ(s.at("ganesha_ha_build_info{version=\"9.9.9\"}"), 1);
    for (const std::string m : {"pid", "rpc-null"}) {
        const std::string both = "{kind=\"" + m + "\",monitor=\"" + m + "\"}";
        EXPECT_EQ(s.at("ganesha_ha_monitor_up" + both), 0) << m;
        EXPECT_EQ(s.at("ganesha_ha_probes_total" + both), 0);
        EXPECT_EQ(s.at("ganesha_ha_probe_duration_seconds_count" + both), 0);
        EXPECT_EQ(s.at("ganesha_ha_monitor_transitions_total{monitor=\"" + m + "\",to=\"healthy\"}"), 0);
        EXPECT_EQ(s.at("ganesha_ha_monitor_transitions_total{monitor=\"" + m + "\",to=\"unhealthy\"}"), 0);
        EXPECT_EQ(s.at("ganesha_ha_monitor_last_success_timestamp_seconds{monitor=\"" + m + "\"}"), 0);
        for (const auto& reason : metric_labels::probe_failure_reasons(m))
            EXPECT_EQ(s.count("ganesha_ha_probe_failures_total{kind=\"" + m + "\",monitor=\"" + m + "\",reason=\"" +
                              reason + "\"}"),
                      1u)
                << reason;
    }
    EXPECT_EQ(s.at("ganesha_ha_detection_bound_seconds{monitor=\"rpc-null\"}"), 3);
    EXPECT_EQ(s.at("ganesha_ha_detection_bound_seconds{monitor=\"pid\"}"), 2);
    // Peers are the other nodes.
    EXPECT_EQ(series_of(metrics.text(), "ganesha_ha_peer_up"),
              (std::set<std::string>{"ganesha_ha_peer_up{peer=\"n2\"}", "ganesha_ha_peer_up{peer=\"n3\"}"}));
    EXPECT_EQ(s.at("ganesha_ha_peer_last_heartbeat_timestamp_seconds{peer=\"n2\"}"), 0);
    for (const auto& action : metric_labels::actions()) {
        EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"" + action + "\"}"), 0);
        EXPECT_EQ(s.at("ganesha_ha_action_failures_total{action=\"" + action + "\"}"), 0);
        EXPECT_EQ(s.at("ganesha_ha_action_duration_seconds_count{action=\"" + action + "\"}"), 0);
    }
    for (const auto& pipeline : metric_labels::pipelines()) {
        EXPECT_EQ(s.at("ganesha_ha_pipelines_running{pipeline=\"" + pipeline + "\"}"), 0);
        for (const auto& result : metric_labels::pipeline_results())
            EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"" + pipeline + "\",result=\"" + result + "\"}"), 0);
    }
    for (const auto& reason : metric_labels::heartbeat_drop_reasons())
        EXPECT_EQ(s.at("ganesha_ha_heartbeats_dropped_total{reason=\"" + reason + "\"}"), 0);
    EXPECT_EQ(s.at("ganesha_ha_nfsd_fenced_total"), 0);
    for (const std::string by : {"operator", "agent"}) EXPECT_EQ(s.at("ganesha_ha_drained{by=\"" + by + "\"}"), 0);
    for (const std::string command : {"status", "metrics", "unknown"})
        EXPECT_EQ(s.at("ganesha_ha_control_requests_total{command=\"" + command + "\"}"), 0);
    for (const std::string listener : {"control", "metrics"})
        EXPECT_EQ(s.at("ganesha_ha_accept_failures_total{listener=\"" + listener + "\"}"), 0);
}

TEST_F(MetricsTest, ConfigureFollowsAReload) {
    Config config = three_nodes();
    metrics.configure(config);
    config.monitors["rpc-null"].enabled = false;
    config.monitors["pid"].fall = 3;
    config.cluster_nodes = {"n1", "n2"};
    metrics.configure(config);
    const std::string text = metrics.text();
    EXPECT_EQ(text.find("monitor=\"rpc-null\""), std::string::npos) << text;
    EXPECT_EQ(samples(text).at("ganesha_ha_detection_bound_seconds{monitor=\"pid\"}"), 4);
    EXPECT_EQ(series_of(text, "ganesha_ha_peer_up"), (std::set<std::string>{"ganesha_ha_peer_up{peer=\"n2\"}"}));
}

TEST_F(MetricsTest, EveryResultMovesTheMonitorSeriesTogether) {
    const Config config = three_nodes();
    metrics.configure(config);
    const auto& rpc = config.monitors.at("rpc-null");
    auto ok = ProbeResult::ok("fine");
    ok.duration = 3ms;
    metrics.monitor_result(status("rpc-null", Health::healthy, rpc), Transition::changed, ok);
    wall += 1;
    metrics.monitor_result(status("rpc-null", Health::healthy, rpc), Transition::unchanged, ok);
    auto refused = ProbeResult::failed("refused", "127.0.0.1:2049: connection refused");
    refused.duration = 200us;
    wall += 1;
    metrics.monitor_result(status("rpc-null", Health::healthy, rpc), Transition::pending, refused);
    auto odd = ProbeResult::failed("some new reason", "text");
    odd.duration = 2s;
    metrics.monitor_result(status("rpc-null", Health::unhealthy, rpc), Transition::changed, odd);

    const auto s = now();
    const std::string both = "{kind=\"rpc-null\",monitor=\"rpc-null\"}";
    EXPECT_EQ(s.at("ganesha_ha_probes_total" + both), 4);
    EXPECT_EQ(s.at("ganesha_ha_probe_failures_total{kind=\"rpc-null\",monitor=\"rpc-null\",reason=\"refused\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_probe_failures_total{kind=\"rpc-null\",monitor=\"rpc-null\",reason=\"other\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_monitor_up" + both), 0);
    EXPECT_EQ(s.at("ganesha_ha_monitor_transitions_total{monitor=\"rpc-null\",to=\"healthy\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_monitor_transitions_total{monitor=\"rpc-null\",to=\"unhealthy\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_monitor_last_success_timestamp_seconds{monitor=\"rpc-null\"}"), 1700000001.0);
    EXPECT_EQ(s.at("ganesha_ha_probe_duration_seconds_count" + both), 4);
    EXPECT_NEAR(s.at("ganesha_ha_probe_duration_seconds_sum" + both), 2.0062, 1e-9);
    EXPECT_EQ(s.at("ganesha_ha_probe_duration_seconds_bucket{kind=\"rpc-null\",monitor=\"rpc-null\",le=\"0.0005\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_probe_duration_seconds_bucket{kind=\"rpc-null\",monitor=\"rpc-null\",le=\"0.005\"}"), 3);
    EXPECT_EQ(s.at("ganesha_ha_probe_duration_seconds_bucket{kind=\"rpc-null\",monitor=\"rpc-null\",le=\"+Inf\"}"), 4);

    // A process exit between probes counts, without a duration.
    metrics.monitor_result(status("pid", Health::unhealthy), Transition::changed, ProbeResult::down("exited", "gone"));
    const auto after = now();
    EXPECT_EQ(after.at("ganesha_ha_probes_total{kind=\"pid\",monitor=\"pid\"}"), 1);
    EXPECT_EQ(after.at("ganesha_ha_probe_failures_total{kind=\"pid\",monitor=\"pid\",reason=\"exited\"}"), 1);
    EXPECT_EQ(after.at("ganesha_ha_probe_duration_seconds_count{kind=\"pid\",monitor=\"pid\"}"), 0);
}

TEST_F(MetricsTest, LabelValuesStayInTheirSets) {
    const Config config = three_nodes();
    metrics.configure(config);
    metrics.configure_commands({"status"});
    const std::size_t before = samples(metrics.text()).size();
    for (int i = 0; i < 200; ++i) {
        const std::string junk = "junk-" + std::to_string(i) + " \"quoted\"\n";
        metrics.control_request(junk);
        metrics.heartbeat_dropped(junk);
        metrics.peer_heard(junk, 1.0);
        metrics.peer_up(junk, true);
        metrics.monitor_result(status("pid", Health::unhealthy), Transition::unchanged, ProbeResult::failed(junk, junk));
        PipelineRecord r;
        r.id = static_cast<std::uint64_t>(i + 1);
        r.name = junk;
        StepRecord step{junk, StepState::failed, 1, junk, 1ms};
        metrics.pipeline_event(r, &step);
        r.state = PipelineState::running;
        metrics.pipeline_event(r, nullptr);
        r.state = PipelineState::failed;
        metrics.pipeline_event(r, nullptr);
    }
    metrics.control_request("status");
    const auto s = now();
    EXPECT_EQ(s.size(), before) << metrics.text();
    EXPECT_EQ(s.at("ganesha_ha_control_requests_total{command=\"unknown\"}"), 200);
    EXPECT_EQ(s.at("ganesha_ha_control_requests_total{command=\"status\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_heartbeats_dropped_total{reason=\"other\"}"), 200);
    EXPECT_EQ(s.at("ganesha_ha_probe_failures_total{kind=\"pid\",monitor=\"pid\",reason=\"other\"}"), 200);
    EXPECT_EQ(s.at("ganesha_ha_action_failures_total{action=\"other\"}"), 200);
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"other\",result=\"failed\"}"), 200);
    EXPECT_EQ(s.at("ganesha_ha_pipelines_running{pipeline=\"other\"}"), 0);
    EXPECT_EQ(metrics.text().find("junk"), std::string::npos);
}

TEST_F(MetricsTest, PeersAndDrops) {
    metrics.configure(three_nodes());
    metrics.peer_heard("n2", 1700000123.5);
    metrics.peer_up("n2", true);
    metrics.peer_up("n3", false);
    metrics.heartbeat_dropped("bad-mac");
    metrics.heartbeat_dropped("bad-mac");
    metrics.heartbeat_dropped("replay");
    const auto s = now();
    EXPECT_EQ(s.at("ganesha_ha_peer_last_heartbeat_timestamp_seconds{peer=\"n2\"}"), 1700000123.5);
    EXPECT_EQ(s.at("ganesha_ha_peer_up{peer=\"n2\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_peer_up{peer=\"n3\"}"), 0);
    EXPECT_EQ(s.at("ganesha_ha_heartbeats_dropped_total{reason=\"bad-mac\"}"), 2);
    EXPECT_EQ(s.at("ganesha_ha_heartbeats_dropped_total{reason=\"replay\"}"), 1);
    metrics.peer_heard("n3");
    EXPECT_EQ(now().at("ganesha_ha_peer_last_heartbeat_timestamp_seconds{peer=\"n3\"}"), wall);
}

// Answers every Pacemaker command with success (queries echo what was set).
class AgreeingRunner final : public CommandRunner {
public:
    Cancel run(std::vector<std::string> argv, ChildOptions, Handler handler) override {
        ChildResult r;
        r.program = argv.front();
        r.exit_code = 0;
        if (argv.size() > 5 && argv[1] == "-Q") r.out = "name=\"" + argv[3] + "\" host=\"" + argv[5] + "\" value=\"" + values[argv[3]] + "\"\n";
        if (argv.size() > 6 && argv[5] == "-U") values[argv[2]] = argv[6];
        if (argv.size() > 5 && argv[5] == "-D") values[argv[2]] = "";
        handler(r);
        return [] {};
    }
    std::map<std::string, std::string> values;
};

// The real pipelines, through the real PipelineRunner observer: every step
// has a known action label and the counters follow the runs.
TEST_F(MetricsTest, RealPipelineStepsMapToKnownActions) {
    test::FakeClock clock;
    Config config = three_nodes();
    config.grace_delay = 1000ms;
    metrics.configure(config);
    std::set<std::string> step_names;
    AgreeingRunner runner;
    PacemakerActions pacemaker{runner, PacemakerTools{}};
    PipelineRunner pipelines{clock, [&](const PipelineRecord& r, const StepRecord* step) {
                                 for (const auto& s : r.steps) step_names.insert(s.name);
                                 metrics.pipeline_event(r, step);
                             }};
    std::vector<std::string> kills;
    test::ScriptedKiller killer{clock, kills};
    NfsdFence fence{FenceSettings{}, killer, [] {
                        FenceTarget hung{FenceTarget::State::hung};
                        hung.pid = 4242;
                        hung.pidfd = 17;
                        return hung;
                    }};
    Failover failover{config, clock, pipelines, pacemaker, nullptr, &fence};

    failover.local_down("test");
    EXPECT_EQ(now().at("ganesha_ha_pipelines_running{pipeline=\"nfsd-down\"}"), 1);
    clock.advance(1000ms);  // the wait for the survivors ends at HA_GRACE_DELAY
    clock.advance(30ms);    // the fenced process exits
    failover.local_up("test");
    failover.drain();
    clock.advance(1000ms);
    failover.undrain(true);
    clock.run_ready();

    asio::io_context io;
    DbusGraceSteps grace{std::make_shared<GraceClient>(std::make_shared<DbusConnection>(io))};
    for (auto event : {GraceEvent::take_ip, GraceEvent::release_ip, GraceEvent::just_grace})
        for (const auto& step : grace.grace(event, event == GraceEvent::just_grace ? "" : "192.0.2.2"))
            step_names.insert(step.name);

    // service/daemon_handover.cpp's take-vip steps (the daemon builds them).
    step_names.insert("grace for the holder's records 192.0.2.2");
    step_names.insert("record node1 as the holder of 192.0.2.2");

    std::set<std::string> labels;
    for (const auto& name : step_names) {
        EXPECT_NE(metric_labels::action_label(name), "other") << name;
        labels.insert(metric_labels::action_label(name));
    }
    EXPECT_EQ(labels, (std::set<std::string>{"attrd-set", "attrd-delete", "trigger-create", "trigger-delete",
                                             "grace", "grace-confirm", "wait-grace", "fence", "holder-record"}));

    const auto s = now();
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"nfsd-down\",result=\"succeeded\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"nfsd-up\",result=\"succeeded\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"drain\",result=\"succeeded\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"undrain\",result=\"succeeded\"}"), 1);
    for (const auto& pipeline : metric_labels::pipelines())
        EXPECT_EQ(s.at("ganesha_ha_pipelines_running{pipeline=\"" + pipeline + "\"}"), 0) << pipeline;
    // nfsd-down: delete grace-active, wait, delete ganesha-active, create trigger.
    EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"attrd-delete\"}"), 4);  // nfsd-down and drain, 2 each
    EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"wait-grace\"}"), 2);
    EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"trigger-create\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"fence\"}"), 1);  // nfsd-down only, not drain
    EXPECT_EQ(s.at("ganesha_ha_action_failures_total{action=\"fence\"}"), 0);
    metrics.nfsd_fenced();  // the daemon's call when the exit is confirmed
    EXPECT_EQ(now().at("ganesha_ha_nfsd_fenced_total"), 1);
    EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"trigger-delete\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_actions_total{action=\"attrd-set\"}"), 4);
    EXPECT_EQ(s.at("ganesha_ha_action_failures_total{action=\"attrd-set\"}"), 0);
    EXPECT_EQ(s.at("ganesha_ha_action_duration_seconds_count{action=\"wait-grace\"}"), 2);
    EXPECT_NEAR(s.at("ganesha_ha_action_duration_seconds_sum{action=\"wait-grace\"}"), 2.0, 1e-9);
}

TEST_F(MetricsTest, SupersededAndDuplicatePipelinesAreCountedNotRunning) {
    metrics.configure(three_nodes());
    PipelineRecord a;
    a.id = 1;
    a.name = "nfsd-down";
    a.state = PipelineState::queued;
    metrics.pipeline_event(a, nullptr);
    a.state = PipelineState::superseded;
    metrics.pipeline_event(a, nullptr);
    PipelineRecord b;
    b.id = 2;
    b.name = "nfsd-up";
    b.state = PipelineState::duplicate;
    metrics.pipeline_event(b, nullptr);
    const auto s = now();
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"nfsd-down\",result=\"superseded\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_pipeline_runs_total{pipeline=\"nfsd-up\",result=\"duplicate\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_pipelines_running{pipeline=\"nfsd-down\"}"), 0);
}

// --- the HTTP endpoint, on a real loopback socket ------------------------------

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool closed = false;  // the server closed the connection after it
};

// Blocking client on its own thread; the test thread runs the loop.
class Client {
public:
    explicit Client(std::uint16_t port) : port_(port) {}

    // Sends `raw` on the current connection (connecting first if needed) and
    // reads `replies` answers; `head_only` answers have no body.
    std::vector<HttpReply> exchange(asio::io_context& loop, const std::string& raw, int replies = 1,
                                    bool head_only = false) {
        std::vector<HttpReply> out;
        std::atomic<bool> done{false};
        std::thread t([&] {
            try {
                if (!socket_.is_open()) socket_.connect({asio::ip::make_address("127.0.0.1"), port_});
                asio::write(socket_, asio::buffer(raw));
                for (int i = 0; i < replies; ++i) out.push_back(read_one(head_only));
            } catch (const std::exception&) {
            }
            done = true;
        });
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done && std::chrono::steady_clock::now() < deadline) {
            loop.restart();
            loop.run_for(5ms);
        }
        t.join();
        return out;
    }
    bool closed_by_server(asio::io_context& loop) {
        std::atomic<bool> done{false};
        bool eof = false;
        std::thread t([&] {
            char c;
            std::error_code ec;
            socket_.read_some(asio::buffer(&c, 1), ec);
            eof = ec == asio::error::eof || ec == asio::error::connection_reset;
            done = true;
        });
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done && std::chrono::steady_clock::now() < deadline) {
            loop.restart();
            loop.run_for(5ms);
        }
        if (!done) socket_.close();
        t.join();
        return eof;
    }

private:
    HttpReply read_one(bool head_only) {
        HttpReply r;
        const std::size_t n = asio::read_until(socket_, asio::dynamic_buffer(buffer_), "\r\n\r\n");
        const std::string head = buffer_.substr(0, n);
        buffer_.erase(0, n);
        r.status = std::stoi(head.substr(9, 3));
        std::size_t pos = head.find("\r\n") + 2;
        while (pos < head.size() - 2) {
            const auto end = head.find("\r\n", pos);
            const std::string line = head.substr(pos, end - pos);
            std::string name = line.substr(0, line.find(':'));
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[name] = line.substr(line.find(':') + 2);
            pos = end + 2;
        }
        const std::size_t length = head_only ? 0 : std::stoul(r.headers["content-length"]);
        if (buffer_.size() < length) {
            std::string more(length - buffer_.size(), '\0');
            asio::read(socket_, asio::buffer(more));
            buffer_ += more;
        }
        r.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return r;
    }

    std::uint16_t port_;
    asio::io_context io_;
    asio::ip::tcp::socket socket_{io_};
    std::string buffer_;
};

class ExporterTest : public ::testing::Test {
protected:
    void SetUp() override {
        metrics.configure(three_nodes());
        start({});
    }
    void start(ExporterOptions options) {
        options.listen = {"127.0.0.1", 0};  // any free port
        exporter = std::make_unique<MetricsExporter>(io, options, [this] { return metrics.text(); },
                                                     [this](const std::string& p) { problems.push_back(p); });
        ASSERT_TRUE(exporter->start());
        port = exporter->local_endpoint()->port();
    }
    void spin(std::chrono::milliseconds d) {
        io.restart();
        io.run_for(d);
    }
    // Runs the loop until cond() holds (true) or 3 s pass (false).
    bool spin_until(const std::function<bool()>& cond) {
        const auto deadline = std::chrono::steady_clock::now() + 3s;
        while (!cond()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            spin(5ms);
        }
        return true;
    }

    asio::io_context io;
    Metrics metrics;
    std::vector<std::string> problems;
    std::unique_ptr<MetricsExporter> exporter;
    std::uint16_t port = 0;
};

TEST_F(ExporterTest, ServesMetricsAndALandingPageOnOneKeptAliveConnection) {
    Client client(port);
    auto replies = client.exchange(io,
                                   "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n"
                                   "GET /?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
                                   2);
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].status, 200);
    EXPECT_EQ(replies[0].headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(replies[0].headers["connection"], "keep-alive");
    EXPECT_EQ(replies[0].body, metrics.text());
    EXPECT_EQ(replies[1].status, 200);
    EXPECT_NE(replies[1].body.find("href=\"/metrics\""), std::string::npos);
    EXPECT_EQ(replies[1].headers["content-type"], "text/html; charset=utf-8");
    // A third request on the same connection still works.
    auto third = client.exchange(io, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1, true);
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0].status, 200);
    EXPECT_EQ(third[0].headers["connection"], "close");
    EXPECT_EQ(std::stoul(third[0].headers["content-length"]), metrics.text().size());
    EXPECT_TRUE(client.closed_by_server(io));
    EXPECT_EQ(exporter->requests(), 3u);
}

TEST_F(ExporterTest, AnswersErrorsAndClosesOnBadRequests) {
    {
        Client c(port);
        auto r = c.exchange(io, "GET /nope HTTP/1.1\r\n\r\n");
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].status, 404);
    }
    {
        Client c(port);
        auto r = c.exchange(io, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].status, 405);
        EXPECT_EQ(r[0].headers["allow"], "GET, HEAD");
        EXPECT_EQ(r[0].headers["connection"], "close");  // a body we did not read
        EXPECT_TRUE(c.closed_by_server(io));
    }
    for (const std::string bad : {"garbage\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                                  "GET / HTTP/1.1\r\nno colon\r\n\r\n"}) {
        SCOPED_TRACE(bad);
        Client c(port);
        auto r = c.exchange(io, bad);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_TRUE(r[0].status == 400 || r[0].status == 505) << r[0].status;
        EXPECT_TRUE(c.closed_by_server(io));
    }
    {
        Client c(port);
        auto r = c.exchange(io, "GET / HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n");
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].status, 431);
    }
    // HTTP/1.0 closes unless asked to keep alive.
    Client c(port);
    auto r = c.exchange(io, "GET /metrics HTTP/1.0\r\n\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].headers["connection"], "close");
    EXPECT_TRUE(c.closed_by_server(io));
}

TEST_F(ExporterTest, IdleAndSlowClientsAreCutOffAndConnectionsAreBounded) {
    exporter.reset();
    ExporterOptions options;
    options.idle_timeout = 100ms;
    options.max_connections = 2;
    start(options);
    asio::io_context client_io;  // before the sockets: they must go first
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> idle;
    for (int i = 0; i < 4; ++i) {
        idle.push_back(std::make_unique<asio::ip::tcp::socket>(client_io));
        idle.back()->connect({asio::ip::make_address("127.0.0.1"), port});
        asio::write(*idle.back(), asio::buffer(std::string("GET /metr")));  // never finished
    }
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(spin_until([&] { return exporter->open_connections() == 2u; }));
    spin(20ms);
    EXPECT_EQ(exporter->open_connections(), 2u);  // never more
    EXPECT_TRUE(spin_until([&] { return exporter->open_connections() == 0u; }));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);  // not before the deadline
    Client fresh(port);
    auto r = fresh.exchange(io, "GET /metrics HTTP/1.1\r\n\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 200);
}

TEST_F(ExporterTest, ABusyPortIsRetriedNotFatal) {
    const auto taken = exporter->local_endpoint()->port();
    ExporterOptions options;
    options.listen = {"127.0.0.1", taken};
    options.retry_bind = 50ms;
    MetricsExporter second(io, options, [] { return std::string("x"); },
                           [this](const std::string& p) { problems.push_back(p); });
    EXPECT_FALSE(second.start());
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("cannot listen on 127.0.0.1:" + std::to_string(taken)), std::string::npos);
    spin(120ms);
    EXPECT_EQ(problems.size(), 1u);  // one line per failure streak
    exporter->close();
    EXPECT_TRUE(spin_until([&] { return second.listening(); }));
    EXPECT_EQ(problems.size(), 2u);
    Client c(taken);
    auto r = c.exchange(io, "GET /metrics HTTP/1.1\r\n\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].body, "x");
}

// Out of descriptors: the accept loop pauses between failures (a spin would
// run them back to back), counts them, and serves the queued scrape once a
// descriptor is free again.
TEST_F(ExporterTest, OutOfDescriptorsTheAcceptLoopBacksOffAndRecovers) {
    if (test::kSanitizerNeedsDescriptors) GTEST_SKIP() << test::kSanitizerNeedsDescriptorsWhy;
    int errors = 0;
    exporter->on_accept_error = [&](std::error_code) { ++errors; };
    asio::io_context client_io;
    asio::ip::tcp::socket s(client_io);
    s.open(asio::ip::tcp::v4());
    test::NoFreeDescriptors limit;
    ASSERT_TRUE(limit.active());
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    ASSERT_TRUE(spin_until([&] { return errors >= 1; }));
    const int first = errors;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(spin_until([&] { return errors >= first + 3; }));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms) << "three failed accepts came too fast: spinning";
    EXPECT_EQ(exporter->accept_failures(), static_cast<std::uint64_t>(errors));
    limit.restore();
    asio::write(s, asio::buffer(std::string("GET /metrics HTTP/1.0\r\n\r\n")));
    EXPECT_TRUE(spin_until([&] { return exporter->requests() == 1u && exporter->open_connections() == 0u; }));
    std::string reply;
    std::error_code ec;
    asio::read(s, asio::dynamic_buffer(reply), ec);  // to EOF: the server closed after answering
    EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply.substr(0, 100);
}

// Keep-alive ends with the connection's lifetime: the answer that comes
// after it says "close" and the server closes, so no client keeps a slot.
TEST_F(ExporterTest, AKeptAliveConnectionEndsWithItsLifetime) {
    exporter.reset();
    ExporterOptions options;
    options.max_connection_lifetime = 0ms;
    start(options);
    Client c(port);
    auto r = c.exchange(io, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 200);
    EXPECT_EQ(r[0].headers["connection"], "close");
    EXPECT_TRUE(c.closed_by_server(io));
    EXPECT_TRUE(spin_until([&] { return exporter->open_connections() == 0u; }));
}

TEST_F(ExporterTest, CloseEndsOpenConnections) {
    asio::io_context client_io;
    asio::ip::tcp::socket s(client_io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    EXPECT_TRUE(spin_until([&] { return exporter->open_connections() == 1u; }));
    exporter->close();
    EXPECT_TRUE(spin_until([&] { return exporter->open_connections() == 0u; }));
    EXPECT_FALSE(exporter->listening());
    // Nothing left on the loop: run() returns at once.
    io.restart();
    const auto t0 = std::chrono::steady_clock::now();
    io.run();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
}

TEST_F(MetricsTest, DrainedIsAGaugeByWhoDrained) {
    metrics.drained("operator", true);
    EXPECT_EQ(now().at("ganesha_ha_drained{by=\"operator\"}"), 1);
    EXPECT_EQ(now().at("ganesha_ha_drained{by=\"agent\"}"), 0);
    metrics.drained("operator", false);
    EXPECT_EQ(now().at("ganesha_ha_drained{by=\"operator\"}"), 0);
}

}  // namespace
}  // namespace gha
