// /metrics of the real ganesha-had against a real ganesha.nfsd: linted by
// the real promtool, scraped by a real Prometheus server on loopback, equal
// to `ganesha-hactl metrics`, and prompt while a probe hangs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "ctl/control_client.hpp"
#include "tests/support/build_dir.hpp"
#include "tests/support/ganesha_lab.hpp"

namespace gha {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using test::kBin;
const std::string kSource = GHA_SOURCE_DIR;

// Ports per test (ganesha, metrics, prometheus) so earlier tests' sockets never matter.
std::uint16_t test_port(int base) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto h = std::hash<std::string>{}(std::string(info->test_suite_name()) + info->name());
    return static_cast<std::uint16_t>(base + h % 1000);
}

struct HttpResponse {
    int status = 0;  // 0: no answer (refused, timeout, garbage)
    std::string headers;  // raw, lower-cased
    std::string body;
};

// A minimal blocking HTTP/1.1 GET over loopback TCP, bounded by `timeout`:
// Connection: close, read to EOF, chunked bodies decoded (Prometheus' API
// sends them for larger answers).
HttpResponse http_get(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout = 3000ms) {
    HttpResponse r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return r;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto wait = [&](short events) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
    };
    std::string raw;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
        ::close(fd);
        return r;
    }
    int error = 0;
    socklen_t len = sizeof error;
    if (!wait(POLLOUT) || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
        ::close(fd);
        return r;
    }
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nUser-Agent: gha-test\r\nConnection: close\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size() && wait(POLLOUT)) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    char buffer[65536];
    while (wait(POLLIN)) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        raw.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || raw.rfind("HTTP/1.", 0) != 0) return r;
    r.status = std::atoi(raw.c_str() + 9);
    r.headers = raw.substr(0, head_end);
    for (auto& c : r.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string body = raw.substr(head_end + 4);
    if (r.headers.find("transfer-encoding: chunked") != std::string::npos) {
        std::string decoded;
        std::size_t pos = 0;
        while (pos < body.size()) {
            const auto eol = body.find("\r\n", pos);
            if (eol == std::string::npos) break;
            const std::size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
            if (size == 0) break;
            decoded += body.substr(eol + 2, size);
            pos = eol + 2 + size + 2;
        }
        body = decoded;
    }
    r.body = body;
    return r;
}

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// Sample keys ("name{labels}") and the families declared by # TYPE lines.
struct Exposition {
    std::map<std::string, double> samples;
    std::set<std::string> families;
};

Exposition parse_exposition(const std::string& text) {
    Exposition e;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("# TYPE ", 0) == 0) {
            e.families.insert(line.substr(7, line.find(' ', 7) - 7));
        } else if (!line.empty() && line[0] != '#') {
            const auto space = line.rfind(' ');
            e.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
        }
    }
    return e;
}

std::set<std::string> keys(const Exposition& e) {
    std::set<std::string> out;
    for (const auto& [key, value] : e.samples) out.insert(key);
    return out;
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class MetricsIntegrationTest : public ::testing::Test {
protected:
    void SetUp() override {
        dbus.emplace(dir.path());
        ganesha.emplace(lab::ganesha_on_bus(dir.file("nfsd"), test_port(25000), *dbus));
        ganesha->start();
        metrics_port = test_port(26000);
        socket = dir.file("hactl.sock");
        config = dir.file("ganesha-ha.conf");
        write_config("interval=200ms timeout=200ms rise=2 fall=2", "127.0.0.1:" + std::to_string(metrics_port));
    }

    void write_config(const std::string& rpc_options, const std::string& listen) {
        lab::write_file(config, std::string(lab::kHostNetworkClients) + "HA_NAME=\"test\"\n"
                                "HA_CLUSTER_NODES=\"node1,node2,node3\"\n"
                                "VIP_node1=\"192.0.2.1\"\n"
                                "VIP_node2=\"192.0.2.2\"\n"
                                "VIP_node3=\"192.0.2.3\"\n"
                                "HA_NFSD_PIDFILE=\"" + ganesha->pidfile() + "\"\n"
                                "HA_NFSD_ADDRESS=\"127.0.0.1:" + std::to_string(ganesha->port()) + "\"\n"
                                "HA_METRICS_LISTEN=\"" + listen + "\"\n"
                                "HA_MONITOR_PID=\"interval=200ms\"\n"
                                "HA_MONITOR_RPC_NULL=\"" + rpc_options + "\"\n");
    }

    void start_had() {
        had.emplace(kBin, config, "node1", socket,
                    lab::Env{{"DBUS_SYSTEM_BUS_ADDRESS", dbus->address()}});
        had->start();
    }

    json call(const std::string& command) {
        control::ClientError error;
        auto answer = control::call(socket, {command, json::object()}, 2000ms, error);
        EXPECT_EQ(error.kind, control::ClientError::none) << error.text;
        return answer;
    }

    void wait_healthy() {
        ASSERT_TRUE(lab::wait_until([&] { return call("monitor")["arguments"]["ocf"] == 0; }, 5000ms, 10ms))
            << lab::tail_file(had->log_path());
    }

    Exposition scrape() {
        const auto r = http_get(metrics_port, "/metrics");
        EXPECT_EQ(r.status, 200) << r.headers;
        return parse_exposition(r.body);
    }
    double sample(const std::string& key) {
        const auto e = scrape();
        auto it = e.samples.find(key);
        return it == e.samples.end() ? -1 : it->second;
    }

    // `promtool check metrics` with `text` on stdin: its exit code and output.
    std::pair<int, std::string> promtool_check(const std::string& text) {
        const std::string in = dir.file("scrape.txt");
        const std::string out = dir.file("promtool.out");
        lab::write_file(in, text);
        const int in_fd = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
        const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        lab::Process p;
        p.spawn_fds({"promtool", "check", "metrics"}, {}, in_fd, out_fd, out_fd);
        ::close(in_fd);
        ::close(out_fd);
        const int rc = p.wait_exit(20000ms);
        return {rc, lab::read_file(out)};
    }

    lab::TempDir dir;
    std::optional<lab::DbusDaemon> dbus;
    std::optional<lab::Ganesha> ganesha;
    std::optional<lab::Had> had;
    std::string socket, config;
    std::uint16_t metrics_port = 0;
};

TEST_F(MetricsIntegrationTest, AScrapeIsCleanForPromtoolAndEqualsTheControlCommand) {
    start_had();
    wait_healthy();

    const auto page = http_get(metrics_port, "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("href=\"/metrics\""), std::string::npos) << page.body;

    const auto r = http_get(metrics_port, "/metrics");
    ASSERT_EQ(r.status, 200) << lab::tail_file(had->log_path());
    EXPECT_NE(r.headers.find("content-type: text/plain; version=0.0.4"), std::string::npos) << r.headers;
    const auto [rc, lint] = promtool_check(r.body);
    EXPECT_EQ(rc, 0) << lint;
    EXPECT_EQ(lint, "") << "promtool lint problems:\n" << lint;

    const Exposition http = parse_exposition(r.body);
    for (const char* family :
         {"ganesha_ha_build_info", "ganesha_ha_monitor_up", "ganesha_ha_probes_total",
          "ganesha_ha_probe_failures_total", "ganesha_ha_probe_duration_seconds",
          "ganesha_ha_monitor_transitions_total", "ganesha_ha_monitor_last_success_timestamp_seconds",
          "ganesha_ha_detection_bound_seconds", "ganesha_ha_actions_total", "ganesha_ha_action_failures_total",
          "ganesha_ha_action_duration_seconds", "ganesha_ha_pipeline_runs_total", "ganesha_ha_pipelines_running",
          "ganesha_ha_peer_up", "ganesha_ha_peer_last_heartbeat_timestamp_seconds",
          "ganesha_ha_heartbeats_dropped_total", "ganesha_ha_control_requests_total"})
        EXPECT_TRUE(http.families.count(family)) << family;
    const auto& s = http.samples;
    EXPECT_EQ(s.at("ganesha_ha_build_info{version=\"" GHA_VERSION "\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_monitor_up{kind=\"pid\",monitor=\"pid\"}"), 1);
    EXPECT_EQ(s.at("ganesha_ha_monitor_up{kind=\"rpc-null\",monitor=\"rpc-null\"}"), 1);
    EXPECT_GE(s.at("ganesha_ha_probes_total{kind=\"rpc-null\",monitor=\"rpc-null\"}"), 1);  // the first result decides
    EXPECT_NEAR(s.at("ganesha_ha_monitor_last_success_timestamp_seconds{monitor=\"rpc-null\"}"), wall_now(), 5);
    EXPECT_DOUBLE_EQ(s.at("ganesha_ha_detection_bound_seconds{monitor=\"rpc-null\"}"), 0.6);
    EXPECT_EQ(s.at("ganesha_ha_peer_up{peer=\"node2\"}"), 0);
    EXPECT_EQ(s.count("ganesha_ha_peer_up{peer=\"node1\"}"), 0u);  // not our own peer
    EXPECT_GE(s.at("ganesha_ha_control_requests_total{command=\"monitor\"}"), 1);

    const auto cli = lab::run_cli(kBin, socket, {"metrics"}, 5000ms);
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    const Exposition control = parse_exposition(cli.out);
    EXPECT_EQ(control.families, http.families);
    EXPECT_EQ(keys(control), keys(http));
    const auto [rc2, lint2] = promtool_check(cli.out);
    EXPECT_EQ(rc2, 0) << lint2;
    EXPECT_EQ(lint2, "");
    // The request itself was counted, and unknown commands share one series.
    EXPECT_GE(control.samples.at("ganesha_ha_control_requests_total{command=\"metrics\"}"), 1);
    // ganesha-hactl refuses an unknown command itself; `call` sends it as is.
    EXPECT_EQ(lab::run_cli(kBin, socket, {"call", "no-such-command"}, 5000ms).exit_code, 2);
    EXPECT_EQ(sample("ganesha_ha_control_requests_total{command=\"unknown\"}"), 1);
}

TEST_F(MetricsIntegrationTest, AKilledNfsdMovesTheCountersAndTheFailoverIsCounted) {
    start_had();
    wait_healthy();
    ASSERT_TRUE(ganesha->kill(SIGKILL));
    ASSERT_TRUE(lab::wait_until(
        [&] { return sample("ganesha_ha_monitor_up{kind=\"pid\",monitor=\"pid\"}") == 0; }, 2000ms, 10ms));
    const auto e = scrape();
    EXPECT_GE(e.samples.at("ganesha_ha_probe_failures_total{kind=\"pid\",monitor=\"pid\",reason=\"exited\"}"), 1);
    EXPECT_GE(e.samples.at("ganesha_ha_monitor_transitions_total{monitor=\"pid\",to=\"unhealthy\"}"), 1);
    EXPECT_EQ(e.samples.at("ganesha_ha_monitor_transitions_total{monitor=\"pid\",to=\"healthy\"}"), 1);
    // No Pacemaker runs here: the nfsd-down pipeline fails at its first step
    // (attrd_updater exits 102) after its retries, and says so.
    ASSERT_TRUE(lab::wait_until(
        [&] { return sample("ganesha_ha_pipeline_runs_total{pipeline=\"nfsd-down\",result=\"failed\"}") >= 1; },
        10000ms, 50ms))
        << scrape().samples.size() << lab::tail_file(had->log_path());
    const auto after = scrape();
    EXPECT_GE(after.samples.at("ganesha_ha_action_failures_total{action=\"attrd-delete\"}"), 1);
    EXPECT_GE(after.samples.at("ganesha_ha_action_duration_seconds_count{action=\"attrd-delete\"}"), 1);
    EXPECT_EQ(after.samples.at("ganesha_ha_pipelines_running{pipeline=\"nfsd-down\"}"), 0);
    EXPECT_TRUE(ganesha->wait_exited(2000ms));
}

// A stopped ganesha.nfsd accepts the connection and never answers: the
// rpc-null probe hangs for its whole (here 3 s) timeout. Scrapes and the
// control command must not wait for it.
TEST_F(MetricsIntegrationTest, AScrapeDuringAHungProbeReturnsPromptly) {
    write_config("interval=200ms timeout=3s rise=1 fall=1", "127.0.0.1:" + std::to_string(metrics_port));
    start_had();
    wait_healthy();
    const double probes_before = sample("ganesha_ha_probes_total{kind=\"rpc-null\",monitor=\"rpc-null\"}");
    auto rpc_probes_started = [&] {
        const json status = call("status");
        for (const auto& m : status["arguments"]["monitors"])
            if (m["name"] == "rpc-null") return m["probes"].get<std::uint64_t>();
        return std::uint64_t{0};
    };
    ASSERT_TRUE(ganesha->kill(SIGSTOP));
    // A probe started after the stop is in flight and stuck (probes are
    // counted when they start; none overlaps the hung one).
    const auto started_at_stop = rpc_probes_started();
    ASSERT_TRUE(lab::wait_until([&] { return rpc_probes_started() > started_at_stop; }, 2000ms, 20ms));
    // Scrapes back to back across half a second of the hang (at least 10).
    std::chrono::nanoseconds worst{0};
    const auto window_end = std::chrono::steady_clock::now() + 500ms;
    for (int i = 0; i < 10 || std::chrono::steady_clock::now() < window_end; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = http_get(metrics_port, "/metrics", 2000ms);
        worst = std::max(worst, std::chrono::steady_clock::now() - t0);
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(parse_exposition(r.body).samples.at("ganesha_ha_monitor_up{kind=\"rpc-null\",monitor=\"rpc-null\"}"), 1)
            << "the hung probe has not timed out yet";
    }
    EXPECT_LT(worst, 200ms) << std::chrono::duration<double, std::milli>(worst).count() << " ms";
    const auto t0 = std::chrono::steady_clock::now();
    const auto cli = lab::run_cli(kBin, socket, {"metrics"}, 2000ms);
    EXPECT_EQ(cli.exit_code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
    // The probe times out: counted as a timeout with its duration.
    ASSERT_TRUE(lab::wait_until(
        [&] { return sample("ganesha_ha_monitor_up{kind=\"rpc-null\",monitor=\"rpc-null\"}") == 0; }, 5000ms, 50ms));
    const auto e = scrape();
    EXPECT_GE(e.samples.at("ganesha_ha_probe_failures_total{kind=\"rpc-null\",monitor=\"rpc-null\",reason=\"timeout\"}"),
              1);
    EXPECT_GE(e.samples.at("ganesha_ha_probe_duration_seconds_bucket{kind=\"rpc-null\",monitor=\"rpc-null\",le=\"+Inf\"}") -
                  e.samples.at("ganesha_ha_probe_duration_seconds_bucket{kind=\"rpc-null\",monitor=\"rpc-null\",le=\"2.5\"}"),
              1);
    EXPECT_GT(e.samples.at("ganesha_ha_probes_total{kind=\"rpc-null\",monitor=\"rpc-null\"}"), probes_before);
    ASSERT_TRUE(ganesha->kill(SIGCONT));
}

// dbus-heartbeat (on by default) has its series before its first result,
// and they follow a hang: missed heartbeats counted by reason, the edge, the
// last success, the bound.
TEST_F(MetricsIntegrationTest, TheDbusHeartbeatSeriesExistFromStartUpAndFollowAHang) {
    start_had();
    // Through the control socket, which answers as soon as the daemon runs
    // (possibly before the first heartbeat).
    const auto first = parse_exposition(call("metrics")["arguments"]["text"].get<std::string>());
    const std::string hb = "{kind=\"dbus-heartbeat\",monitor=\"dbus-heartbeat\"";
    for (const std::string& key :
         {"ganesha_ha_monitor_up" + hb + "}", "ganesha_ha_probes_total" + hb + "}",
          "ganesha_ha_probe_failures_total" + hb + ",reason=\"no-heartbeat\"}",
          "ganesha_ha_probe_failures_total" + hb + ",reason=\"reported-unhealthy\"}",
          "ganesha_ha_probe_failures_total" + hb + ",reason=\"bus_unreachable\"}",
          "ganesha_ha_probe_failures_total" + hb + ",reason=\"service_unknown\"}",
          std::string("ganesha_ha_monitor_transitions_total{monitor=\"dbus-heartbeat\",to=\"unhealthy\"}"),
          std::string("ganesha_ha_monitor_last_success_timestamp_seconds{monitor=\"dbus-heartbeat\"}")})
        EXPECT_TRUE(first.samples.count(key)) << key;
    EXPECT_DOUBLE_EQ(first.samples.at("ganesha_ha_detection_bound_seconds{monitor=\"dbus-heartbeat\"}"), 3.5);

    ASSERT_TRUE(lab::wait_until([&] { return sample("ganesha_ha_monitor_up" + hb + "}") == 1; }, 3000ms, 20ms));
    EXPECT_NEAR(sample("ganesha_ha_monitor_last_success_timestamp_seconds{monitor=\"dbus-heartbeat\"}"), wall_now(), 3);
    ASSERT_TRUE(ganesha->kill(SIGSTOP));
    ASSERT_TRUE(lab::wait_until([&] { return sample("ganesha_ha_monitor_up" + hb + "}") == 0; }, 6000ms, 50ms));
    const auto e = scrape();
    EXPECT_GE(e.samples.at("ganesha_ha_probe_failures_total" + hb + ",reason=\"no-heartbeat\"}"), 3);
    EXPECT_EQ(e.samples.at("ganesha_ha_probe_failures_total" + hb + ",reason=\"service_unknown\"}"), 0);
    EXPECT_EQ(e.samples.at("ganesha_ha_monitor_transitions_total{monitor=\"dbus-heartbeat\",to=\"unhealthy\"}"), 1);
    ASSERT_TRUE(ganesha->kill(SIGCONT));
    ASSERT_TRUE(lab::wait_until([&] { return sample("ganesha_ha_monitor_up" + hb + "}") == 1; }, 5000ms, 50ms));
}

TEST_F(MetricsIntegrationTest, OffMeansNoListenerButTheControlCommandStillWorks) {
    write_config("interval=200ms timeout=200ms", "off");
    start_had();
    wait_healthy();
    EXPECT_FALSE(lab::process_listens_on(had->pid(), metrics_port));
    EXPECT_EQ(http_get(metrics_port, "/metrics", 500ms).status, 0);
    const auto cli = lab::run_cli(kBin, socket, {"metrics"}, 5000ms);
    EXPECT_EQ(cli.exit_code, 0);
    EXPECT_NE(cli.out.find("ganesha_ha_monitor_up{kind=\"pid\",monitor=\"pid\"} 1"), std::string::npos) << cli.out;
}

TEST_F(MetricsIntegrationTest, ABusyMetricsPortDoesNotStopTheDaemon) {
    // Something else holds the port: the daemon runs, says so, and serves
    // once the port is free.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;  // a previous run's TIME_WAIT connections must not matter
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(metrics_port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(fd, 1), 0);
    start_had();
    wait_healthy();
    const auto events = lab::run_cli(kBin, socket, {"events"}, 5000ms);
    EXPECT_NE(events.out.find("cannot listen on 127.0.0.1:" + std::to_string(metrics_port)), std::string::npos)
        << events.out;
    ::close(fd);
    EXPECT_TRUE(lab::wait_until([&] { return http_get(metrics_port, "/metrics", 500ms).status == 200; }, 8000ms, 100ms))
        << lab::tail_file(had->log_path());
}

// Prometheus 2.42 scrapes the daemon every second with the shipped alert
// rules loaded; the dashboard's queries are checked against it too.
TEST_F(MetricsIntegrationTest, ARealPrometheusScrapesTheConfiguredMonitors) {
    start_had();
    wait_healthy();
    const std::uint16_t prom_port = test_port(27000);
    const std::string rules = kSource + "/units/prometheus/ganesha-ha.rules.yml";
    lab::write_file(dir.file("prometheus.yml"),
                    "global:\n"
                    "  scrape_interval: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files:\n"
                    "  - " + rules + "\n"
                    "scrape_configs:\n"
                    "  - job_name: ganesha-ha\n"
                    "    static_configs:\n"
                    "      - targets: ['127.0.0.1:" + std::to_string(metrics_port) + "']\n");
    lab::Process prometheus;
    prometheus.spawn({"prometheus", "--config.file=" + dir.file("prometheus.yml"),
                      "--storage.tsdb.path=" + dir.file("data"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                     {}, dir.file("prometheus.log"));
    ASSERT_TRUE(lab::wait_until([&] { return http_get(prom_port, "/-/ready", 500ms).status == 200; }, 10000ms, 50ms))
        << lab::tail_file(dir.file("prometheus.log"));

    auto query = [&](const std::string& promql) {
        const auto r = http_get(prom_port, "/api/v1/query?query=" + url_encode(promql));
        auto j = json::parse(r.body, nullptr, false);
        return j.is_discarded() ? json{{"status", "bad"}, {"body", r.body}} : j;
    };
    std::set<std::string> monitors;
    json answer;
    ASSERT_TRUE(lab::wait_until(
        [&] {
            answer = query("ganesha_ha_monitor_up");
            monitors.clear();
            if (answer["status"] != "success") return false;
            for (const auto& series : answer["data"]["result"]) {
                const auto& m = series["metric"];
                if (m["job"] == "ganesha-ha" && m["instance"] == "127.0.0.1:" + std::to_string(metrics_port) &&
                    series["value"][1] == "1")
                    monitors.insert(m["monitor"].get<std::string>());
            }
            return monitors == std::set<std::string>{"pid", "rpc-null", "dbus-heartbeat"};
        },
        15000ms, 200ms))
        << answer.dump(2) << lab::tail_file(dir.file("prometheus.log"));
    EXPECT_EQ(query("up{job=\"ganesha-ha\"}")["data"]["result"][0]["value"][1], "1");

    // The shipped rules load and evaluate without errors.
    const std::set<std::string> alerts{
        "GaneshaNfsdDown",   "GaneshaNfsdHung",          "GaneshaNfsdHeartbeatMissing", "GaneshaHaDbusUnreachable",
        "GaneshaHaPeerLost", "GaneshaHaFailoverTooLong", "GaneshaHaActionsFailing",     "GaneshaHaHeartbeatForgery",
        "GaneshaHaDaemonDown", "GaneshaHaServerScopeMismatch", "GaneshaHaNodeDrainedLong"};
    json rule_groups;
    ASSERT_TRUE(lab::wait_until(
        [&] {
            const auto r = http_get(prom_port, "/api/v1/rules");
            rule_groups = json::parse(r.body, nullptr, false);
            if (rule_groups.is_discarded() || rule_groups["status"] != "success") return false;
            std::set<std::string> evaluated;
            int loaded = 0;
            for (const auto& g : rule_groups["data"]["groups"])
                for (const auto& rule : g["rules"]) {
                    ++loaded;
                    if (rule["health"] == "ok") evaluated.insert(rule["name"].get<std::string>());
                }
            return loaded == static_cast<int>(alerts.size()) && evaluated == alerts;
        },
        10000ms, 200ms))
        << rule_groups.dump(2);
    // A healthy node fires nothing.
    EXPECT_TRUE(query("ALERTS{alertstate=\"firing\"}")["data"]["result"].empty());

    // Every dashboard query is valid PromQL on this server and names only
    // families the daemon exports.
    const json dashboard = json::parse(lab::read_file(kSource + "/units/grafana/ganesha-ha.json"));
    const Exposition exported = scrape();
    std::set<std::string> family_names = exported.families;
    const std::regex metric_name("ganesha_ha_[a-z_]+");
    int checked = 0;
    for (const auto& panel : dashboard["panels"]) {
        if (!panel.contains("targets")) continue;
        for (const auto& target : panel["targets"]) {
            std::string expr = target["expr"];
            for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
                     {"$job", ".*"}, {"$instance", ".*"}, {"$__rate_interval", "1m"}})
                for (std::size_t at; (at = expr.find(from)) != std::string::npos;) expr.replace(at, from.size(), to);
            const json result = query(expr);
            EXPECT_EQ(result["status"], "success") << panel["title"] << ": " << expr << "\n" << result.dump();
            for (std::sregex_iterator it(expr.begin(), expr.end(), metric_name), end; it != end; ++it) {
                std::string name = it->str();
                for (const char* suffix : {"_bucket", "_sum", "_count"})
                    if (!family_names.count(name) && name.ends_with(suffix))
                        name = name.substr(0, name.size() - std::strlen(suffix));
                EXPECT_TRUE(family_names.count(name)) << panel["title"] << ": " << it->str();
            }
            ++checked;
        }
    }
    EXPECT_GE(checked, 15);
    EXPECT_EQ(prometheus.stop(), 0) << lab::tail_file(dir.file("prometheus.log"));
}

}  // namespace
}  // namespace gha
