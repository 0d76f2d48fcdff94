// ONC-RPC NULL probe of NFSv4 over a fresh TCP connection per probe. A stopped
// ganesha.nfsd still accepts connections: only the reply deadline (the
// session's timeout) catches it.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <optional>

#include "monitors/endpoint.hpp"
#include "monitors/monitor_session.hpp"
#include "monitors/rpc_codec.hpp"

namespace gha {

class RpcNullMonitor final : public MonitorSession {
public:
    // version: NFS 4 in production; tests ask for others to see PROG_MISMATCH.
    RpcNullMonitor(asio::io_context& io, Clock& clock, const MonitorSettings& settings,
                   Endpoint target, Listener listener, std::uint32_t version = rpc::kNfsVersion);

private:
    void start_probe(ProbeId id) override;
    void abort_probe() override;
    void on_stop() override { abort_probe(); }

    void on_connected(ProbeId id, std::error_code ec);
    void on_written(ProbeId id, std::error_code ec);
    void read_more(ProbeId id);
    void on_read(ProbeId id, std::error_code ec, std::size_t n);
    void finish(ProbeId id, ProbeResult result);

    asio::io_context& io_;
    asio::ip::tcp::endpoint endpoint_;
    std::string target_;
    std::optional<asio::ip::tcp::socket> socket_;
    std::vector<std::uint8_t> call_;
    std::array<std::uint8_t, 512> buffer_{};
    rpc::RecordReader reader_;
    std::uint32_t xid_;
    std::uint32_t version_;
    TimePoint probe_started_{};
};

}  // namespace gha
