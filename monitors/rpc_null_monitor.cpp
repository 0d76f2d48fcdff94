#include "monitors/rpc_null_monitor.hpp"

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstdio>
#include <random>

namespace gha {
namespace {

ProbeResult classify(const rpc::Reply& reply, Duration took) {
    using rpc::ReplyStatus;
    const std::string reason = rpc::to_string(reply.status);
    switch (reply.status) {
        case ReplyStatus::success: {
            char text[48];
            std::snprintf(text, sizeof text, "answered in %.1f ms",
                          std::chrono::duration<double, std::milli>(took).count());
            return ProbeResult::ok(text);
        }
        // The server answered and said it does not serve NFSv4 at all: no
        // point in waiting for more failures.
        case ReplyStatus::prog_unavail:
        case ReplyStatus::prog_mismatch:
        case ReplyStatus::proc_unavail: return ProbeResult::down(reason, reply.detail);
        default: return ProbeResult::failed(reason, reply.detail);
    }
}

ProbeResult network_failure(std::error_code ec, const std::string& target) {
    if (ec == asio::error::connection_refused)
        return ProbeResult::failed("refused", target + ": connection refused");
    if (ec == asio::error::eof || ec == asio::error::connection_reset)
        return ProbeResult::failed("closed", target + ": connection closed before the reply");
    return ProbeResult::failed("network-error", target + ": " + ec.message());
}

}  // namespace

RpcNullMonitor::RpcNullMonitor(asio::io_context& io, Clock& clock,
                               const MonitorSettings& settings, Endpoint target,
                               Listener listener, std::uint32_t version)
    : MonitorSession("rpc-null", "rpc-null", settings, clock, std::move(listener)),
      io_(io),
      endpoint_(asio::ip::make_address(target.host), target.port),
      target_(target.to_string()),
      xid_(static_cast<std::uint32_t>(std::random_device{}())),
      version_(version) {}

void RpcNullMonitor::start_probe(ProbeId id) {
    abort_probe();
    ++xid_;
    probe_started_ = clock().now();
    call_ = rpc::encode_null_call(xid_, rpc::kNfsProgram, version_);
    reader_ = rpc::RecordReader{};
    socket_.emplace(io_);
    socket_->async_connect(endpoint_, guarded([this, id](std::error_code ec) { on_connected(id, ec); }));
}

void RpcNullMonitor::abort_probe() {
    if (socket_) {
        std::error_code ignored;
        socket_->close(ignored);  // pending operations complete with operation_aborted
        socket_.reset();
    }
}

void RpcNullMonitor::on_connected(ProbeId id, std::error_code ec) {
    if (!current(id) || !socket_) return;
    if (ec) return finish(id, network_failure(ec, target_));
    asio::async_write(*socket_, asio::buffer(call_),
                      guarded([this, id](std::error_code wec, std::size_t) { on_written(id, wec); }));
}

void RpcNullMonitor::on_written(ProbeId id, std::error_code ec) {
    if (!current(id) || !socket_) return;
    if (ec) return finish(id, network_failure(ec, target_));
    read_more(id);
}

void RpcNullMonitor::read_more(ProbeId id) {
    socket_->async_read_some(asio::buffer(buffer_),
                             guarded([this, id](std::error_code ec, std::size_t n) { on_read(id, ec, n); }));
}

void RpcNullMonitor::on_read(ProbeId id, std::error_code ec, std::size_t n) {
    if (!current(id) || !socket_) return;
    if (ec) return finish(id, network_failure(ec, target_));
    switch (reader_.feed(std::span(buffer_.data(), n))) {
        case rpc::RecordReader::State::need_more: return read_more(id);
        case rpc::RecordReader::State::too_large:
            return finish(id, ProbeResult::failed("bad-reply", target_ + ": reply record too large"));
        case rpc::RecordReader::State::complete:
            return finish(id, classify(rpc::parse_null_reply(reader_.record(), xid_), clock().now() - probe_started_));
    }
}

void RpcNullMonitor::finish(ProbeId id, ProbeResult result) {
    abort_probe();
    complete_probe(id, std::move(result));
}

}  // namespace gha
