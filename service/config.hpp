// Configuration of ganesha-had: the GlusterFS ganesha-ha.conf format (HA_NAME,
// HA_CLUSTER_NODES, VIP_<node>) read unchanged, plus HA_* extension keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "actions/client_steering_settings.hpp"
#include "actions/fence_settings.hpp"
#include "monitors/endpoint.hpp"
#include "monitors/monitor_settings.hpp"

namespace gha {

// Peer heartbeats (monitors/peer_heartbeats.hpp). Off unless a key file is
// configured: without a shared secret nothing a peer says can be trusted.
struct HeartbeatConfig {
    std::string key_file;  // HA_HEARTBEAT_KEY (absolute path); "" = heartbeats off
    // HA_HEARTBEAT_KEY_DERIVE: key_file is a secret to derive the key from
    // (corosync's authkey, which pcs already put on every node), not the key.
    bool key_derived = false;
    // HA_HEARTBEAT_ADDRESS: the address to bind. Unset: this node's
    // HA_PEER_ADDR_<node> if given (so one file serves every node), else 0.0.0.0.
    std::string address = "0.0.0.0";
    std::uint16_t port = kDefaultHeartbeatPort;         // HA_HEARTBEAT_PORT, the same on every node
    std::map<std::string, std::string> peer_addresses;  // node -> IP literal (HA_PEER_ADDR_<node>)
    // HA_MONITOR_PEER: interval, rise, fall, enabled (no timeout or jitter:
    // a peer is silent for fall x interval before it is unhealthy).
    MonitorSettings settings{true, Millis{500}, Millis{500}, Millis{0}, 2, 4};
    bool enabled() const { return !key_file.empty() && settings.enabled; }
    bool operator==(const HeartbeatConfig&) const = default;
};

inline constexpr std::uint16_t kDefaultMetricsPort = 10587;

inline constexpr std::string_view kDefaultGaneshaConf = "/etc/ganesha/ganesha.conf";

// GlusterFS's default for HA_VOL_MNT (its shared storage volume).
inline constexpr std::string_view kDefaultVolMnt = "/var/run/gluster/shared_storage";

// Keys only the cluster layout (ganesha-hactl cluster) uses. They are read
// and checked here all the same, so ganesha-had knows them (no "unknown key"
// warning) and --check-config finds a bad value before a setup does.
struct LayoutOptions {
    std::optional<int> cidr_netmask;         // HA_VIP_CIDR_NETMASK; default 32 (IPv4), 128 (IPv6)
    std::string nic;                         // HA_VIP_NIC; "" lets IPaddr2 find the interface
    std::string ha_vol_mnt{kDefaultVolMnt};  // HA_VOL_MNT (GlusterFS), ganesha_nfsd's ha_vol_mnt
    bool operator==(const LayoutOptions&) const = default;
};

struct Config {
    std::string source;  // path the configuration was read from
    std::string ha_name;
    std::vector<std::string> cluster_nodes;   // in HA_CLUSTER_NODES order
    std::map<std::string, std::string> vips;  // node name -> VIP address
    std::string node;                         // this node
    std::string control_socket = "/run/ganesha-ha/hactl.sock";
    std::string control_group;  // group allowed to run changing commands
    std::string nfsd_pidfile;   // empty: the first existing default path
    std::string nfsd_comm = "ganesha.nfsd";
    Endpoint nfsd_address{"127.0.0.1", 2049};
    std::string dbus_name = "org.ganesha.nfsd";
    // HA_GANESHA_CONF: the ganesha.conf ganesha.nfsd reads here. The daemon
    // takes its NFSv4 Server_Scope from it (compared with the peers'); the
    // cluster layout passes it to the ganesha_nfsd agent, which checks it.
    std::string ganesha_conf{kDefaultGaneshaConf};
    std::size_t event_log_size = 1000;
    // Prometheus /metrics (HA_METRICS_LISTEN); nullopt: "off". 10587 is
    // ganesha's own exporter port (9587, which we must not take) + 1000, and
    // outside the exporters' 9100-9999 range, which is fully allocated.
    std::optional<Endpoint> metrics_listen = Endpoint{"127.0.0.1", kDefaultMetricsPort};
    // Actions (GlusterFS ganesha_mon's parameters keep their names and defaults).
    std::string ganesha_active_attr = "ganesha-active";
    std::string grace_active_attr = "grace-active";
    // Permanent node attribute (the CIB's <nodes>) of an operator's drain:
    // `ganesha-hactl cluster drain NODE` sets it, each daemon watches its own.
    std::string drained_attr = "ganesha-drained";
    Millis grace_delay{5000};     // upper bound on waiting for the survivors' grace
    Millis action_timeout{5000};  // per step attempt (attrd_updater, cibadmin, D-Bus)
    int action_attempts = 3;      // tries per step
    // HA_NFSD_FENCE; its timeout and attempts are HA_ACTION_TIMEOUT/ATTEMPTS.
    FenceSettings fence;
    // HA_CLIENT_DROP, HA_CLIENT_TICKLE, HA_NFT: steering NFS clients across a VIP move.
    ClientSteeringSettings clients;
    // Keyed by monitor name: "pid", "rpc-null".
    std::map<std::string, MonitorSettings> monitors;
    HeartbeatConfig heartbeat;
    LayoutOptions layout;
    // "file:line: ..." for keys that were ignored.
    std::vector<std::string> warnings;
};

// Command-line values that win over the file.
struct ConfigOverrides {
    std::optional<std::string> node;
    std::optional<std::string> control_socket;
    // Cluster-wide tools (ganesha-hactl cluster ...) read the file on any
    // machine: skip the check that this node is in HA_CLUSTER_NODES.
    bool any_node = false;
};

// Thrown only at the configuration boundary. what() is "file:line: message"
// (line 0 is left out when the problem is not on one line).
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::string& file, int line, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    const std::string& message() const { return message_; }

private:
    std::string file_;
    int line_;
    std::string message_;
};

// GlusterFS spelling of a node name inside a key: '-' and '.' become '_'.
std::string node_key(std::string_view node);

// Default pid files, in the order they are tried.
const std::vector<std::string>& default_pidfiles();

Config parse_config(std::string_view text, const std::string& source,
                    const ConfigOverrides& overrides);
// Every key parse_config() reads, in its table's order; a name ending in '_'
// is a prefix completed by a node name (VIP_<node>, HA_PEER_ADDR_<node>).
const std::vector<std::string_view>& config_keys();
Config load_config(const std::string& path, const ConfigOverrides& overrides);

}  // namespace gha
