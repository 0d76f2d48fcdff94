#include "ctl/cluster_command.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "ctl/run_command.hpp"
#include "ctl/text_table.hpp"
#include "ganesha_conf/check.hpp"

namespace gha::cluster {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kNoCluster = 102;  // CRM_EX_DISCONNECT
constexpr int kOldData = 103;    // CRM_EX_OLD: the CIB changed since we read it
constexpr int kDigest = 104;     // CRM_EX_DIGEST
constexpr int kApplyAttempts = 5;
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

constexpr const char* kHelp = R"(usage: ganesha-hactl cluster [--config PATH] [--json] [--wait SECONDS] SUBCOMMAND [ARGS]

Subcommands (ganesha-ha.conf: --config, default /etc/ganesha/ganesha-ha.conf):
  show-cib               print the CIB layout (resources, constraints, properties) setup applies
  setup                  check this node's ganesha.conf (--ganesha-conf PATH, default HA_GANESHA_CONF or
                         /etc/ganesha/ganesha.conf; see `ganesha-hactl ganesha-conf check`) and refuse when
                         clients would lose their state on failover; then apply the layout to the running
                         cluster (idempotent), set no-quorum-policy, wait until every resource is placed
  teardown               remove exactly what setup created (the objects listed in tag ganesha-ha)
  add NODE VIP           add a node and its VIP to the layout and to ganesha-ha.conf (with a .bak)
  delete NODE            remove a node and its VIP from the layout and from ganesha-ha.conf
  status                 nodes, ganesha health, where each VIP runs, and a verdict (--json too)
  refresh-config [--ganesha-conf PATH] EXPORT_ID
                         re-read export EXPORT_ID from ganesha.conf (default HA_GANESHA_CONF or
                         /etc/ganesha/ganesha.conf)
                         in the LOCAL ganesha.nfsd (D-Bus UpdateExport); run it on every node

Options:
  --wait SECONDS   bound on waiting for placement after setup/add/delete/teardown (default 120; 0: no wait)
  --ganesha-conf PATH
                   this node's ganesha.conf, for setup's check and refresh-config (default: HA_GANESHA_CONF
                   from ganesha-ha.conf, else /etc/ganesha/ganesha.conf; the ganesha_nfsd agents get
                   HA_GANESHA_CONF as their ganesha_conf)

Layout keys read from ganesha-ha.conf besides the GlusterFS ones: HA_VIP_CIDR_NETMASK (default 32,
128 for IPv6 VIPs), HA_VIP_NIC (default: IPaddr2 finds it), HA_VOL_MNT (ganesha_nfsd's ha_vol_mnt,
default /var/run/gluster/shared_storage).

Exit codes: 0 success (status: HEALTHY), 1 failure or refusal, 2 usage, 4 no cluster running here,
6 invalid ganesha-ha.conf or arguments, or (setup) a ganesha.conf that fails the check, 8 status FAILOVER,
9 status BAD.
)";

struct Failure : std::runtime_error {
    Failure(int exit_code, const std::string& message) : std::runtime_error(message), code(exit_code) {}
    int code;
};

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

void warn(const std::string& line) {
    std::fputs(("warning: " + line + "\n").c_str(), stderr);
    std::fflush(stderr);
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

std::string trim_copy(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return std::string(s);
}

std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// ---- ganesha-ha.conf ---------------------------------------------------------

std::string read_config_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path, 0, std::string("cannot read: ") + std::strerror(errno));
    std::string text;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxConfigBytes)
            throw ConfigError(path, 0, "file is larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    }
    return text;
}

struct Loaded {
    std::string text;
    Config config;
    LayoutOptions options;
};

Loaded parse_loaded(std::string text, const std::string& source) {
    ConfigOverrides overrides;
    overrides.any_node = true;
    Loaded l;
    l.config = parse_config(text, source, overrides);
    l.options = l.config.layout;
    l.text = std::move(text);
    return l;
}

Loaded load(const std::string& path) { return parse_loaded(read_config_text(path), path); }

void print_config_warnings(const Config& config) {
    for (const auto& w : config.warnings) warn(w);
}

bool is_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const auto dot = name.find('.', start);
        const auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (const char c : label)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
                return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool is_address(const std::string& text) {
    in_addr v4{};
    in6_addr v6{};
    return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

struct ConfigLines {
    std::vector<std::string> lines;
    bool final_newline = true;

    explicit ConfigLines(std::string_view text) {
        std::size_t pos = 0;
        while (pos < text.size()) {
            auto end = text.find('\n', pos);
            if (end == std::string_view::npos) {
                lines.emplace_back(text.substr(pos));
                final_newline = false;
                break;
            }
            lines.emplace_back(text.substr(pos, end - pos));
            pos = end + 1;
        }
    }
    std::string text() const {
        std::string out;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            out += lines[i];
            if (i + 1 < lines.size() || final_newline) out += '\n';
        }
        return out;
    }
    // The key a line assigns ("" for comments and blank lines), and what
    // comes before it ("export " and indentation).
    static std::string key(const std::string& line, std::string* prefix = nullptr) {
        std::size_t i = 0;
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (line.compare(i, 6, "export") == 0 && i + 6 < line.size() && (line[i + 6] == ' ' || line[i + 6] == '\t')) {
            i += 6;
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        }
        if (i >= line.size() || line[i] == '#') return {};
        const auto eq = line.find('=', i);
        if (eq == std::string::npos) return {};
        if (prefix) *prefix = line.substr(0, i);
        return trim_copy(std::string_view(line).substr(i, eq - i));
    }
    std::optional<std::size_t> find(const std::string& wanted) const {
        for (std::size_t i = 0; i < lines.size(); ++i)
            if (key(lines[i]) == wanted) return i;
        return std::nullopt;
    }
    void set_nodes(const std::vector<std::string>& nodes) {
        const auto at = find("HA_CLUSTER_NODES");
        if (!at) throw std::invalid_argument("HA_CLUSTER_NODES line not found");
        std::string prefix;
        key(lines[*at], &prefix);
        lines[*at] = prefix + "HA_CLUSTER_NODES=\"" + join(nodes, ",") + "\"";
    }
};

// ---- child processes and files ----------------------------------------------

CommandResult tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 20s) {
    CommandOptions o;
    o.timeout = timeout;
    return run_command(argv, o);
}

std::string output_of(const CommandResult& r) {
    std::string text = trim_copy(r.err);
    const std::string out = trim_copy(r.out);
    if (!out.empty()) text += (text.empty() ? "" : "\n") + out;
    return text;
}

// A private scratch directory (mode 0700) for the files crm_verify and
// crm_diff read; removed with everything in it.
class ScratchDir {
public:
    ScratchDir() {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ganesha-hactl-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw Failure(exit_failed, std::string("mkdtemp: ") + std::strerror(errno));
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string write(const std::string& name, const std::string& content) const {
        const std::string file = path_ + "/" + name;
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out.flush()) throw Failure(exit_failed, "cannot write " + file);
        return file;
    }

private:
    std::string path_;
};

void write_all(int fd, const std::string& data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "write " + path);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) throw std::system_error(errno, std::generic_category(), "fsync " + path);
}

// A file replaced atomically: the new content goes to a temporary file in
// the same directory (fsynced, with the original's mode and owner) first;
// commit() keeps a copy of the original as PATH.bak (also written and
// renamed atomically), renames the temporary file over PATH and fsyncs the
// directory. Without commit() the temporary file is removed.
class PendingFile {
public:
    PendingFile(std::string path, const std::string& content) : path_(std::move(path)) {
        if (::stat(path_.c_str(), &st_) != 0) throw std::system_error(errno, std::generic_category(), "stat " + path_);
        temp_ = make_temp(content);
    }
    ~PendingFile() {
        if (!temp_.empty()) ::unlink(temp_.c_str());
    }
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;

    void commit(const std::string& original) {
        const std::string backup = make_temp(original);
        if (::rename(backup.c_str(), (path_ + ".bak").c_str()) != 0) {
            const int e = errno;
            ::unlink(backup.c_str());
            throw std::system_error(e, std::generic_category(), "rename to " + path_ + ".bak");
        }
        if (::rename(temp_.c_str(), path_.c_str()) != 0)
            throw std::system_error(errno, std::generic_category(), "rename to " + path_);
        temp_.clear();
        const int dir = ::open(fs::path(path_).parent_path().empty() ? "." : fs::path(path_).parent_path().c_str(),
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
    }

private:
    std::string make_temp(const std::string& content) const {
        const fs::path p(path_);
        std::string pattern = (p.parent_path().empty() ? fs::path(".") : p.parent_path()).string() + "/." +
                              p.filename().string() + ".XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp " + pattern);
        try {
            write_all(fd, content, pattern);
            if (::fchmod(fd, st_.st_mode & 07777) != 0 ||
                (::geteuid() == 0 && ::fchown(fd, st_.st_uid, st_.st_gid) != 0))
                throw std::system_error(errno, std::generic_category(), "chmod/chown " + pattern);
        } catch (...) {
            ::close(fd);
            ::unlink(pattern.c_str());
            throw;
        }
        ::close(fd);
        return pattern;
    }

    std::string path_, temp_;
    struct stat st_ {};
};

// ---- the CIB -----------------------------------------------------------------

xml::Element parse_tool_xml(const std::string& what, const std::string& text) {
    try {
        return xml::parse(text);
    } catch (const xml::ParseError& e) {
        throw Failure(exit_failed, what + " printed XML we cannot read: " + e.what());
    }
}

[[noreturn]] void no_cluster(const CommandResult& r) {
    throw Failure(exit_no_cluster, "no cluster is running on this node (" + r.describe() +
                                       "): start corosync and pacemaker first");
}

xml::Element query_cib(std::string& raw) {
    const auto r = tool({"cibadmin", "-Q"});
    if (r.ran() && r.exit_code == kNoCluster) no_cluster(r);
    if (!r.ok()) throw Failure(exit_failed, "cibadmin -Q: " + r.describe());
    raw = r.out;
    return parse_tool_xml("cibadmin -Q", r.out);
}

xml::Element query_crm_mon() {
    const auto r = tool({"crm_mon", "--output-as=xml", "-1", "-A"});
    if (r.ran() && r.exit_code == kNoCluster) no_cluster(r);
    if (!r.ok()) throw Failure(exit_failed, "crm_mon: " + r.describe());
    return parse_tool_xml("crm_mon", r.out);
}

xml::Element without_status(const xml::Element& cib) {
    xml::Element copy = cib;
    std::erase_if(copy.children, [](const xml::Element& e) { return e.name == "status"; });
    xml::Element status;
    status.name = "status";
    copy.children.push_back(std::move(status));
    return copy;
}

long long number(const std::string& text) {
    long long v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && ptr == text.data() + text.size() ? v : 0;
}

struct Applied {
    bool changed = false;
    Plan plan;
};

// One atomic, verified CIB change (see the header comment).
Applied apply(const Layout* desired) {
    for (int attempt = 1;; ++attempt) {
        std::string raw;
        const xml::Element cib = query_cib(raw);
        const xml::Element* conf = cib.child("configuration");
        if (!conf) throw Failure(exit_failed, "the CIB has no <configuration>");
        Applied result{false, plan_change(*conf, desired)};
        Plan& plan = result.plan;
        if (!plan.conflicts.empty())
            throw Failure(exit_failed, "refusing to change the CIB (nothing was changed):\n  " +
                                           join(plan.conflicts, "\n  ") +
                                           "\nremove or rename those objects, or run teardown first if they are "
                                           "left from an older layout");
        if (!plan.dangling.empty())
            throw Failure(exit_failed, "refusing to remove objects that others refer to (nothing was changed):\n  " +
                                           join(plan.dangling, "\n  ") + "\nremove those references first");
        if (!plan.changed) return result;

        // crm_diff makes a positional (format 2) patch only for a CIB with a
        // crm_feature_set above 3.0.8, as every live CIB has; a hand-written
        // CIB_file may lack it, and format 1 patches lose the order of new
        // children (the digest check then fails).
        xml::Element original = cib;
        if (!original.has("crm_feature_set")) original.set("crm_feature_set", "3.0.9");
        xml::Element updated = original;
        *updated.child("configuration") = plan.configuration;
        updated.set("epoch", std::to_string(number(cib.get("epoch", "0")) + 1));
        updated.set("num_updates", "0");

        ScratchDir dir;
        const std::string orig = dir.write("original.xml", xml::to_string(original));
        const std::string next = dir.write("new.xml", xml::to_string(updated));
        const std::string check = dir.write("verify.xml", xml::to_string(without_status(updated)));
        const auto verify = tool({"crm_verify", "-x", check}, 60s);
        if (!verify.ok()) {
            const std::string before = dir.write("verify-before.xml", xml::to_string(without_status(cib)));
            const bool was_broken = !tool({"crm_verify", "-x", before}, 60s).ok();
            throw Failure(exit_failed, std::string(was_broken ? "crm_verify rejects the current CIB already; fix it "
                                                                "first (nothing was changed):\n"
                                                              : "crm_verify rejects the CIB with this change; "
                                                                "nothing was changed:\n") +
                                           output_of(verify));
        }
        const auto diff = tool({"crm_diff", "--cib", "-o", orig, "-n", next}, 30s);
        if (!diff.ran() || (diff.exit_code != 0 && diff.exit_code != 1))
            throw Failure(exit_failed, "crm_diff: " + diff.describe());
        if (diff.exit_code == 0) {  // crm_diff sees no difference: nothing to send
            result.changed = false;
            return result;
        }
        const std::string patch = dir.write("patch.xml", diff.out);
        const auto applied = tool({"cibadmin", "--patch", "--xml-file", patch}, 60s);
        if (applied.ok()) {
            result.changed = true;
            return result;
        }
        if (applied.ran() && applied.exit_code == kNoCluster) no_cluster(applied);
        if (applied.ran() && (applied.exit_code == kOldData || applied.exit_code == kDigest) &&
            attempt < kApplyAttempts) {
            say("the CIB changed while the update was prepared; reading it again (attempt " +
                std::to_string(attempt + 1) + ")");
            ::poll(nullptr, 0, 100 * attempt);
            continue;
        }
        throw Failure(exit_failed, "cibadmin --patch: " + applied.describe() + "\n" + output_of(applied));
    }
}

void report_applied(const Applied& a) {
    if (!a.changed) {
        say("the CIB already has this layout: nothing to change");
        return;
    }
    say("CIB updated: " + std::to_string(a.plan.created.size()) + " objects created, " +
        std::to_string(a.plan.replaced.size()) + " replaced, " + std::to_string(a.plan.removed.size()) +
        " removed");
    auto list = [](std::vector<std::string> ids) {
        constexpr std::size_t kShown = 12;
        const std::size_t more = ids.size() > kShown ? ids.size() - kShown : 0;
        ids.resize(std::min(ids.size(), kShown));
        return join(ids, " ") + (more ? " and " + std::to_string(more) + " more" : "");
    };
    if (!a.plan.replaced.empty()) say("  replaced: " + list(a.plan.replaced));
    if (!a.plan.removed.empty()) say("  removed: " + list(a.plan.removed));
}

// ---- crm_mon ------------------------------------------------------------------

struct MonResource {
    std::string id, role;
    bool active = false;   // started: serving
    bool running = false;  // active in any role, stopping included
    bool failed = false, blocked = false, orphaned = false;
    std::vector<std::string> nodes;
};

struct Mon {
    std::string dc;
    bool quorum = false;
    std::optional<bool> stonith_enabled;
    std::string no_quorum_policy;
    std::map<std::string, bool> nodes;  // name -> online
    std::map<std::string, std::map<std::string, std::string>> attributes;
    // Primitive id, or clone id (its instances), or a group member's id.
    std::map<std::string, std::vector<MonResource>> resources;
};

MonResource mon_resource(const xml::Element& r) {
    MonResource m;
    m.id = r.get("id");
    m.role = r.get("role");
    // Serving only once started: a start still in progress (record-pending)
    // or a stop is not.
    const std::string& role = m.role;
    m.running = r.get("active") == "true";
    m.active = m.running &&
               (role == "Started" || role == "Promoted" || role == "Unpromoted" || role == "Master" || role == "Slave");
    m.failed = r.get("failed") == "true";
    m.blocked = r.get("blocked") == "true";
    m.orphaned = r.get("orphaned") == "true";
    for (const auto* n : r.children_named("node")) m.nodes.push_back(n->get("name"));
    return m;
}

Mon parse_mon(const xml::Element& root) {
    Mon mon;
    if (const auto* summary = root.child("summary")) {
        if (const auto* dc = summary->child("current_dc"); dc && dc->get("present") == "true") {
            mon.dc = dc->get("name");
            mon.quorum = dc->get("with_quorum") == "true";
        }
        if (const auto* options = summary->child("cluster_options")) {
            if (options->has("stonith-enabled")) mon.stonith_enabled = options->get("stonith-enabled") == "true";
            mon.no_quorum_policy = options->get("no-quorum-policy");
        }
    }
    if (const auto* nodes = root.child("nodes"))
        for (const auto* n : nodes->children_named("node")) mon.nodes[n->get("name")] = n->get("online") == "true";
    if (const auto* resources = root.child("resources")) {
        for (const auto& r : resources->children) {
            if (r.name == "resource") {
                mon.resources[r.get("id")].push_back(mon_resource(r));
            } else if (r.name == "clone") {
                auto& instances = mon.resources[r.get("id")];
                for (const auto* i : r.children_named("resource")) instances.push_back(mon_resource(*i));
            } else if (r.name == "group") {
                for (const auto* i : r.children_named("resource")) mon.resources[i->get("id")].push_back(mon_resource(*i));
            }
        }
    }
    if (const auto* attrs = root.child("node_attributes"))
        for (const auto* n : attrs->children_named("node"))
            for (const auto* a : n->children_named("attribute"))
                mon.attributes[n->get("name")][a->get("name")] = a->get("value");
    return mon;
}

std::vector<std::string> active_nodes(const Mon& mon, const std::string& id, bool* failed = nullptr,
                                      bool any_role = false) {
    std::vector<std::string> out;
    const auto it = mon.resources.find(id);
    if (it == mon.resources.end()) return out;
    for (const auto& r : it->second) {
        if (failed && (r.failed || r.blocked)) *failed = true;
        if (any_role ? r.running : r.active)
            for (const auto& n : r.nodes) out.push_back(n);
    }
    return out;
}

// ---- waiting for placement ----------------------------------------------------

struct Progress {
    bool done = false;
    std::string summary;
};

Progress placement(const Layout& layout, const Config& config, const Mon& mon) {
    std::vector<std::string> waiting;
    int placed = 0;
    for (const auto& node : layout.nodes) {
        for (const auto& id : {vip_id(node), trigger_id(node)}) {
            bool failed = false;
            const auto on = active_nodes(mon, id, &failed);
            if (on.size() == 1 && !failed) {
                if (id == vip_id(node)) ++placed;
                continue;
            }
            waiting.push_back(id + (on.empty() ? " (stopped)" : on.size() > 1 ? " (on " + join(on, ",") + ")" : "") +
                              (failed ? " (failed)" : ""));
        }
    }
    for (const auto clone : {kSetupClone, kMonClone, kGraceClone}) {
        bool failed = false;
        const auto on = active_nodes(mon, std::string(clone), &failed);
        if (on.empty() || failed)
            waiting.push_back(std::string(clone) + (failed ? " (failed)" : " (running nowhere)"));
    }
    Progress p;
    p.done = waiting.empty();
    p.summary = std::to_string(placed) + "/" + std::to_string(layout.nodes.size()) + " VIPs placed";
    if (!waiting.empty()) {
        p.summary += "; waiting for " + join(waiting, ", ");
        bool any_active = false, any_grace = false;
        for (const auto& [name, online] : mon.nodes) {
            if (!online) continue;
            const auto attrs = mon.attributes.find(name);
            if (attrs == mon.attributes.end()) continue;
            const auto a = attrs->second.find(config.ganesha_active_attr);
            const auto g = attrs->second.find(config.grace_active_attr);
            any_active = any_active || (a != attrs->second.end() && a->second == "1");
            any_grace = any_grace || (g != attrs->second.end() && g->second == "1");
        }
        if (!any_active) p.summary += " (no online node has " + config.ganesha_active_attr + "=1: is ganesha-had running?)";
        else if (!any_grace) p.summary += " (no online node has " + config.grace_active_attr + "=1)";
    }
    return p;
}

// The DC's controller state: S_IDLE once the transition that placed the
// resources has completed. "" when it cannot be asked.
std::string dc_state(const std::string& dc) {
    if (dc.empty()) return {};
    const auto r = tool({"crmadmin", "-S", dc, "--output-as=xml", "-t", "5s"}, 10s);
    if (!r.ok()) return {};
    std::string state;
    try {
        xml::parse(r.out).visit([&](const xml::Element& e) {
            if (e.name == "crmd") state = e.get("state");
        });
    } catch (const xml::ParseError&) {
    }
    return state;
}

bool wait_placed(const Layout& layout, const Config& config, std::chrono::seconds bound) {
    if (bound.count() == 0) {
        say("not waiting for placement (--wait 0)");
        return true;
    }
    const auto started = Clock::now();
    std::string last;
    auto last_print = started;
    for (;;) {
        const Mon mon = parse_mon(query_crm_mon());
        Progress p = placement(layout, config, mon);
        if (p.done) {
            const std::string state = dc_state(mon.dc);
            if (state != "S_IDLE") {
                p.done = false;
                p.summary += "; waiting for the DC (" + (mon.dc.empty() ? std::string("none") : mon.dc) + ", " +
                             (state.empty() ? std::string("state unknown") : state) + ") to finish its transition";
            }
        }
        const auto now = Clock::now();
        const double elapsed = std::chrono::duration<double>(now - started).count();
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "[%5.1fs] ", elapsed);
        if (p.done) {
            say(std::string(stamp) + "all resources placed:");
            for (const auto& node : layout.nodes)
                say("  " + vip_id(node) + " (" + config.vips.at(node) + ") on " + join(active_nodes(mon, vip_id(node)), ","));
            return true;
        }
        if (p.summary != last || now - last_print >= 5s) {
            say(std::string(stamp) + p.summary);
            last = p.summary;
            last_print = now;
        }
        if (now - started >= bound) {
            std::fprintf(stderr, "ganesha-hactl: not every resource was placed within %lld s: %s\n",
                         static_cast<long long>(bound.count()), p.summary.c_str());
            return false;
        }
        ::poll(nullptr, 0, 500);
    }
}

bool wait_gone(const std::vector<std::string>& ids, std::chrono::seconds bound) {
    if (bound.count() == 0 || ids.empty()) return true;
    const auto started = Clock::now();
    std::string last;
    for (;;) {
        const Mon mon = parse_mon(query_crm_mon());
        std::vector<std::string> still;
        for (const auto& id : ids)
            if (!active_nodes(mon, id, nullptr, true).empty()) still.push_back(id);
        const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "[%5.1fs] ", elapsed);
        if (still.empty()) {
            say(std::string(stamp) + "every removed resource has stopped");
            return true;
        }
        const std::string summary = "still running: " + join(still, ", ");
        if (summary != last) say(std::string(stamp) + summary);
        last = summary;
        if (Clock::now() - started >= std::chrono::seconds(bound)) {
            std::fprintf(stderr, "ganesha-hactl: still running after %lld s: %s\n",
                         static_cast<long long>(bound.count()), join(still, ", ").c_str());
            return false;
        }
        ::poll(nullptr, 0, 500);
    }
}

// ---- warnings about the cluster around the layout ------------------------------

void check_cluster(const Layout& layout, const Mon& mon) {
    if (mon.stonith_enabled && !*mon.stonith_enabled)
        warn("stonith-enabled=false: without fencing, a node that stops answering may keep its VIP address while "
             "another node takes it over (setup leaves stonith as configured)");
    if (!mon.no_quorum_policy.empty() && mon.no_quorum_policy != layout.no_quorum_policy)
        warn("no-quorum-policy is " + mon.no_quorum_policy + ", set in cib-bootstrap-options, which takes precedence "
             "over " + std::string(kPropertySetId) + "; the layout wants " + layout.no_quorum_policy + " for " +
             std::to_string(layout.nodes.size()) + " nodes: crm_attribute -t crm_config -n no-quorum-policy -v " +
             layout.no_quorum_policy);
    std::vector<std::string> unknown;
    for (const auto& node : layout.nodes)
        if (!mon.nodes.count(node)) unknown.push_back(node);
    if (!unknown.empty())
        warn("not (yet) members of this cluster: " + join(unknown, ", ") + " (their VIPs run elsewhere until they join)");
}

void crm_verify_live() {
    const auto r = tool({"crm_verify", "-L"}, 60s);
    if (!r.ok()) warn("crm_verify -L: " + r.describe() + "\n" + output_of(r));
}

// ---- subcommands ----------------------------------------------------------------

struct Args {
    std::vector<std::string> words;  // subcommand and its operands
    ClusterOptions options;
    std::chrono::seconds wait{120};
    std::string ganesha_conf;  // --ganesha-conf; "" = HA_GANESHA_CONF
};

std::string ganesha_conf_of(const Args& a, const Config& config) {
    return a.ganesha_conf.empty() ? config.ganesha_conf : a.ganesha_conf;
}

// setup's guard: the local ganesha.conf must keep clients' state across a
// failover (ganesha_conf/check.hpp); checked before anything is changed.
// The ganesha_nfsd agents run with the default var_lib_nfs (the layout does
// not set it), so that is the one checked against.
void require_ganesha_conf(const std::string& path) {
    const auto checked = ganesha_conf::check_file(path);
    std::vector<std::string> errors;
    for (const auto& f : checked.result.findings) {
        if (f.severity == ganesha_conf::Severity::warning)
            warn(f.to_string());
        else
            errors.push_back(f.to_string());
    }
    if (!errors.empty())
        throw Failure(exit_config, "refusing setup: clients would lose their opens and locks when a VIP moves; "
                                   "nothing was changed:\n" +
                                       join(errors, "\n") + "\n(fix it on every node; check with `ganesha-hactl "
                                                            "ganesha-conf check --ganesha-conf " + path + "`)");
    say("ganesha.conf " + path + ": Server_Scope \"" + *checked.result.server_scope +
        "\" (every node must present the same one)");
}

void expect_operands(const Args& a, std::size_t n, const char* usage) {
    if (a.words.size() != n + 1) throw Failure(exit_usage, std::string("usage: ganesha-hactl cluster ") + usage);
}

int show_cib(const Args& a) {
    expect_operands(a, 0, "show-cib");
    const Loaded l = load(a.options.config);
    print_config_warnings(l.config);
    const Layout layout = build_layout(l.config, l.options);
    std::fputs(render_configuration(layout).c_str(), stdout);
    return exit_ok;
}

int setup(const Args& a) {
    expect_operands(a, 0, "setup");
    const Loaded l = load(a.options.config);
    print_config_warnings(l.config);
    require_ganesha_conf(ganesha_conf_of(a, l.config));
    const Layout layout = build_layout(l.config, l.options);
    say("setting up " + l.config.ha_name + ": " + std::to_string(layout.nodes.size()) + " nodes (" +
        join(layout.nodes, ", ") + "), no-quorum-policy=" + layout.no_quorum_policy);
    const Applied applied = apply(&layout);
    report_applied(applied);
    check_cluster(layout, parse_mon(query_crm_mon()));
    crm_verify_live();
    return wait_placed(layout, l.config, a.wait) ? exit_ok : exit_failed;
}

std::vector<std::string> resource_ids(const Plan& plan, const xml::Element& before) {
    // Top-level resources among the removed objects (they show up in crm_mon).
    std::vector<std::string> out;
    if (const auto* resources = before.child("resources"))
        for (const auto& r : resources->children)
            if (std::find(plan.removed.begin(), plan.removed.end(), r.get("id")) != plan.removed.end())
                out.push_back(r.get("id"));
    return out;
}

int teardown(const Args& a) {
    expect_operands(a, 0, "teardown");
    std::string raw;
    const xml::Element cib = query_cib(raw);
    const xml::Element* conf = cib.child("configuration");
    if (!conf) throw Failure(exit_failed, "the CIB has no <configuration>");
    const Plan preview = plan_change(*conf, nullptr);
    if (!preview.changed) {
        say("no ganesha-ha layout in the CIB (no tag " + std::string(kTagId) + "): nothing to tear down");
        // Objects with our ids that the tag does not list are someone else's.
        try {
            const Loaded l = load(a.options.config);
            const Layout layout = build_layout(l.config, l.options);
            std::vector<std::string> found;
            conf->visit([&](const xml::Element& e) {
                for (const auto& o : layout.objects)
                    if (e.get("id") == o.id && e.name != "obj_ref") found.push_back(o.id);
            });
            if (!found.empty())
                say("note: not removed, not created by ganesha-hactl: " + join(found, " "));
        } catch (const std::exception&) {
        }
        return exit_ok;
    }
    const Applied applied = apply(nullptr);
    report_applied(applied);
    std::vector<std::string> dead;
    if (const auto* resources = conf->child("resources"))
        for (const auto& r : resources->children)
            if (r.get("id").ends_with("-dead_ip-1")) dead.push_back(r.get("id"));
    if (!dead.empty())
        say("note: left in place (created by ganesha-had at run time, not by setup): " + join(dead, " "));
    return wait_gone(resource_ids(applied.plan, *conf), a.wait) ? exit_ok : exit_failed;
}

int change_nodes(const Args& a, bool adding) {
    if (adding) expect_operands(a, 2, "add NODE VIP");
    else expect_operands(a, 1, "delete NODE");
    const Loaded before = load(a.options.config);
    const std::string& node = a.words[1];
    std::string text;
    try {
        text = adding ? config_with_node_added(before.text, before.config, node, a.words[2])
                      : config_with_node_deleted(before.text, before.config, node);
    } catch (const std::invalid_argument& e) {
        throw Failure(exit_config, e.what());
    } catch (const ConfigError& e) {
        throw Failure(exit_config, "the configuration would be invalid: " + e.message());
    }
    const Loaded after = parse_loaded(text, before.config.source);
    const Layout layout = build_layout(after.config, after.options);
    // The cluster must already run this layout's predecessor.
    {
        std::string raw;
        const xml::Element cib = query_cib(raw);
        bool tagged = false;
        if (const auto* conf = cib.child("configuration"))
            if (const auto* tags = conf->child("tags"))
                for (const auto* t : tags->children_named("tag")) tagged = tagged || t->get("id") == kTagId;
        if (!tagged)
            throw Failure(exit_failed, "no ganesha-ha layout in the CIB (tag " + std::string(kTagId) +
                                           "): run setup first; nothing was changed");
    }
    PendingFile pending(a.options.config, text);  // written and fsynced, not yet in place
    say(std::string(adding ? "adding " : "deleting ") + node + (adding ? " (" + a.words[2] + ")" : "") + ": " +
        std::to_string(layout.nodes.size()) + " nodes (" + join(layout.nodes, ", ") + ")");
    const Applied applied = apply(&layout);
    report_applied(applied);
    try {
        pending.commit(before.text);
    } catch (const std::system_error& e) {
        throw Failure(exit_failed, std::string("the CIB was updated but ") + a.options.config +
                                       " could not be replaced: " + e.what() +
                                       "; fix the file by hand (HA_CLUSTER_NODES and VIP_ lines)");
    }
    say("updated " + a.options.config + " (previous version: " + a.options.config + ".bak)");
    say("note: copy it to every node and run `ganesha-hactl reload` there" +
        std::string(adding ? "; the node must also join corosync/pacemaker (e.g. pcs cluster node add)" : ""));
    check_cluster(layout, parse_mon(query_crm_mon()));
    return wait_placed(layout, after.config, a.wait) ? exit_ok : exit_failed;
}

json status_json(const ClusterStatus& s, const Config& config) {
    json nodes = json::array(), vips = json::array();
    for (const auto& n : s.nodes) {
        json j{{"name", n.name}, {"member", n.member}, {"online", n.online}, {"ganesha_healthy", n.ganesha_healthy()}};
        j["ganesha_active"] = n.ganesha_active ? json(*n.ganesha_active) : json(nullptr);
        j["grace_active"] = n.grace_active ? json(*n.grace_active) : json(nullptr);
        nodes.push_back(j);
    }
    for (const auto& v : s.vips)
        vips.push_back({{"resource", v.resource}, {"address", v.address}, {"home", v.home}, {"running_on", v.running_on},
                        {"at_home", v.at_home()}, {"failed", v.failed}});
    json j{{"verdict", s.verdict}, {"reasons", s.reasons}, {"ha_name", config.ha_name}, {"nodes", nodes},
           {"vips", vips}, {"dc", s.dc.empty() ? json(nullptr) : json(s.dc)}, {"quorum", s.quorum},
           {"no_quorum_policy", s.no_quorum_policy}};
    j["stonith_enabled"] = s.stonith_enabled ? json(*s.stonith_enabled) : json(nullptr);
    return j;
}

int status(const Args& a) {
    expect_operands(a, 0, "status");
    const Loaded l = load(a.options.config);
    const ClusterStatus s = evaluate_status(l.config, query_crm_mon());
    if (a.options.json) {
        say(status_json(s, l.config).dump(2));
    } else {
        std::fputs(format_cluster_status(s, l.config).c_str(), stdout);
    }
    if (s.verdict == "HEALTHY") return exit_ok;
    return s.verdict == "FAILOVER" ? exit_failover : exit_bad;
}

int refresh_config(const Args& a) {
    expect_operands(a, 1, "refresh-config [--ganesha-conf PATH] EXPORT_ID");
    const std::string& word = a.words[1];
    unsigned long id = 0;
    const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (word.empty() || ec != std::errc{} || ptr != word.data() + word.size() || id > 65535)
        throw Failure(exit_config, "EXPORT_ID '" + word + "' is not an export id (0..65535)");
    const Loaded l = load(a.options.config);
    const std::string ganesha_conf = ganesha_conf_of(a, l.config);
    if (ganesha_conf.front() != '/')
        throw Failure(exit_config, "--ganesha-conf '" + ganesha_conf + "' is not an absolute path");
    const std::string expr = "EXPORT(Export_Id=" + std::to_string(id) + ")";
    try {
        auto connection = sdbus::createSystemBusConnection();
        auto proxy = sdbus::createProxy(*connection, l.config.dbus_name, "/org/ganesha/nfsd/ExportMgr");
        auto call = proxy->createMethodCall("org.ganesha.nfsd.exportmgr", "UpdateExport");
        call << ganesha_conf << expr;
        auto reply = proxy->callMethod(call, std::chrono::seconds(20));
        std::string message;
        reply >> message;
        say("this node: " + message + " (" + expr + " from " + ganesha_conf + ")");
        say("note: D-Bus reaches only this node's ganesha.nfsd: run refresh-config on every node");
        return exit_ok;
    } catch (const sdbus::Error& e) {
        if (e.getName() == "org.freedesktop.DBus.Error.ServiceUnknown" ||
            e.getName() == "org.freedesktop.DBus.Error.NameHasNoOwner")
            throw Failure(exit_failed, "ganesha.nfsd is not running here (nobody owns " + l.config.dbus_name +
                                           " on the system bus)");
        throw Failure(exit_failed, "UpdateExport(" + expr + ") failed: " + e.getName() + ": " + e.getMessage());
    }
}

}  // namespace

// ---- plan_change ------------------------------------------------------------------

Plan plan_change(const xml::Element& conf, const Layout* desired) {
    Plan plan;
    plan.configuration = conf;
    const std::string tag_id(kTagId);

    std::set<std::string> owned = {tag_id};
    if (const auto* tags = conf.child("tags"))
        for (const auto* t : tags->children_named("tag"))
            if (t->get("id") == tag_id)
                for (const auto* ref : t->children_named("obj_ref")) owned.insert(ref->get("id"));

    struct Want {
        std::string section;
        xml::Element element;
    };
    std::vector<Want> wanted;
    if (desired) {
        for (const auto& o : desired->objects) wanted.push_back({o.section, xml::parse(o.xml)});
        wanted.push_back({desired->tag.section, xml::parse(desired->tag.xml)});
    }
    auto wanted_in = [&](const std::string& section, const std::string& id) -> const Want* {
        for (const auto& w : wanted)
            if (w.section == section && w.element.get("id") == id) return &w;
        return nullptr;
    };
    auto is_ref = [](const xml::Element& e) { return e.name == "obj_ref" || e.name == "resource_ref"; };

    // Ids in use by what we do not own; ids of what we own and would remove.
    std::map<std::string, std::string> foreign;  // id -> element name
    std::set<std::string> removing;
    std::vector<const xml::Element*> foreign_tops;
    for (const auto& section : conf.children) {
        if (section.is_comment()) continue;
        for (const auto& e : section.children) {
            if (e.is_comment()) continue;
            if (e.has("id") && owned.count(e.get("id"))) {
                if (!wanted_in(section.name, e.get("id")))
                    e.visit([&](const xml::Element& x) {
                        if (x.has("id") && !is_ref(x)) removing.insert(x.get("id"));
                    });
                continue;
            }
            foreign_tops.push_back(&e);
            e.visit([&](const xml::Element& x) {
                if (x.has("id") && !is_ref(x)) foreign.emplace(x.get("id"), x.name);
            });
        }
    }
    for (const auto& w : wanted)
        w.element.visit([&](const xml::Element& x) {
            if (!x.has("id") || is_ref(x)) return;
            const auto it = foreign.find(x.get("id"));
            if (it != foreign.end())
                plan.conflicts.push_back("id '" + it->first + "' is already used by a <" + it->second +
                                         "> that ganesha-hactl did not create (not in tag " + tag_id + ")");
        });
    for (const auto* top : foreign_tops)
        top->visit([&](const xml::Element& x) {
            for (const char* attr : {"rsc", "with-rsc", "first", "then", "id-ref"})
                if (x.has(attr) && removing.count(x.get(attr)))
                    plan.dangling.push_back("<" + top->name + " id=\"" + top->get("id") + "\"> refers to " +
                                            x.get(attr));
            if (is_ref(x) && removing.count(x.get("id")))
                plan.dangling.push_back("<" + top->name + " id=\"" + top->get("id") + "\"> refers to " + x.get("id"));
        });

    // The new configuration, section by section: our objects replaced in
    // place, removed, or appended; everything else untouched.
    xml::Element& out = plan.configuration;
    std::vector<std::string> sections = {"crm_config", "resources", "constraints", "tags"};
    for (const auto& s : out.children)
        if (!s.is_comment() && std::find(sections.begin(), sections.end(), s.name) == sections.end())
            sections.push_back(s.name);
    for (const auto& name : sections) {
        xml::Element* section = out.child(name);
        std::vector<const Want*> to_add;
        for (const auto& w : wanted)
            if (w.section == name) to_add.push_back(&w);
        if (!section) {
            if (to_add.empty()) continue;
            xml::Element fresh;
            fresh.name = name;
            out.children.push_back(std::move(fresh));
            section = &out.children.back();
        }
        std::vector<xml::Element> children;
        for (auto& e : section->children) {
            const std::string id = e.get("id");
            if (e.is_comment() || !e.has("id") || !owned.count(id)) {
                children.push_back(std::move(e));
                continue;
            }
            const Want* w = wanted_in(name, id);
            if (!w) {
                plan.removed.push_back(id);
                continue;
            }
            std::erase(to_add, w);
            if (xml::equivalent(e, w->element)) {
                children.push_back(std::move(e));
            } else {
                plan.replaced.push_back(id);
                children.push_back(w->element);
            }
        }
        for (const Want* w : to_add) {
            plan.created.push_back(w->element.get("id"));
            children.push_back(w->element);
        }
        section->children = std::move(children);
    }
    // An empty <tags> left behind by teardown goes too.
    std::erase_if(out.children, [](const xml::Element& s) {
        return s.name == "tags" &&
               std::none_of(s.children.begin(), s.children.end(), [](const xml::Element& c) { return !c.is_comment(); });
    });
    // Only what the tag listed counts as removed in messages (not the tag itself).
    std::erase(plan.removed, tag_id);
    std::erase(plan.created, tag_id);
    std::erase(plan.replaced, tag_id);
    plan.changed = !xml::equivalent(conf, plan.configuration);
    return plan;
}

// ---- status -------------------------------------------------------------------------

ClusterStatus evaluate_status(const Config& config, const xml::Element& crm_mon) {
    const Mon mon = parse_mon(crm_mon);
    ClusterStatus s;
    s.dc = mon.dc;
    s.quorum = mon.quorum;
    s.stonith_enabled = mon.stonith_enabled;
    s.no_quorum_policy = mon.no_quorum_policy;
    std::map<std::string, const NodeState*> by_name;
    for (const auto& name : config.cluster_nodes) {
        NodeState n;
        n.name = name;
        const auto it = mon.nodes.find(name);
        n.member = it != mon.nodes.end();
        n.online = n.member && it->second;
        if (const auto a = mon.attributes.find(name); a != mon.attributes.end()) {
            if (const auto v = a->second.find(config.ganesha_active_attr); v != a->second.end()) n.ganesha_active = v->second;
            if (const auto v = a->second.find(config.grace_active_attr); v != a->second.end()) n.grace_active = v->second;
        }
        s.nodes.push_back(n);
    }
    for (const auto& n : s.nodes) by_name[n.name] = &n;
    std::vector<std::string> bad, moved;
    for (const auto& name : config.cluster_nodes) {
        VipState v;
        v.home = name;
        v.address = config.vips.at(name);
        v.resource = vip_id(name);
        v.running_on = active_nodes(mon, v.resource, &v.failed);
        const std::string what = "VIP " + v.address + " of " + name;
        if (!mon.resources.count(v.resource)) {
            bad.push_back(what + ": no resource " + v.resource + " (run cluster setup)");
        } else if (v.running_on.empty()) {
            bad.push_back(what + " is not running anywhere");
        } else if (v.running_on.size() > 1) {
            bad.push_back(what + " runs on " + std::to_string(v.running_on.size()) + " nodes: " + join(v.running_on, ", "));
        } else {
            const std::string& on = v.running_on.front();
            const auto host = by_name.find(on);
            const bool healthy = host != by_name.end() ? host->second->ganesha_healthy() : false;
            if (!healthy) {
                bad.push_back(what + " runs on " + on + ", whose ganesha.nfsd is not healthy (" +
                              config.ganesha_active_attr + " not 1): no failover");
            } else if (on != name) {
                const NodeState& home = *by_name.at(name);
                moved.push_back(what + " runs on " + on + " (" + name + ": " +
                                (!home.member ? "not a cluster member" : !home.online ? "offline" : "ganesha.nfsd not healthy") +
                                ")");
            }
        }
        if (v.failed) bad.push_back(what + ": " + v.resource + " has failed or is blocked (crm_mon)");
        s.vips.push_back(v);
    }
    if (!bad.empty()) {
        s.verdict = "BAD";
        s.reasons = bad;
        s.reasons.insert(s.reasons.end(), moved.begin(), moved.end());
    } else if (!moved.empty()) {
        s.verdict = "FAILOVER";
        s.reasons = moved;
    } else {
        s.verdict = "HEALTHY";
    }
    if (s.dc.empty()) s.reasons.push_back("no DC: the cluster is electing one or has lost quorum; placement may change");
    return s;
}

std::string format_cluster_status(const ClusterStatus& s, const Config& config) {
    using ctl::some_of;
    using ctl::text_table;
    std::string out = "cluster " + config.ha_name + ": DC " + (s.dc.empty() ? "none" : s.dc) + ", quorum " +
                      (s.quorum ? "yes" : "no") + ", stonith " +
                      (s.stonith_enabled ? (*s.stonith_enabled ? "enabled" : "disabled") : "unknown") + "\n";
    // The counts first: with 64 nodes, what is not fine must not hide in the rows.
    std::size_t online = 0, healthy = 0, home = 0, away = 0, stopped = 0;
    std::vector<std::string> not_online, not_healthy, moved, not_running;
    for (const auto& n : s.nodes) {
        online += n.online;
        healthy += n.ganesha_healthy();
        if (!n.online) not_online.push_back(n.name);
        else if (!n.ganesha_healthy()) not_healthy.push_back(n.name);
    }
    for (const auto& v : s.vips) {
        if (v.running_on.empty()) {
            ++stopped;
            not_running.push_back(v.home + "'s");
        } else if (v.at_home()) {
            ++home;
        } else {
            ++away;
            moved.push_back(v.home + "'s");
        }
    }
    constexpr std::size_t kShown = 8;
    out += "nodes: " + std::to_string(s.nodes.size()) + ", " + std::to_string(online) + " online" +
           (not_online.empty() ? "" : " (offline: " + some_of(not_online, kShown) + ")") + ", " + std::to_string(healthy) +
           " with a healthy nfsd" + (not_healthy.empty() ? "" : " (nfsd down on " + some_of(not_healthy, kShown) + ")") + "\n";
    out += "VIPs: " + std::to_string(s.vips.size()) + ", " + std::to_string(home) + " at home, " +
           std::to_string(away) + " elsewhere" + (moved.empty() ? "" : " (" + some_of(moved, kShown) + ")") + ", " +
           std::to_string(stopped) + " not running" +
           (not_running.empty() ? "" : " (" + some_of(not_running, kShown) + ")") + "\n";
    std::vector<std::vector<std::string>> rows = {{"NODE", "STATE", "NFSD", "GRACE", "VIP", "RUNS ON"}};
    for (std::size_t i = 0; i < s.nodes.size() && i < s.vips.size(); ++i) {
        const auto& n = s.nodes[i];
        const auto& v = s.vips[i];
        std::string on = v.running_on.empty() ? "(not running)" : join(v.running_on, ",");
        if (v.running_on.size() == 1 && !v.at_home()) on += " (failover)";
        rows.push_back({n.name, !n.member ? "unknown" : n.online ? "online" : "offline",
                        n.ganesha_healthy() ? "healthy" : n.online ? "down" : "-",
                        n.grace_active ? *n.grace_active : "-", v.address, on});
    }
    out += text_table(rows);
    out += "verdict: " + s.verdict + "\n";
    for (const auto& r : s.reasons) out += "  " + r + "\n";
    return out;
}

// ---- config edits ----------------------------------------------------------------------

std::string config_with_node_added(std::string_view text, const Config& config, const std::string& node,
                                   const std::string& vip) {
    if (!is_host_name(node)) throw std::invalid_argument("'" + node + "' is not a valid host name");
    if (!is_address(vip)) throw std::invalid_argument("VIP '" + vip + "' is not an IPv4 or IPv6 address");
    for (const auto& n : config.cluster_nodes)
        if (lower(n) == lower(node)) throw std::invalid_argument("node " + n + " is already in HA_CLUSTER_NODES");
    ConfigLines lines(text);
    std::vector<std::string> nodes = config.cluster_nodes;
    nodes.push_back(node);
    lines.set_nodes(nodes);
    const std::string key = "VIP_" + node_key(node);
    const std::string assignment = key + "=\"" + vip + "\"";
    if (const auto at = lines.find(key)) {
        std::string prefix;
        ConfigLines::key(lines.lines[*at], &prefix);
        lines.lines[*at] = prefix + assignment;  // a VIP_ line for a node that was not listed yet
    } else {
        std::size_t after = *lines.find("HA_CLUSTER_NODES");
        for (std::size_t i = 0; i < lines.lines.size(); ++i)
            if (ConfigLines::key(lines.lines[i]).starts_with("VIP_")) after = i;
        lines.lines.insert(lines.lines.begin() + static_cast<std::ptrdiff_t>(after) + 1, assignment);
    }
    std::string result = lines.text();
    ConfigOverrides overrides;
    overrides.any_node = true;
    parse_config(result, config.source, overrides);  // throws ConfigError
    return result;
}

std::string config_with_node_deleted(std::string_view text, const Config& config, const std::string& node) {
    const auto it = std::find(config.cluster_nodes.begin(), config.cluster_nodes.end(), node);
    if (it == config.cluster_nodes.end())
        throw std::invalid_argument("node '" + node + "' is not in HA_CLUSTER_NODES (" + join(config.cluster_nodes, ",") + ")");
    if (config.cluster_nodes.size() <= 2)
        throw std::invalid_argument("insufficient servers for HA: deleting " + node + " would leave " +
                                    std::to_string(config.cluster_nodes.size() - 1) + " node; at least 2 are needed");
    ConfigLines lines(text);
    if (lines.find("HA_NODE") && config.node == node)
        throw std::invalid_argument(config.source + " names " + node + " as this node (HA_NODE): it is the file of the "
                                    "node being deleted; run delete with another node's file");
    std::vector<std::string> nodes = config.cluster_nodes;
    nodes.erase(nodes.begin() + (it - config.cluster_nodes.begin()));
    lines.set_nodes(nodes);
    if (const auto at = lines.find("VIP_" + node_key(node)))
        lines.lines.erase(lines.lines.begin() + static_cast<std::ptrdiff_t>(*at));
    std::string result = lines.text();
    ConfigOverrides overrides;
    overrides.any_node = true;
    parse_config(result, config.source, overrides);
    return result;
}

// ---- entry point ----------------------------------------------------------------------

int cluster_main(const std::vector<std::string>& args, const ClusterOptions& options) {
    Args a;
    a.options = options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--config" || arg == "--wait" || arg == "--ganesha-conf") {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "ganesha-hactl cluster: %s needs a value\n", arg.c_str());
                return exit_usage;
            }
            const std::string& value = args[++i];
            if (arg == "--config") {
                a.options.config = value;
            } else if (arg == "--ganesha-conf") {
                if (value.empty()) {
                    std::fprintf(stderr, "ganesha-hactl cluster: --ganesha-conf needs a path\n");
                    return exit_usage;
                }
                a.ganesha_conf = value;
            } else {
                long long s = -1;
                const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
                if (ec != std::errc{} || ptr != value.data() + value.size() || s < 0 || s > 3600) {
                    std::fprintf(stderr, "ganesha-hactl cluster: --wait '%s' must be 0..3600 seconds\n", value.c_str());
                    return exit_usage;
                }
                a.wait = std::chrono::seconds(s);
            }
        } else if (arg == "--json") {
            a.options.json = true;
        } else if (arg == "--help" || arg == "-h" || arg == "help") {
            std::fputs(kHelp, stdout);
            return exit_ok;
        } else if (arg.size() > 1 && arg[0] == '-' && arg[1] == '-') {
            std::fprintf(stderr, "ganesha-hactl cluster: unknown option %s\n", arg.c_str());
            return exit_usage;
        } else {
            a.words.push_back(arg);
        }
    }
    if (a.words.empty()) {
        std::fputs(kHelp, stderr);
        return exit_usage;
    }
    const std::string& sub = a.words.front();
    try {
        if (sub == "show-cib") return show_cib(a);
        if (sub == "setup") return setup(a);
        if (sub == "teardown") return teardown(a);
        if (sub == "add") return change_nodes(a, true);
        if (sub == "delete") return change_nodes(a, false);
        if (sub == "status") return status(a);
        if (sub == "refresh-config") return refresh_config(a);
        std::fprintf(stderr, "ganesha-hactl cluster: unknown subcommand '%s'\n%s", sub.c_str(), kHelp);
        return exit_usage;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", e.what());
        return exit_config;
    } catch (const LayoutError& e) {
        std::fprintf(stderr, "ganesha-hactl: %s: %s\n", a.options.config.c_str(), e.what());
        return exit_config;
    } catch (const Failure& e) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", e.what());
        return e.code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ganesha-hactl: %s\n", e.what());
        return exit_failed;
    }
}

}  // namespace gha::cluster
