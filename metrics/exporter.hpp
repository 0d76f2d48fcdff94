// The /metrics HTTP endpoint, served by the daemon's own asio loop.
//
// Why not prometheus-cpp's Exposer (civetweb): it answers scrapes on its own
// threads, so a scrape would read the registry while the loop updates it.
// Each metric is atomic, but a multi-series event (a probe result moves
// probes_total, failures, up and last success together) could be seen half
// done. Serving from the loop makes every scrape see the state between two
// events, with no locks and no snapshot to keep fresh; rendering a few
// hundred series takes tens of microseconds, and all I/O is asynchronous, so
// a scrape never blocks the reactor (nor does a hung probe block a scrape:
// probes are asynchronous too). It also keeps the design's "one thread, one
// io_context", lets the daemon serve a landing page at /, retry a busy port
// instead of refusing to start, and bounds every resource itself.
//
// The HTTP/1.1 subset, bounded on purpose: GET and HEAD of "/" and "/metrics"
// (query strings ignored), request head at most 8 KiB, no request bodies,
// keep-alive (Prometheus reuses its connection), an idle/slow-client
// deadline per request, at most 16 connections (more are closed at once),
// each kept alive for at most a minute.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "service/config.hpp"

namespace gha {

struct ExporterOptions {
    Endpoint listen{"127.0.0.1", kDefaultMetricsPort};
    std::chrono::milliseconds idle_timeout{15000};   // per request, and between keep-alive requests
    std::chrono::milliseconds retry_bind{5000};      // after a failed bind (port in use, no address)
    std::size_t max_connections = 16;
    std::size_t max_request_head = 8192;
    // A kept-alive connection is closed after its answer once it is this
    // old: else a local user could hold all max_connections slots for good
    // by sending a request now and then.
    std::chrono::milliseconds max_connection_lifetime{60000};
    // After a failed accept (EMFILE, ENFILE, ENOBUFS): see ControlServer.
    std::chrono::milliseconds accept_backoff{100};
};

class MetricsExporter {
public:
    using Render = std::function<std::string()>;           // the text exposition
    using Problem = std::function<void(const std::string&)>;  // for the log

    MetricsExporter(asio::io_context& io, ExporterOptions options, Render render, Problem problem = {});
    ~MetricsExporter();
    MetricsExporter(const MetricsExporter&) = delete;
    MetricsExporter& operator=(const MetricsExporter&) = delete;

    // Binds and serves. A failed bind is reported through `problem` and
    // retried every retry_bind: metrics must never keep the HA daemon from
    // running. Returns whether the first bind worked.
    bool start();
    void close();

    bool listening() const { return acceptor_.is_open(); }
    std::optional<asio::ip::tcp::endpoint> local_endpoint() const;
    std::size_t open_connections() const { return *open_; }
    std::uint64_t requests() const { return requests_; }
    std::uint64_t accept_failures() const { return accept_failures_; }
    std::function<void(std::error_code)> on_accept_error;  // for counting

private:
    class Connection;
    bool bind();
    void accept();
    void accept_later(std::error_code ec);
    void retry_later();

    asio::io_context& io_;
    ExporterOptions options_;
    Render render_;
    Problem problem_;
    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer retry_;
    asio::steady_timer accept_retry_;
    std::uint64_t accept_failures_ = 0;
    std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
    // Live connections, so close() ends them (else io.run() would wait for
    // their idle deadline after the daemon stops).
    std::list<std::weak_ptr<Connection>> connections_;
    std::shared_ptr<MetricsExporter*> token_ = std::make_shared<MetricsExporter*>(this);
    std::uint64_t requests_ = 0;
    bool closed_ = false;
    bool reported_ = false;  // one log line per failure streak, not one per retry
};

}  // namespace gha
