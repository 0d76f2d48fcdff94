#include "metrics/exporter.hpp"

#include "metrics/http_head.hpp"

#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <ctime>
#include <string_view>

namespace gha {

using asio::ip::tcp;

namespace {

constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

constexpr std::string_view kLanding =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ganesha-had</title></head>\n"
    "<body><h1>ganesha-had " GHA_VERSION "</h1>\n"
    "<p>High-availability daemon for NFS-Ganesha.</p>\n"
    "<p><a href=\"/metrics\">Metrics</a> (Prometheus text format)</p>\n"
    "</body></html>\n";

std::string http_date() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buffer;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 505: return "HTTP Version Not Supported";
    }
    return "Error";
}

}  // namespace

class MetricsExporter::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(MetricsExporter& owner, tcp::socket socket)
        : owner_(owner.token_),
          socket_(std::move(socket)),
          timer_(socket_.get_executor()),
          open_(owner.open_),
          idle_timeout_(owner.options_.idle_timeout),
          expires_(std::chrono::steady_clock::now() + owner.options_.max_connection_lifetime),
          max_head_(owner.options_.max_request_head) {
        ++*open_;
    }
    ~Connection() { --*open_; }

    void start() { read_request(); }

    void stop() {
        std::error_code ignored;
        timer_.cancel();
        socket_.close(ignored);
    }

private:
    // One deadline per request: reading its head and writing the answer. A
    // client that trickles bytes is cut off like an idle one.
    void arm_deadline() {
        timer_.expires_after(idle_timeout_);
        timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
            if (auto self = weak.lock(); self && !ec) self->stop();
        });
    }

    void read_request() {
        arm_deadline();
        asio::async_read_until(socket_, asio::dynamic_buffer(input_, max_head_), "\r\n\r\n",
                               [self = shared_from_this()](std::error_code ec, std::size_t n) {
                                   self->on_head(ec, n);
                               });
    }

    void on_head(std::error_code ec, std::size_t n) {
        if (ec == asio::error::not_found) return respond(431, "text/plain", "request head too large\n", false, false);
        auto owner = owner_.lock();
        if (ec || !owner) return stop();
        const http::RequestHead request = http::parse_request_head(std::string_view(input_).substr(0, n - 4));
        input_.erase(0, n);
        MetricsExporter& exporter = **owner;
        ++exporter.requests_;
        if (request.status) return respond(request.status, "text/plain", std::string(reason_phrase(request.status)) + "\n", false, false);
        const bool head_only = request.method == "HEAD";
        if (request.method != "GET" && !head_only)
            return respond(405, "text/plain", "only GET and HEAD\n", request.keep_alive, false);
        if (request.path == "/metrics")
            return respond(200, kMetricsType, exporter.render_(), request.keep_alive, head_only);
        if (request.path == "/")
            return respond(200, "text/html; charset=utf-8", std::string(kLanding), request.keep_alive, head_only);
        respond(404, "text/plain", "not found; try /metrics\n", request.keep_alive, head_only);
    }

    void respond(int status, std::string_view type, std::string body, bool keep_alive, bool head_only) {
        if (std::chrono::steady_clock::now() >= expires_) keep_alive = false;  // lifetime used up
        output_ = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
        output_ += "Date: " + http_date() + "\r\n";
        output_ += "Content-Type: " + std::string(type) + "\r\n";
        output_ += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        output_ += "Cache-Control: no-store\r\n";
        if (status == 405) output_ += "Allow: GET, HEAD\r\n";
        output_ += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        if (!head_only) output_ += body;
        asio::async_write(socket_, asio::buffer(output_),
                          [self = shared_from_this(), keep_alive](std::error_code ec, std::size_t) {
                              if (ec || !keep_alive || self->owner_.expired()) {
                                  std::error_code ignored;
                                  self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                                  return self->stop();
                              }
                              self->read_request();
                          });
    }

    std::weak_ptr<MetricsExporter*> owner_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    std::shared_ptr<std::size_t> open_;
    std::chrono::milliseconds idle_timeout_;
    std::chrono::steady_clock::time_point expires_;
    std::size_t max_head_;
    std::string input_;
    std::string output_;
};

MetricsExporter::MetricsExporter(asio::io_context& io, ExporterOptions options, Render render, Problem problem)
    : io_(io),
      options_(std::move(options)),
      render_(std::move(render)),
      problem_(std::move(problem)),
      acceptor_(io),
      retry_(io),
      accept_retry_(io) {}

MetricsExporter::~MetricsExporter() { close(); }

bool MetricsExporter::start() {
    closed_ = false;
    if (bind()) {
        accept();
        return true;
    }
    retry_later();
    return false;
}

bool MetricsExporter::bind() {
    std::error_code ec;
    const auto address = asio::ip::make_address(options_.listen.host, ec);
    if (!ec) {
        const tcp::endpoint endpoint(address, options_.listen.port);
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(64, ec);
    }
    if (ec) {
        std::error_code ignored;
        acceptor_.close(ignored);
        if (!reported_ && problem_)
            problem_("metrics: cannot listen on " + options_.listen.to_string() + ": " + ec.message() +
                     "; retrying every " + std::to_string(options_.retry_bind.count()) + " ms");
        reported_ = true;
        return false;
    }
    if (reported_ && problem_) problem_("metrics: listening on " + options_.listen.to_string() + " now");
    reported_ = false;
    return true;
}

void MetricsExporter::retry_later() {
    retry_.expires_after(options_.retry_bind);
    retry_.async_wait([this, token = std::weak_ptr<MetricsExporter*>(token_)](std::error_code ec) {
        if (ec || token.expired() || closed_) return;
        if (bind())
            accept();
        else
            retry_later();
    });
}

std::optional<tcp::endpoint> MetricsExporter::local_endpoint() const {
    std::error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    if (ec) return std::nullopt;
    return endpoint;
}

void MetricsExporter::accept() {
    acceptor_.async_accept([this, token = std::weak_ptr<MetricsExporter*>(token_)](std::error_code ec,
                                                                                 tcp::socket socket) {
        if (token.expired() || ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) return accept_later(ec);
        if (*open_ < options_.max_connections) {
            auto connection = std::make_shared<Connection>(*this, std::move(socket));
            connections_.remove_if([](const std::weak_ptr<Connection>& w) { return w.expired(); });
            connections_.push_back(connection);
            connection->start();
        }
        // else: the socket closes here; the scraper retries at its next interval
        accept();
    });
}

void MetricsExporter::accept_later(std::error_code ec) {
    ++accept_failures_;
    if (on_accept_error) on_accept_error(ec);
    accept_retry_.expires_after(options_.accept_backoff);
    accept_retry_.async_wait([this, token = std::weak_ptr<MetricsExporter*>(token_)](std::error_code wait_ec) {
        if (wait_ec || token.expired() || closed_ || !acceptor_.is_open()) return;
        accept();
    });
}

void MetricsExporter::close() {
    closed_ = true;
    std::error_code ignored;
    retry_.cancel();
    accept_retry_.cancel();
    acceptor_.close(ignored);
    for (auto& weak : connections_)
        if (auto c = weak.lock()) c->stop();
    connections_.clear();
}

}  // namespace gha
