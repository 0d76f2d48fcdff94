// Reader for ganesha-ha.conf. The file is a shell fragment in GlusterFS, so
// the accepted syntax is the subset of shell assignments that GlusterFS
// configurations use in practice; nothing is ever expanded or executed.
#include "service/config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <system_error>

#include "monitors/unique_fd.hpp"

namespace gha {

namespace {

constexpr std::size_t kMaxFileBytes = 1024 * 1024;
constexpr std::size_t kMaxLineLength = 4096;
// pcs limits cluster names to 15 characters; GlusterFS inherits that.
constexpr std::size_t kMaxHaNameLength = 15;
constexpr std::size_t kMaxHostNameLength = 253;
constexpr std::size_t kMaxHostLabelLength = 63;
// The kernel truncates comm to TASK_COMM_LEN - 1 characters; a longer name
// could never match /proc/<pid>/comm.
constexpr std::size_t kMaxCommLength = 15;
constexpr std::size_t kMaxDbusNameLength = 255;
// sizeof(sockaddr_un::sun_path) minus the terminating NUL.
constexpr std::size_t kMaxSocketPathLength = 107;
constexpr long long kMinEventLogSize = 16;
constexpr long long kMaxEventLogSize = 100000;
constexpr long long kMinRiseFall = 1;
constexpr long long kMaxRiseFall = 100;
constexpr Millis kMaxPeriod = std::chrono::hours{1};
constexpr std::string_view kMonitorPrefix = "HA_MONITOR_";
constexpr std::string_view kVipPrefix = "VIP_";
constexpr std::string_view kPeerAddrPrefix = "HA_PEER_ADDR_";
// Peer heartbeats carry a grace list of at most this many nodes.
constexpr std::size_t kMaxHeartbeatNodes = 64;
// Heartbeat datagram layout (monitors/heartbeat_codec.hpp): fixed header,
// MAC, and the largest datagram.
constexpr std::size_t kHeartbeatFixedBytes = 24 + 32;
constexpr std::size_t kHeartbeatMaxBytes = 1200;

// <cctype> is undefined for negative chars and locale dependent; the format
// is plain ASCII.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto pos = s.find(sep);
        parts.push_back(s.substr(0, pos));
        if (pos == std::string_view::npos) return parts;
        s.remove_prefix(pos + 1);
    }
}

// Whitespace separated words; runs of blanks count as one separator.
std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_blank(s[i])) ++i;
        const std::size_t start = i;
        while (i < s.size() && !is_blank(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

// Offending values end up in logs and terminals: escape control bytes and
// shorten very long values so one bad line cannot flood the output.
std::string quoted(std::string_view s) {
    constexpr std::size_t kMaxShown = 80;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += s[i];
        }
    }
    if (s.size() > kMaxShown) out += "...";
    out += "'";
    return out;
}

template <typename T>
std::optional<T> parse_integer(std::string_view s) {
    T value{};
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

bool is_valid_key(std::string_view key) {
    if (key.empty() || is_digit(key.front())) return false;
    return std::all_of(key.begin(), key.end(),
                       [](char c) { return is_alnum(c) || c == '_'; });
}

bool is_valid_ha_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxHaNameLength) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

// RFC 1123 host name: dot separated labels of letters, digits and '-'.
bool is_valid_host_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxHostNameLength) return false;
    for (const auto label : split(name, '.')) {
        if (label.empty() || label.size() > kMaxHostLabelLength) return false;
        if (label.front() == '-' || label.back() == '-') return false;
        if (!std::all_of(label.begin(), label.end(),
                         [](char c) { return is_alnum(c) || c == '-'; })) {
            return false;
        }
    }
    return true;
}

// D-Bus well-known bus name rules (the dbus specification, "Bus names").
bool is_valid_dbus_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxDbusNameLength) return false;
    const auto elements = split(name, '.');
    if (elements.size() < 2) return false;
    for (const auto element : elements) {
        if (element.empty() || is_digit(element.front())) return false;
        if (!std::all_of(element.begin(), element.end(),
                         [](char c) { return is_alnum(c) || c == '_' || c == '-'; })) {
            return false;
        }
    }
    return true;
}

bool is_ipv4(std::string_view text) {
    in_addr addr{};
    return inet_pton(AF_INET, std::string(text).c_str(), &addr) == 1;
}

bool is_ipv6(std::string_view text) {
    in6_addr addr{};
    return inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

// Binary form of an address, so that "::1" and "0::1" (or 10.0.0.1 and
// ::ffff:10.0.0.1) are recognised as the same VIP.
std::optional<std::string> canonical_address(std::string_view text) {
    const std::string s(text);
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        return std::string(reinterpret_cast<const char*>(&v4), sizeof v4);
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        return std::string(reinterpret_cast<const char*>(&v6) + 12, 4);
    }
    return std::string(reinterpret_cast<const char*>(&v6), sizeof v6);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) {
        return std::nullopt;
    }
    const auto port = parse_integer<unsigned long>(text);
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(*port);
}

// "a.b.c.d:port" or "[v6]:port". A bare IPv6 address is ambiguous with the
// port separator, hence the brackets.
std::optional<Endpoint> parse_endpoint(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() ||
            text[close + 1] != ':') {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (!is_ipv6(host)) return std::nullopt;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (!is_ipv4(host)) return std::nullopt;
    }
    const auto number = parse_port(port);
    if (!number) return std::nullopt;
    return Endpoint{std::string(host), *number};
}

std::optional<bool> parse_bool(std::string_view text) {
    const std::string v = lower(text);
    if (v == "yes" || v == "true" || v == "1") return true;
    if (v == "no" || v == "false" || v == "0") return false;
    return std::nullopt;
}

std::map<std::string, MonitorSettings> default_monitors() {
    MonitorSettings pid;
    // A vanished process is unambiguous, so one failed check is enough.
    pid.rise = 1;
    pid.fall = 1;
    MonitorSettings rpc_null;
    rpc_null.rise = 2;
    rpc_null.fall = 2;
    // ganesha sends a heartbeat every second (Heartbeat_Freq 1000): the
    // interval is that period, timeout how late one may be without counting
    // as missed, so a stuck server is unhealthy 3.5 s after its last
    // heartbeat; one heartbeat shows that the request queue moves again.
    MonitorSettings heartbeat;
    heartbeat.interval = Millis{1000};
    heartbeat.timeout = Millis{500};
    heartbeat.rise = 1;
    heartbeat.fall = 3;
    return {{"pid", pid}, {"rpc-null", rpc_null}, {"dbus-heartbeat", heartbeat}};
}

std::string short_host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return {};
    const std::string_view name(buf);  // buf stays NUL terminated
    return std::string(name.substr(0, name.find('.')));
}

// The parser state for one configuration text. Syntax and per-key checks run
// in file order, so the first problem in the file is the one reported;
// checks that need the whole file (VIPs, this node) run in finish().
class Parser {
public:
    Parser(const std::string& source, const ConfigOverrides& overrides)
        : source_(source), overrides_(overrides) {
        config_.source = source;
        config_.monitors = default_monitors();
    }

    Config parse(std::string_view text);

    struct Key {
        std::string_view name;  // ending in '_': a prefix (VIP_<node>)
        void (*set)(Parser& p, const std::string& key, const std::string& value, int line);
    };
    static const std::vector<Key>& keys();

private:
    struct Vip {
        std::string key;
        std::string value;
        int line;
    };
    using PeerAddr = Vip;

    [[noreturn]] void fail(int line, const std::string& message) const {
        throw ConfigError(source_, line, message);
    }
    void warn(int line, const std::string& message) {
        config_.warnings.push_back(source_ + ":" + std::to_string(line) + ": " + message);
    }

    void parse_line(std::string_view raw, int line);
    std::string parse_value(std::string_view key, std::string_view raw, int line) const;
    void assign(const std::string& key, const std::string& value, int line);

    void set_ha_name(const std::string& value, int line);
    void set_cluster_nodes(const std::string& value, int line);
    void set_node(const std::string& value, int line);
    void set_control_socket(const std::string& value, int line);
    void set_nfsd_pidfile(const std::string& value, int line);
    void set_nfsd_comm(const std::string& value, int line);
    void set_nfsd_address(const std::string& value, int line);
    void set_dbus_name(const std::string& value, int line);
    void set_nfsd_fence(const std::string& value, int line);
    void set_flag(const std::string& key, const std::string& value, bool& flag, int line);
    std::string absolute_path(const char* key, const std::string& value, int line);
    void set_event_log_size(const std::string& value, int line);
    void set_metrics_listen(const std::string& value, int line);
    void set_vol_mnt(const std::string& value, int line);
    void set_vip_nic(const std::string& value, int line);
    void set_vip_cidr_netmask(const std::string& value, int line);
    void check_cidr_netmask() const;
    void set_attribute_name(const std::string& key, const std::string& value,
                            std::string& out, int line);
    Millis bounded_duration(const std::string& key, const std::string& value,
                            Millis min, Millis max, int line) const;
    void set_monitor(const std::string& key, const std::string& value, int line);
    void set_monitor_option(const std::string& key, std::string_view name,
                            std::string_view value, MonitorSettings& settings,
                            int line) const;
    Millis parse_duration(const std::string& key, std::string_view name,
                          std::string_view value, int line) const;
    int parse_count(const std::string& key, std::string_view name,
                    std::string_view value, int line) const;

    void finish();
    void match_vips();
    void finish_heartbeat();
    void choose_node();
    std::string default_node() const;
    void check_control_socket(const std::string& field, const std::string& value,
                              int line) const;

    const std::string& source_;
    const ConfigOverrides& overrides_;
    Config config_;
    std::map<std::string, int> first_line_;            // key -> line it was set on
    std::map<std::string, std::string> node_by_key_;   // node_key(node) -> node
    std::vector<Vip> vips_;                            // in file order
    std::vector<PeerAddr> peer_addrs_;                 // in file order
    int heartbeat_address_line_ = 0;                   // HA_HEARTBEAT_ADDRESS
    int key_derive_line_ = 0;                          // HA_HEARTBEAT_KEY_DERIVE
    int cidr_netmask_line_ = 0;                        // HA_VIP_CIDR_NETMASK
    int ha_name_line_ = 0;
    int nodes_line_ = 0;
    int node_line_ = 0;  // HA_NODE
};

Config Parser::parse(std::string_view text) {
    // Checked here too (not only in load_config) so that line numbers stay
    // far below INT_MAX whatever the caller passes.
    if (text.size() > kMaxFileBytes) {
        fail(0, "file is larger than " + std::to_string(kMaxFileBytes) + " bytes");
    }
    int line = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        ++line;
        parse_line(text.substr(pos, end - pos), line);
        pos = end + 1;
    }
    finish();
    return std::move(config_);
}

void Parser::parse_line(std::string_view raw, int line) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);  // CRLF files
    if (raw.size() > kMaxLineLength) {
        fail(line, "line is longer than " + std::to_string(kMaxLineLength) +
                       " characters: " + quoted(raw));
    }
    if (raw.find('\0') != std::string_view::npos) {
        fail(line, "line contains a NUL byte: " + quoted(raw));
    }
    std::string_view text = trim(raw);
    if (text.empty() || text.front() == '#') return;
    constexpr std::string_view kExport = "export";
    if (text.starts_with(kExport) && text.size() > kExport.size() &&
        is_blank(text[kExport.size()])) {
        text = trim(text.substr(kExport.size()));
    }
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) {
        fail(line, "expected KEY=value, got " + quoted(text));
    }
    const std::string key(trim(text.substr(0, eq)));
    if (!is_valid_key(key)) {
        fail(line, "invalid key name " + quoted(key) +
                       " (must match [A-Za-z_][A-Za-z0-9_]*)");
    }
    const std::string value = parse_value(key, text.substr(eq + 1), line);
    if (const auto [it, inserted] = first_line_.emplace(key, line); !inserted) {
        fail(line, key + " set again (first at line " + std::to_string(it->second) + ")");
    }
    assign(key, value, line);
}

// raw is everything after '='. As in the shell, '#' starts a comment only at
// the start of a word, so "a#b" is a value but "a #b" is "a".
std::string Parser::parse_value(std::string_view key, std::string_view raw,
                                int line) const {
    std::size_t lead = 0;
    while (lead < raw.size() && is_blank(raw[lead])) ++lead;
    const std::string_view rest = raw.substr(lead);
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
        const char quote = rest.front();
        const auto close = rest.find(quote, 1);
        if (close == std::string_view::npos) {
            fail(line, std::string(key) + ": unterminated " + quote +
                           " quote in value " + quoted(rest));
        }
        const std::string_view after = rest.substr(close + 1);
        const std::string_view tail = trim(after);
        const bool comment = !tail.empty() && tail.front() == '#' && is_blank(after.front());
        if (!tail.empty() && !comment) {
            fail(line, std::string(key) + ": unexpected text " + quoted(tail) +
                           " after closing quote in " + quoted(rest));
        }
        return std::string(rest.substr(1, close - 1));
    }
    std::string_view value = raw;
    for (std::size_t i = 1; i < value.size(); ++i) {
        if (value[i] == '#' && is_blank(value[i - 1])) {
            value = value.substr(0, i);
            break;
        }
    }
    return std::string(trim(value));
}

// Every key ganesha-ha.conf may set and what reads it: the one list that the
// parser and config_keys() (the test that holds ganesha-ha.conf(5) to it)
// share. A name ending in '_' is a prefix that a node name completes.
const std::vector<Parser::Key>& Parser::keys() {
    using S = const std::string&;
    static const std::vector<Key> table = {
        {"HA_NAME", [](Parser& p, S, S value, int line) { p.set_ha_name(value, line); }},
        {"HA_CLUSTER_NODES", [](Parser& p, S, S value, int line) { p.set_cluster_nodes(value, line); }},
        // GlusterFS legacy (the shared-storage server); nothing to do here.
        {"HA_VOL_SERVER", [](Parser&, S, S, int) {}},
        {"HA_VOL_MNT", [](Parser& p, S, S value, int line) { p.set_vol_mnt(value, line); }},
        {"HA_GANESHA_CONF",
         [](Parser& p, S key, S value, int line) {
             p.config_.ganesha_conf = p.absolute_path(key.c_str(), value, line);
         }},
        {"HA_VIP_NIC", [](Parser& p, S, S value, int line) { p.set_vip_nic(value, line); }},
        {"HA_VIP_CIDR_NETMASK", [](Parser& p, S, S value, int line) { p.set_vip_cidr_netmask(value, line); }},
        {"HA_NODE", [](Parser& p, S, S value, int line) { p.set_node(value, line); }},
        {"HA_CONTROL_SOCKET", [](Parser& p, S, S value, int line) { p.set_control_socket(value, line); }},
        {"HA_CONTROL_GROUP", [](Parser& p, S, S value, int) { p.config_.control_group = value; }},
        {"HA_NFSD_PIDFILE", [](Parser& p, S, S value, int line) { p.set_nfsd_pidfile(value, line); }},
        {"HA_NFSD_COMM", [](Parser& p, S, S value, int line) { p.set_nfsd_comm(value, line); }},
        {"HA_NFSD_ADDRESS", [](Parser& p, S, S value, int line) { p.set_nfsd_address(value, line); }},
        {"HA_NFSD_FENCE", [](Parser& p, S, S value, int line) { p.set_nfsd_fence(value, line); }},
        {"HA_CLIENT_DROP", [](Parser& p, S key, S value, int line) { p.set_flag(key, value, p.config_.clients.drop, line); }},
        {"HA_CLIENT_TICKLE",
         [](Parser& p, S key, S value, int line) { p.set_flag(key, value, p.config_.clients.tickle, line); }},
        {"HA_NFT",
         [](Parser& p, S, S value, int line) {
             if (value.empty() || value.find_first_of(" \t") != std::string::npos)
                 p.fail(line, "HA_NFT: " + quoted(value) + " is not a program name or path");
             p.config_.clients.nft = value;
         }},
        {"HA_DBUS_NAME", [](Parser& p, S, S value, int line) { p.set_dbus_name(value, line); }},
        {"HA_EVENT_LOG_SIZE", [](Parser& p, S, S value, int line) { p.set_event_log_size(value, line); }},
        {"HA_METRICS_LISTEN", [](Parser& p, S, S value, int line) { p.set_metrics_listen(value, line); }},
        {"HA_GANESHA_ACTIVE_ATTR",
         [](Parser& p, S key, S value, int line) {
             p.set_attribute_name(key, value, p.config_.ganesha_active_attr, line);
         }},
        {"HA_GRACE_ACTIVE_ATTR",
         [](Parser& p, S key, S value, int line) {
             p.set_attribute_name(key, value, p.config_.grace_active_attr, line);
         }},
        {"HA_DRAINED_ATTR",
         [](Parser& p, S key, S value, int line) {
             p.set_attribute_name(key, value, p.config_.drained_attr, line);
         }},
        {"HA_GRACE_DELAY",
         [](Parser& p, S key, S value, int line) {
             p.config_.grace_delay = p.bounded_duration(key, value, Millis{0}, Millis{60000}, line);
         }},
        {"HA_ACTION_TIMEOUT",
         [](Parser& p, S key, S value, int line) {
             p.config_.action_timeout = p.bounded_duration(key, value, Millis{100}, Millis{120000}, line);
         }},
        {"HA_ACTION_ATTEMPTS",
         [](Parser& p, S key, S value, int line) {
             p.config_.action_attempts = p.parse_count(key, "value", value, line);
         }},
        {"HA_MONITOR_PID", [](Parser& p, S key, S value, int line) { p.set_monitor(key, value, line); }},
        {"HA_MONITOR_RPC_NULL", [](Parser& p, S key, S value, int line) { p.set_monitor(key, value, line); }},
        {"HA_MONITOR_DBUS_HEARTBEAT",
         [](Parser& p, S key, S value, int line) { p.set_monitor(key, value, line); }},
        {"HA_MONITOR_PEER", [](Parser& p, S key, S value, int line) { p.set_monitor(key, value, line); }},
        {"HA_HEARTBEAT_KEY",
         [](Parser& p, S, S value, int line) {
             if (!value.empty() && value.front() != '/')
                 p.fail(line, "HA_HEARTBEAT_KEY: " + quoted(value) + " is not an absolute path");
             p.config_.heartbeat.key_file = value;
         }},
        {"HA_HEARTBEAT_KEY_DERIVE",
         [](Parser& p, S key, S value, int line) {
             p.set_flag(key, value, p.config_.heartbeat.key_derived, line);
             p.key_derive_line_ = line;
         }},
        {"HA_HEARTBEAT_ADDRESS",
         [](Parser& p, S, S value, int line) {
             if (!canonical_address(value))
                 p.fail(line, "HA_HEARTBEAT_ADDRESS: " + quoted(value) +
                                  " is not an IPv4 or IPv6 address (0.0.0.0 or :: for every interface)");
             p.config_.heartbeat.address = value;
             p.heartbeat_address_line_ = line;
         }},
        {"HA_HEARTBEAT_PORT",
         [](Parser& p, S, S value, int line) {
             const auto port = parse_port(value);
             if (!port) p.fail(line, "HA_HEARTBEAT_PORT: " + quoted(value) + " is not a port number 1..65535");
             p.config_.heartbeat.port = *port;
         }},
        // Prefixes: matched against HA_CLUSTER_NODES in finish(), as the
        // nodes may come later in the file.
        {kPeerAddrPrefix, [](Parser& p, S key, S value, int line) { p.peer_addrs_.push_back({key, value, line}); }},
        {kVipPrefix, [](Parser& p, S key, S value, int line) { p.vips_.push_back({key, value, line}); }},
    };
    return table;
}

void Parser::assign(const std::string& key, const std::string& value, int line) {
    for (const Key& k : keys()) {
        if (k.name.ends_with('_') ? key.starts_with(k.name) : key == k.name) {
            k.set(*this, key, value, line);
            return;
        }
    }
    if (key.starts_with(kMonitorPrefix)) {
        set_monitor(key, value, line);  // fails, naming the monitors there are
        return;
    }
    // A typo in an optional key must not stop the cluster, but it should
    // not go unnoticed either.
    warn(line, "unknown key " + key + " ignored");
}

void Parser::set_ha_name(const std::string& value, int line) {
    if (!is_valid_ha_name(value)) {
        fail(line, "HA_NAME: " + quoted(value) + " must be 1 to " +
                       std::to_string(kMaxHaNameLength) +
                       " characters of letters, digits, '_' and '-'");
    }
    config_.ha_name = value;
    ha_name_line_ = line;
}

void Parser::set_cluster_nodes(const std::string& value, int line) {
    if (trim(value).empty()) fail(line, "HA_CLUSTER_NODES: no nodes in " + quoted(value));
    std::set<std::string> seen;  // lower case: host names ignore case
    for (const auto item : split(value, ',')) {
        const std::string node(trim(item));
        if (node.empty()) {
            fail(line, "HA_CLUSTER_NODES: empty node name in " + quoted(value));
        }
        if (!is_valid_host_name(node)) {
            fail(line, "HA_CLUSTER_NODES: " + quoted(node) + " is not a valid host name");
        }
        if (!seen.insert(lower(node)).second) {
            fail(line, "HA_CLUSTER_NODES: node " + quoted(node) + " is listed twice");
        }
        // "a-b" and "a.b" would both need VIP_a_b.
        const auto [it, inserted] = node_by_key_.emplace(node_key(node), node);
        if (!inserted) {
            fail(line, "HA_CLUSTER_NODES: nodes " + quoted(it->second) + " and " +
                           quoted(node) + " would share " + std::string(kVipPrefix) +
                           it->first);
        }
        config_.cluster_nodes.push_back(node);
    }
    nodes_line_ = line;
}

void Parser::set_node(const std::string& value, int line) {
    if (!is_valid_host_name(value)) {
        fail(line, "HA_NODE: " + quoted(value) + " is not a valid host name");
    }
    config_.node = value;
    node_line_ = line;
}

void Parser::check_control_socket(const std::string& field, const std::string& value,
                                  int line) const {
    if (value.empty() || value.front() != '/') {
        fail(line, field + ": " + quoted(value) + " is not an absolute path");
    }
    if (value.size() > kMaxSocketPathLength) {
        fail(line, field + ": " + quoted(value) + " is longer than " +
                       std::to_string(kMaxSocketPathLength) +
                       " characters, the limit for a unix socket path");
    }
}

void Parser::set_control_socket(const std::string& value, int line) {
    check_control_socket("HA_CONTROL_SOCKET", value, line);
    config_.control_socket = value;
}

// Empty keeps the default: try default_pidfiles() in order.
void Parser::set_nfsd_pidfile(const std::string& value, int line) {
    if (!value.empty() && value.front() != '/') {
        fail(line, "HA_NFSD_PIDFILE: " + quoted(value) + " is not an absolute path");
    }
    config_.nfsd_pidfile = value;
}

void Parser::set_nfsd_comm(const std::string& value, int line) {
    if (value.empty() || value.size() > kMaxCommLength) {
        fail(line, "HA_NFSD_COMM: " + quoted(value) + " must be 1 to " +
                       std::to_string(kMaxCommLength) +
                       " characters (the kernel's process name limit)");
    }
    config_.nfsd_comm = value;
}

void Parser::set_nfsd_address(const std::string& value, int line) {
    const auto endpoint = parse_endpoint(value);
    if (!endpoint) {
        fail(line, "HA_NFSD_ADDRESS: " + quoted(value) +
                       " is not IPv4:port or [IPv6]:port with port 1..65535");
    }
    config_.nfsd_address = *endpoint;
}

void Parser::set_dbus_name(const std::string& value, int line) {
    if (!is_valid_dbus_name(value)) {
        fail(line, "HA_DBUS_NAME: " + quoted(value) + " is not a valid D-Bus name");
    }
    config_.dbus_name = value;
}

void Parser::set_flag(const std::string& key, const std::string& value, bool& flag, int line) {
    const auto on = parse_bool(value);
    if (!on) fail(line, key + ": " + quoted(value) + " is not yes, no, true, false, 1 or 0");
    flag = *on;
}

void Parser::set_nfsd_fence(const std::string& value, int line) {
    const auto mode = parse_fence_mode(value);
    if (!mode) fail(line, "HA_NFSD_FENCE: " + quoted(value) + " must be kill or none");
    config_.fence.mode = *mode;
}

void Parser::set_event_log_size(const std::string& value, int line) {
    const auto size = parse_integer<long long>(value);
    if (!size || *size < kMinEventLogSize || *size > kMaxEventLogSize) {
        fail(line, "HA_EVENT_LOG_SIZE: " + quoted(value) + " is not an integer from " +
                       std::to_string(kMinEventLogSize) + " to " +
                       std::to_string(kMaxEventLogSize));
    }
    config_.event_log_size = static_cast<std::size_t>(*size);
}

// "off" disables the exporter; otherwise an IP literal and a port, like
// HA_NFSD_ADDRESS (no name lookups at start-up).
void Parser::set_metrics_listen(const std::string& value, int line) {
    if (lower(value) == "off") {
        config_.metrics_listen.reset();
        return;
    }
    const auto endpoint = parse_endpoint(value);
    if (!endpoint) {
        fail(line, "HA_METRICS_LISTEN: " + quoted(value) +
                       " is not off, IPv4:port or [IPv6]:port with port 1..65535");
    }
    if (endpoint->port == 9587) {
        fail(line, "HA_METRICS_LISTEN: port 9587 belongs to ganesha.nfsd's own exporter");
    }
    config_.metrics_listen = *endpoint;
}

std::string Parser::absolute_path(const char* key, const std::string& value, int line) {
    const bool valid = !value.empty() && value.front() == '/' &&
                       std::none_of(value.begin(), value.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    if (!valid) fail(line, std::string(key) + ": " + quoted(value) + " is not an absolute path");
    return value;
}

void Parser::set_vol_mnt(const std::string& value, int line) {
    config_.layout.ha_vol_mnt = absolute_path("HA_VOL_MNT", value, line);
}

// What IPaddr2 accepts as nic (the kernel's IFNAMSIZ - 1, plus the ':label'
// and '@parent' forms).
void Parser::set_vip_nic(const std::string& value, int line) {
    const bool valid = !value.empty() && value.size() <= 15 && value != "." && value != ".." &&
                       std::all_of(value.begin(), value.end(), [](char c) {
                           return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
                       });
    if (!valid)
        fail(line, "HA_VIP_NIC: " + quoted(value) +
                       " is not an interface name (1 to 15 of letters, digits, -_.:@)");
    config_.layout.nic = value;
}

// Checked against the VIPs' families in finish(), once they are all known.
void Parser::set_vip_cidr_netmask(const std::string& value, int line) {
    const auto n = parse_integer<int>(value);
    if (!n || *n < 1 || *n > 128)
        fail(line, "HA_VIP_CIDR_NETMASK: " + quoted(value) +
                       " is not a prefix length (1..32 for IPv4, 1..128 for IPv6)");
    config_.layout.cidr_netmask = *n;
    cidr_netmask_line_ = line;
}

void Parser::check_cidr_netmask() const {
    const auto& netmask = config_.layout.cidr_netmask;
    if (!netmask || *netmask <= 32) return;
    for (const auto& node : config_.cluster_nodes) {
        const std::string& vip = config_.vips.at(node);
        if (is_ipv4(vip))
            fail(cidr_netmask_line_, "HA_VIP_CIDR_NETMASK: " + std::to_string(*netmask) +
                                         " does not fit the IPv4 VIP of " + node + " (" + vip + "): 1..32");
    }
}

void Parser::set_monitor(const std::string& key, const std::string& value, int line) {
    const std::string_view suffix = std::string_view(key).substr(kMonitorPrefix.size());
    std::string name;
    if (suffix == "PID") {
        name = "pid";
    } else if (suffix == "RPC_NULL") {
        name = "rpc-null";
    } else if (suffix == "DBUS_HEARTBEAT") {
        name = "dbus-heartbeat";
    } else if (suffix == "PEER") {
        name = "peer";  // the heartbeats: not in config_.monitors
    } else {
        fail(line, key + ": unknown monitor " + quoted(suffix) +
                       " (known: HA_MONITOR_PID, HA_MONITOR_RPC_NULL, HA_MONITOR_DBUS_HEARTBEAT, HA_MONITOR_PEER)");
    }
    // Work on a copy so that the settings are only changed when all is well.
    MonitorSettings settings = name == "peer" ? config_.heartbeat.settings : config_.monitors.at(name);
    std::set<std::string_view> given;
    for (const auto word : words(value)) {
        const auto eq = word.find('=');
        if (eq == std::string_view::npos) {
            fail(line, key + ": " + quoted(word) + " is not name=value");
        }
        const auto option = word.substr(0, eq);
        if (!given.insert(option).second) {
            fail(line, key + ": monitor option " + quoted(option) + " given twice");
        }
        if (name == "peer" && (option == "timeout" || option == "jitter"))
            fail(line, key + ": " + quoted(option) +
                           " does not apply to peer heartbeats (interval, rise, fall, enabled)");
        // It listens, it does not probe: there is nothing to spread out.
        if (name == "dbus-heartbeat" && option == "jitter")
            fail(line, key + ": " + quoted(option) +
                           " does not apply to dbus-heartbeat (interval, timeout, rise, fall, enabled)");
        set_monitor_option(key, option, word.substr(eq + 1), settings, line);
    }
    // Probes are never more than interval + jitter apart only if the jitter
    // is a fraction of the interval.
    if (settings.jitter > settings.interval) {
        fail(line, key + ": jitter " + std::to_string(settings.jitter.count()) +
                       "ms exceeds interval " +
                       std::to_string(settings.interval.count()) + "ms");
    }
    // A heartbeat later than interval + timeout is missed: unless given,
    // timeout is half the interval (500ms at the default 1s). Beyond the
    // interval, detection_bound() would overstate the real bound.
    if (name == "dbus-heartbeat" && !given.count("timeout")) settings.timeout = settings.interval / 2;
    if (name == "dbus-heartbeat" && settings.timeout > settings.interval) {
        fail(line, key + ": timeout " + std::to_string(settings.timeout.count()) +
                       "ms exceeds interval " + std::to_string(settings.interval.count()) +
                       "ms (timeout is how late a heartbeat may be)");
    }
    if (name == "peer") {
        settings.timeout = settings.interval;  // unused; keeps the struct consistent
        config_.heartbeat.settings = settings;
        return;
    }
    config_.monitors[name] = settings;
}

void Parser::set_monitor_option(const std::string& key, std::string_view name,
                                std::string_view value, MonitorSettings& settings,
                                int line) const {
    const std::string shown = key + ": " + std::string(name);
    if (name == "interval" || name == "timeout") {
        const Millis d = parse_duration(key, name, value, line);
        if (d <= Millis{0}) {
            fail(line, shown + " must be positive, got " + quoted(value));
        }
        if (d > kMaxPeriod) {
            fail(line, shown + " must be at most 1 hour, got " + quoted(value));
        }
        (name == "interval" ? settings.interval : settings.timeout) = d;
    } else if (name == "jitter") {
        const Millis d = parse_duration(key, name, value, line);
        if (d < Millis{0}) {
            fail(line, shown + " must not be negative, got " + quoted(value));
        }
        settings.jitter = d;  // bounded by the interval in set_monitor()
    } else if (name == "rise") {
        settings.rise = parse_count(key, name, value, line);
    } else if (name == "fall") {
        settings.fall = parse_count(key, name, value, line);
    } else if (name == "enabled") {
        const auto enabled = parse_bool(value);
        if (!enabled) {
            fail(line, shown + ": " + quoted(value) +
                           " is not yes, no, true, false, 1 or 0");
        }
        settings.enabled = *enabled;
    } else {
        fail(line, key + ": unknown monitor option " + quoted(name));
    }
}

// An integer with a unit; the unit is required because a bare "5" is as
// likely meant as seconds as milliseconds.
Millis Parser::parse_duration(const std::string& key, std::string_view name,
                              std::string_view value, int line) const {
    const std::string shown = key + ": " + std::string(name) + " " + quoted(value);
    std::string_view number = value;
    Millis::rep scale = 1;
    if (number.ends_with("ms")) {
        number.remove_suffix(2);
    } else if (number.ends_with("s")) {
        number.remove_suffix(1);
        scale = 1000;
    } else {
        fail(line, shown + " needs a unit (ms or s), e.g. 500ms or 2s");
    }
    const auto n = parse_integer<Millis::rep>(number);
    if (!n) fail(line, shown + " is not a whole number of ms or s");
    constexpr auto kMax = std::numeric_limits<Millis::rep>::max();
    constexpr auto kMin = std::numeric_limits<Millis::rep>::min();
    if (*n > kMax / scale || *n < kMin / scale) fail(line, shown + " is out of range");
    return Millis{*n * scale};
}

Millis Parser::bounded_duration(const std::string& key, const std::string& value, Millis min,
                                Millis max, int line) const {
    const Millis d = parse_duration(key, "value", value, line);
    if (d < min || d > max)
        fail(line, key + ": " + quoted(value) + " must be from " + std::to_string(min.count()) +
                       "ms to " + std::to_string(max.count()) + "ms");
    return d;
}

// Pacemaker attribute names: keep to what crm_attribute and the CIB accept
// without quoting trouble.
void Parser::set_attribute_name(const std::string& key, const std::string& value,
                                std::string& out, int line) {
    const bool valid = !value.empty() && value.size() <= 64 && is_alpha(value.front()) &&
                       std::all_of(value.begin(), value.end(),
                                   [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
    if (!valid)
        fail(line, key + ": " + quoted(value) +
                       " is not a valid attribute name (a letter, then letters, digits, '-', '_', '.')");
    out = value;
}

int Parser::parse_count(const std::string& key, std::string_view name,
                        std::string_view value, int line) const {
    const auto n = parse_integer<long long>(value);
    if (!n || *n < kMinRiseFall || *n > kMaxRiseFall) {
        fail(line, key + ": " + std::string(name) + " " + quoted(value) +
                       " is not an integer from " + std::to_string(kMinRiseFall) +
                       " to " + std::to_string(kMaxRiseFall));
    }
    return static_cast<int>(*n);
}

void Parser::finish() {
    if (ha_name_line_ == 0) fail(0, "HA_NAME is not set");
    if (nodes_line_ == 0) fail(0, "HA_CLUSTER_NODES is not set");
    match_vips();
    check_cidr_netmask();
    if (overrides_.control_socket) {
        check_control_socket("--socket", *overrides_.control_socket, 0);
        config_.control_socket = *overrides_.control_socket;
    }
    choose_node();
    finish_heartbeat();
    // The fence is a pipeline step like the others: the same bounds.
    config_.fence.timeout = config_.action_timeout;
    config_.fence.attempts = config_.action_attempts;
}

void Parser::finish_heartbeat() {
    auto& hb = config_.heartbeat;
    if (hb.key_derived && hb.key_file.empty())
        warn(key_derive_line_, "HA_HEARTBEAT_KEY_DERIVE=yes without HA_HEARTBEAT_KEY: heartbeats stay off "
                               "(set HA_HEARTBEAT_KEY=/etc/corosync/authkey)");
    for (const auto& entry : peer_addrs_) {
        const auto node = node_by_key_.find(entry.key.substr(kPeerAddrPrefix.size()));
        if (node == node_by_key_.end()) {
            warn(entry.line, entry.key + ": no such node in HA_CLUSTER_NODES");
            continue;
        }
        // Literals only: start-up must not wait on DNS. A node without one
        // is looked up by name, asynchronously, by the daemon.
        if (!canonical_address(entry.value))
            fail(entry.line, entry.key + ": " + quoted(entry.value) + " is not an IPv4 or IPv6 address");
        hb.peer_addresses[node->second] = entry.value;
    }
    if (heartbeat_address_line_ == 0) {
        const auto own = hb.peer_addresses.find(config_.node);
        if (own != hb.peer_addresses.end()) hb.address = own->second;
    }
    // An IPv4 socket cannot send to an IPv6 peer (an IPv6 one reaches both).
    if (is_ipv4(hb.address)) {
        for (const auto& entry : peer_addrs_) {
            const auto address = canonical_address(entry.value);
            if (address && address->size() != 4)
                fail(entry.line, entry.key + ": IPv6 address " + quoted(entry.value) +
                                     " cannot be reached from the IPv4 heartbeat address " + quoted(hb.address) +
                                     " (set HA_HEARTBEAT_ADDRESS=:: to use both)");
        }
    }
    if (!hb.enabled()) return;
    if (config_.cluster_nodes.size() > kMaxHeartbeatNodes + 1)
        fail(nodes_line_, "HA_CLUSTER_NODES: peer heartbeats support at most " +
                              std::to_string(kMaxHeartbeatNodes + 1) + " nodes, got " +
                              std::to_string(config_.cluster_nodes.size()));
    // The largest datagram: this node holding grace for every other one.
    std::size_t worst = kHeartbeatFixedBytes + 1 + config_.ha_name.size() + 1 + config_.node.size();
    for (const auto& node : config_.cluster_nodes)
        if (node != config_.node) worst += 1 + node.size();
    if (worst > kHeartbeatMaxBytes)
        warn(nodes_line_, "node names too long for one heartbeat datagram when this node holds grace for all "
                          "others (" + std::to_string(worst) + " > " + std::to_string(kHeartbeatMaxBytes) +
                          " bytes): entries that do not fit are left out and those peers wait HA_GRACE_DELAY");
}

void Parser::match_vips() {
    std::map<std::string, std::string> key_by_address;  // canonical -> VIP_ key
    for (const auto& vip : vips_) {
        const auto node = node_by_key_.find(vip.key.substr(kVipPrefix.size()));
        if (node == node_by_key_.end()) {
            warn(vip.line, vip.key + ": no such node in HA_CLUSTER_NODES");
            continue;
        }
        const auto address = canonical_address(vip.value);
        if (!address) {
            fail(vip.line, vip.key + ": " + quoted(vip.value) +
                               " is not an IPv4 or IPv6 address");
        }
        // Two nodes holding one address would fight over it.
        const auto [used, inserted] = key_by_address.emplace(*address, vip.key);
        if (!inserted) {
            fail(vip.line, vip.key + ": address " + vip.value + " already used by " +
                               used->second);
        }
        config_.vips[node->second] = vip.value;
    }
    for (const auto& node : config_.cluster_nodes) {
        if (!config_.vips.contains(node)) {
            fail(nodes_line_, "node " + quoted(node) + " in HA_CLUSTER_NODES has no " +
                                  std::string(kVipPrefix) + node_key(node));
        }
    }
}

// gethostname() may give "node-1" while HA_CLUSTER_NODES lists
// "node-1.example.com" (or the other way round); accept the listed spelling
// when it is unambiguous instead of making every FQDN cluster set HA_NODE.
std::string Parser::default_node() const {
    const auto& nodes = config_.cluster_nodes;
    const std::string short_name = short_host_name();
    const auto listed = [&](const std::string& n) {
        return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
    };
    if (short_name.empty() || listed(short_name)) return short_name;
    std::vector<std::string> matches;
    for (const auto& node : nodes) {
        if (std::string_view(node).substr(0, node.find('.')) == short_name) {
            matches.push_back(node);
        }
    }
    return matches.size() == 1 ? matches.front() : short_name;
}

void Parser::choose_node() {
    int line = nodes_line_;
    if (overrides_.node) {
        config_.node = *overrides_.node;
    } else if (node_line_ != 0) {
        line = node_line_;  // config_.node already holds HA_NODE
    } else {
        config_.node = default_node();
    }
    if (overrides_.any_node) return;
    const auto& nodes = config_.cluster_nodes;
    if (std::find(nodes.begin(), nodes.end(), config_.node) == nodes.end()) {
        fail(line, "this node " + quoted(config_.node) +
                       " is not in HA_CLUSTER_NODES (set HA_NODE or --node)");
    }
}

std::string format_error(const std::string& file, int line, const std::string& message) {
    if (line == 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ": " + message;
}

[[noreturn]] void fail_read(const std::string& path, int error) {
    throw ConfigError(path, 0,
                      "cannot read: " + std::error_code(error, std::generic_category()).message());
}

// Reads at most one byte more than the limit, so that a huge file (or
// /dev/zero) is rejected without being read whole.
std::string read_config_file(const std::string& path) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail_read(path, errno);
    std::string text;
    char buf[65536];
    while (text.size() <= kMaxFileBytes) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_read(path, errno);
        }
        if (n == 0) return text;
        text.append(buf, static_cast<std::size_t>(n));
    }
    throw ConfigError(path, 0, "file is larger than " + std::to_string(kMaxFileBytes) + " bytes");
}

}  // namespace

ConfigError::ConfigError(const std::string& file, int line, const std::string& message)
    : std::runtime_error(format_error(file, line, message)),
      file_(file),
      line_(line),
      message_(message) {}

std::string node_key(std::string_view node) {
    std::string key(node);
    std::replace_if(key.begin(), key.end(), [](char c) { return c == '-' || c == '.'; }, '_');
    return key;
}

const std::vector<std::string>& default_pidfiles() {
    static const std::vector<std::string> paths = {
        "/var/run/ganesha/ganesha.pid",
        "/var/run/ganesha.pid",
        "/var/run/ganesha.nfsd.pid",
    };
    return paths;
}

const std::vector<std::string_view>& config_keys() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> out;
        for (const auto& key : Parser::keys()) out.push_back(key.name);
        return out;
    }();
    return names;
}

Config parse_config(std::string_view text, const std::string& source,
                    const ConfigOverrides& overrides) {
    return Parser(source, overrides).parse(text);
}

Config load_config(const std::string& path, const ConfigOverrides& overrides) {
    return parse_config(read_config_file(path), path, overrides);
}

}  // namespace gha
