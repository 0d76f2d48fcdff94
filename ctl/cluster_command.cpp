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

#include "ctl/glusterfs_adoption.hpp"
#include "ctl/cluster_support.hpp"
#include "ctl/run_command.hpp"
#include "ctl/text_table.hpp"
#include "ganesha_conf/check.hpp"
#include "service/vip_taker.hpp"

namespace gha::cluster {
namespace {

namespace fs = std::filesystem;
using Monotonic = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kOldData = 103;    // CRM_EX_OLD: the CIB changed since we read it
constexpr int kDigest = 104;     // CRM_EX_DIGEST
constexpr int kApplyAttempts = 5;

}  // namespace

const char* const kClusterHelp = R"(usage: ganesha-hactl cluster [--config PATH] [--json] [--wait SECONDS] SUBCOMMAND [ARGS]

Subcommands (ganesha-ha.conf: --config, default /etc/ganesha/ganesha-ha.conf):
  show-cib               print the CIB layout (resources, constraints, properties) setup applies
  setup                  check this node's ganesha.conf (--ganesha-conf PATH, default HA_GANESHA_CONF or
                         /etc/ganesha/ganesha.conf; see `ganesha-hactl ganesha-conf check`) and refuse when
                         clients would lose their state on failover; then apply the layout to the running
                         cluster (idempotent), set no-quorum-policy, wait until every resource is placed
  setup --adopt-glusterfs
                         the same on a cluster GlusterFS's ganesha-ha.sh made: take its objects over (one
                         CIB patch, no VIP stopped or moved; refused, naming the object, when one cannot be
                         taken over), so that setup and teardown manage them; run setup again once placed
  teardown               remove exactly what setup created (the objects listed in tag ganesha-ha)
  add NODE VIP           add a node and its VIP to the layout and to ganesha-ha.conf (with a .bak)
  delete NODE            remove a node and its VIP from the layout and from ganesha-ha.conf
  status                 nodes, ganesha health, drains, where each VIP runs, and a verdict (--json too)
  drain NODE             keep NODE's VIPs away, across restarts: HA_DRAINED_ATTR=1 (ganesha-drained) in the
                         CIB; NODE's ganesha-had moves them the safe way; waits until NODE holds none
                         (root or HA_CONTROL_GROUP; draining a drained node is success)
  undrain NODE           end NODE's drain; waits until its VIP is back (once its ganesha.nfsd is healthy)
  move VIP|NODE TARGET   move a VIP (named by its address or its home node) to TARGET: TARGET's ganesha enters
                         grace for it first, as on a failover; lasts until the VIP next leaves TARGET (a failure
                         or drain of TARGET) or `move VIP|NODE HOME`; waits until it runs there
  refresh-config [--ganesha-conf PATH] EXPORT_ID
                         re-read export EXPORT_ID from ganesha.conf (default HA_GANESHA_CONF or
                         /etc/ganesha/ganesha.conf)
                         in the LOCAL ganesha.nfsd (D-Bus UpdateExport); run it on every node

Options:
  --wait SECONDS   bound on waiting for placement after setup/add/delete/teardown, for drain/undrain/move to
                   take effect (default 120; 0: no wait)
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
Options may come before or after the subcommand; --key=value works too. `ganesha-hactl cluster SUBCOMMAND
--help` describes one subcommand.
)";

namespace {

// ---- ganesha-ha.conf ---------------------------------------------------------

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

pugi::xml_document without_status(pugi::xml_node cib) {
    pugi::xml_document copy;
    pugi::xml_node root = copy.append_copy(cib);
    while (const pugi::xml_node status = root.child("status")) root.remove_child(status);
    root.append_child("status");
    return copy;
}

long long number(const std::string& text) {
    long long v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && ptr == text.data() + text.size() ? v : 0;
}

// GlusterFS's objects to take over (setup --adopt-glusterfs): the config
// they are checked against.
struct AdoptFrom {
    const Config* config = nullptr;
};

// The layout as it applies to this CIB: VIPs keep the agent they run with,
// GlusterFS's objects are taken over when asked. Returns the ids taken
// over now (not ours yet).
std::set<std::string> fit_layout(pugi::xml_node conf, AdoptFrom adopt, Layout& layout) {
    std::set<std::string> ours = tagged_ids(conf), fresh;
    if (adopt.config) {
        Layout adjusted = layout;
        const Adoption adoption = adopt_glusterfs(conf, *adopt.config, adjusted);
        if (!adoption.refusals.empty())
            throw Failure(exit_failed, "refusing to take over GlusterFS's layout (nothing was changed):\n  " +
                                           join(adoption.refusals, "\n  "));
        for (const auto& id : adoption.ids)
            if (!ours.count(id)) fresh.insert(id);
        if (fresh.empty() && !conf.child("tags").find_child_by_attribute("tag", "id", std::string(kTagId).c_str()))
            throw Failure(exit_failed, "--adopt-glusterfs: no object of GlusterFS's ganesha-ha.sh in the CIB "
                                       "(nfs-grace-clone, <node>-cluster_ip-1, ...); nothing was changed");
        if (fresh.empty()) {
            // Taken over already (a second run): the plain layout.
            say("nothing of GlusterFS's ganesha-ha.sh left to take over: applying the layout as setup does");
        } else {
            say("taking over from GlusterFS's ganesha-ha.sh: " + join({fresh.begin(), fresh.end()}, " "));
            if (!adoption.stopped.empty())
                say("stopped now, removed by the next setup (stopping them together could leave port 2049 "
                    "blocked): " + join(adoption.stopped, " "));
            layout = std::move(adjusted);
            ours.insert(fresh.begin(), fresh.end());
        }
    }
    keep_vip_agents(conf, ours, layout);
    return fresh;
}

// One atomic, verified CIB change (see the header comment), of the layout
// as fitted to the CIB it is planned on (fit_layout).
Applied apply(const Layout* desired, AdoptFrom adopt = {}) {
    std::set<std::string> adopted;
    Applied result = apply_plan([&](pugi::xml_node conf) {
        Layout fitted;
        adopted.clear();
        if (desired) {
            fitted = *desired;
            adopted = fit_layout(conf, adopt, fitted);
        }
        return plan_change(conf, desired ? &fitted : nullptr, adopted);
    });
    result.adopted = std::move(adopted);
    return result;
}

}  // namespace

Applied apply_plan(const std::function<Plan(pugi::xml_node configuration)>& planner) {
    for (int attempt = 1;; ++attempt) {
        std::string raw;
        const pugi::xml_document cib_document = query_cib(raw);
        const pugi::xml_node cib = cib_document.document_element();
        const pugi::xml_node conf = cib.child("configuration");
        if (!conf) throw Failure(exit_failed, "the CIB has no <configuration>");
        Applied result{false, planner(conf)};
        Plan& plan = result.plan;
        if (!plan.conflicts.empty())
            throw Failure(exit_failed, "refusing to change the CIB (nothing was changed):\n  " +
                                           join(plan.conflicts, "\n  ") +
                                           "\nremove or rename those objects, or run teardown first if they are "
                                           "left from an older layout; a cluster GlusterFS's ganesha-ha.sh set up: "
                                           "setup --adopt-glusterfs takes its objects over");
        if (!plan.dangling.empty())
            throw Failure(exit_failed, "refusing to remove objects that others refer to (nothing was changed):\n  " +
                                           join(plan.dangling, "\n  ") + "\nremove those references first");
        if (!plan.changed) return result;

        // crm_diff makes a positional (format 2) patch only for a CIB with a
        // crm_feature_set above 3.0.8, as every live CIB has; a hand-written
        // CIB_file may lack it, and format 1 patches lose the order of new
        // children (the digest check then fails).
        pugi::xml_document original_document;
        const pugi::xml_node original = original_document.append_copy(cib);
        if (!xml::has(original, "crm_feature_set")) xml::set(original, "crm_feature_set", "3.0.9");
        pugi::xml_document updated_document;
        pugi::xml_node updated = updated_document.append_copy(original);
        const pugi::xml_node old_configuration = updated.child("configuration");
        updated.insert_copy_after(plan.configuration.document_element(), old_configuration);
        updated.remove_child(old_configuration);
        xml::set(updated, "epoch", std::to_string(number(xml::get(cib, "epoch")) + 1));
        xml::set(updated, "num_updates", "0");

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

namespace {

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
        xml::visit(xml::parse(r.out).document_element(), [&](pugi::xml_node e) {
            if (std::string_view(e.name()) == "crmd") state = xml::get(e, "state");
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
    const auto started = Monotonic::now();
    std::string last;
    auto last_print = started;
    for (;;) {
        const Mon mon = parse_mon(query_crm_mon().document_element());
        Progress p = placement(layout, config, mon);
        if (p.done) {
            const std::string state = dc_state(mon.dc);
            if (state != "S_IDLE") {
                p.done = false;
                p.summary += "; waiting for the DC (" + (mon.dc.empty() ? std::string("none") : mon.dc) + ", " +
                             (state.empty() ? std::string("state unknown") : state) + ") to finish its transition";
            }
        }
        const auto now = Monotonic::now();
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
    const auto started = Monotonic::now();
    std::string last;
    for (;;) {
        const Mon mon = parse_mon(query_crm_mon().document_element());
        std::vector<std::string> still;
        for (const auto& id : ids)
            if (!active_nodes(mon, id, nullptr, true).empty()) still.push_back(id);
        const double elapsed = std::chrono::duration<double>(Monotonic::now() - started).count();
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "[%5.1fs] ", elapsed);
        if (still.empty()) {
            say(std::string(stamp) + "every removed resource has stopped");
            return true;
        }
        const std::string summary = "still running: " + join(still, ", ");
        if (summary != last) say(std::string(stamp) + summary);
        last = summary;
        if (Monotonic::now() - started >= std::chrono::seconds(bound)) {
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

using Args = ClusterArgs;

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
    const Applied applied = apply(&layout, {a.adopt_glusterfs ? &l.config : nullptr});
    report_applied(applied);
    check_cluster(layout, parse_mon(query_crm_mon().document_element()));
    crm_verify_live();
    const bool placed = wait_placed(layout, l.config, a.wait);
    if (!applied.adopted.empty() && applied.changed)
        say("next, once every resource is placed: `ganesha-hactl cluster setup` (adds the orders grace -> VIP and "
            "trigger -> VIP, removes the stopped portblocks; no VIP stops or moves)");
    return placed ? exit_ok : exit_failed;
}

std::vector<std::string> resource_ids(const Plan& plan, pugi::xml_node before) {
    // Top-level resources among the removed objects (they show up in crm_mon).
    std::vector<std::string> out;
    for (const pugi::xml_node r : xml::elements(before.child("resources")))
        if (std::find(plan.removed.begin(), plan.removed.end(), xml::get(r, "id")) != plan.removed.end())
            out.push_back(xml::get(r, "id"));
    return out;
}

int teardown(const Args& a) {
    expect_operands(a, 0, "teardown");
    std::string raw;
    const pugi::xml_document cib = query_cib(raw);
    const pugi::xml_node conf = cib.document_element().child("configuration");
    if (!conf) throw Failure(exit_failed, "the CIB has no <configuration>");
    const Plan preview = plan_change(conf, nullptr);
    if (!preview.changed) {
        say("no ganesha-ha layout in the CIB (no tag " + std::string(kTagId) + "): nothing to tear down");
        // Objects with our ids that the tag does not list are someone else's.
        try {
            const Loaded l = load(a.options.config);
            const Layout layout = build_layout(l.config, l.options);
            std::vector<std::string> found;
            xml::visit(conf, [&](pugi::xml_node e) {
                for (const auto& o : layout.objects)
                    if (xml::get(e, "id") == o.id && std::string_view(e.name()) != "obj_ref") found.push_back(o.id);
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
    for (const pugi::xml_node r : xml::elements(conf.child("resources")))
        if (xml::get(r, "id").ends_with("-dead_ip-1")) dead.push_back(xml::get(r, "id"));
    if (!dead.empty())
        say("note: left in place (created by ganesha-had at run time, not by setup): " + join(dead, " "));
    return wait_gone(resource_ids(applied.plan, conf), a.wait) ? exit_ok : exit_failed;
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
        const pugi::xml_document cib = query_cib(raw);
        bool tagged = false;
        for (const pugi::xml_node t : cib.document_element().child("configuration").child("tags").children("tag"))
            tagged = tagged || xml::get(t, "id") == kTagId;
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
    check_cluster(layout, parse_mon(query_crm_mon().document_element()));
    return wait_placed(layout, after.config, a.wait) ? exit_ok : exit_failed;
}

json status_json(const ClusterStatus& s, const Config& config) {
    json nodes = json::array(), vips = json::array();
    for (const auto& n : s.nodes) {
        json j{{"name", n.name},
               {"member", n.member},
               {"online", n.online},
               {"ganesha_healthy", n.ganesha_healthy()},
               {"drained", n.drained}};
        j["ganesha_active"] = n.ganesha_active ? json(*n.ganesha_active) : json(nullptr);
        j["grace_active"] = n.grace_active ? json(*n.grace_active) : json(nullptr);
        nodes.push_back(j);
    }
    for (const auto& v : s.vips)
        vips.push_back({{"resource", v.resource}, {"address", v.address}, {"home", v.home}, {"running_on", v.running_on},
                        {"at_home", v.at_home()}, {"ready_on", v.ready_on}, {"failed", v.failed}});
    json j{{"verdict", s.verdict}, {"reasons", s.reasons}, {"ha_name", config.ha_name}, {"nodes", nodes},
           {"vips", vips}, {"dc", s.dc.empty() ? json(nullptr) : json(s.dc)}, {"quorum", s.quorum},
           {"no_quorum_policy", s.no_quorum_policy}};
    j["stonith_enabled"] = s.stonith_enabled ? json(*s.stonith_enabled) : json(nullptr);
    return j;
}

int status(const Args& a) {
    expect_operands(a, 0, "status");
    const Loaded l = load(a.options.config);
    const ClusterStatus s = evaluate_status(l.config, query_crm_mon().document_element());
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

std::set<std::string> tagged_ids(pugi::xml_node configuration) {
    const std::string tag_id(kTagId);
    std::set<std::string> owned = {tag_id};
    for (const pugi::xml_node t : xml::element_of(configuration).child("tags").children("tag"))
        if (xml::get(t, "id") == tag_id)
            for (const pugi::xml_node ref : t.children("obj_ref")) owned.insert(xml::get(ref, "id"));
    // The tag lists every VIP, not the VIP's own constraints (layout_tag).
    return owned_ids(owned);
}

Plan plan_change(pugi::xml_node configuration, const Layout* desired, const std::set<std::string>& adopted) {
    const pugi::xml_node conf = xml::element_of(configuration);
    Plan plan;
    plan.configuration.append_copy(conf);
    const std::string tag_id(kTagId);

    std::set<std::string> owned = tagged_ids(conf);
    owned.insert(adopted.begin(), adopted.end());
    // A `cluster move`'s constraint is ours too, though no tag lists it (the
    // target's daemon deletes it when the move ends, and a tag would then
    // refer to nothing): setup, add and delete rebalance, which ends every
    // move, and teardown removes it.
    for (const pugi::xml_node c : conf.child("constraints").children("rsc_location"))
        if (xml::get(c, "id").starts_with(kMoveConstraintPrefix)) owned.insert(xml::get(c, "id"));

    struct Want {
        std::string section;
        pugi::xml_document document;
        pugi::xml_node element() const { return document.document_element(); }
    };
    // Filled once, then only read: nodes and pointers into it stay valid.
    std::vector<Want> wanted;
    if (desired) {
        wanted.reserve(desired->objects.size() + 1);
        for (const auto& o : desired->objects) wanted.push_back({o.section, xml::parse(o.xml)});
        wanted.push_back({desired->tag.section, xml::parse(desired->tag.xml)});
    }
    auto wanted_in = [&](const std::string& section, const std::string& id) -> const Want* {
        for (const auto& w : wanted)
            if (w.section == section && xml::get(w.element(), "id") == id) return &w;
        return nullptr;
    };
    auto is_ref = [](pugi::xml_node e) {
        const std::string_view name = e.name();
        return name == "obj_ref" || name == "resource_ref";
    };

    // Ids in use by what we do not own; ids of what we own and would remove.
    std::map<std::string, std::string> foreign;  // id -> element name
    std::set<std::string> removing;
    std::vector<pugi::xml_node> foreign_tops;
    for (const pugi::xml_node section : xml::elements(conf)) {
        for (const pugi::xml_node e : xml::elements(section)) {
            if (xml::has(e, "id") && !is_ref(e) && owned.count(xml::get(e, "id"))) {
                if (!wanted_in(section.name(), xml::get(e, "id")))
                    xml::visit(e, [&](pugi::xml_node x) {
                        if (xml::has(x, "id") && !is_ref(x)) removing.insert(xml::get(x, "id"));
                    });
                continue;
            }
            foreign_tops.push_back(e);
            xml::visit(e, [&](pugi::xml_node x) {
                if (xml::has(x, "id") && !is_ref(x)) foreign.emplace(xml::get(x, "id"), x.name());
            });
        }
    }
    // What leaves one of our elements but is wanted elsewhere (a VIP taken
    // out of GlusterFS's group) stays.
    for (const auto& w : wanted)
        xml::visit(w.element(), [&](pugi::xml_node x) {
            if (xml::has(x, "id") && !is_ref(x)) removing.erase(xml::get(x, "id"));
        });
    for (const auto& w : wanted)
        xml::visit(w.element(), [&](pugi::xml_node x) {
            if (!xml::has(x, "id") || is_ref(x)) return;
            const auto it = foreign.find(xml::get(x, "id"));
            if (it != foreign.end())
                plan.conflicts.push_back("id '" + it->first + "' is already used by a <" + it->second +
                                         "> that ganesha-hactl did not create (not in tag " + tag_id + ")");
        });
    for (const pugi::xml_node top : foreign_tops)
        xml::visit(top, [&](pugi::xml_node x) {
            const std::string where = "<" + std::string(top.name()) + " id=\"" + xml::get(top, "id") + "\"> refers to ";
            for (const char* attr : {"rsc", "with-rsc", "first", "then", "id-ref"})
                if (xml::has(x, attr) && removing.count(xml::get(x, attr))) plan.dangling.push_back(where + xml::get(x, attr));
            if (is_ref(x) && removing.count(xml::get(x, "id"))) plan.dangling.push_back(where + xml::get(x, "id"));
        });

    // The new configuration, section by section: our objects replaced in
    // place, removed, or appended; everything else untouched.
    pugi::xml_node out = plan.configuration.document_element();
    std::vector<std::string> sections = {"crm_config", "resources", "constraints", "tags"};
    for (const pugi::xml_node s : xml::elements(out))
        if (std::find(sections.begin(), sections.end(), s.name()) == sections.end()) sections.push_back(s.name());
    for (const auto& name : sections) {
        pugi::xml_node section = out.child(name.c_str());
        std::vector<const Want*> to_add;
        for (const auto& w : wanted)
            if (w.section == name) to_add.push_back(&w);
        if (!section) {
            if (to_add.empty()) continue;
            section = out.append_child(name.c_str());
        }
        std::set<std::string> kept;  // our ids met so far in this section
        for (const pugi::xml_node e : xml::elements(section)) {
            const std::string id = xml::get(e, "id");
            // A reference standing where objects belong is not one of ours
            // (found by fuzz/cib: taken for the object, it was replaced by a
            // second copy of it on the next setup).
            if (!xml::has(e, "id") || is_ref(e) || !owned.count(id)) continue;
            const Want* w = wanted_in(name, id);
            // Not wanted, or a second element with an id we already kept
            // (Pacemaker refuses a CIB with one id twice): removed.
            if (!w || !kept.insert(id).second) {
                plan.removed.push_back(id);
                section.remove_child(e);
                continue;
            }
            std::erase(to_add, w);
            if (!xml::equivalent(e, w->element())) {
                plan.replaced.push_back(id);
                xml::follow_attribute_order(section.insert_copy_before(w->element(), e), e);
                section.remove_child(e);
            }
        }
        for (const Want* w : to_add) {
            plan.created.push_back(xml::get(w->element(), "id"));
            section.append_copy(w->element());
        }
    }
    // The moves' requests go with their constraints (see above).
    for (const pugi::xml_node node : out.child("nodes").children("node"))
        remove_node_attributes(node, [](const std::string& name) { return name.starts_with(kMoveAttributePrefix); });
    // An empty <tags> left behind by teardown goes too.
    for (const pugi::xml_node s : xml::elements(out))
        if (std::string_view(s.name()) == "tags" && xml::elements(s).empty()) out.remove_child(s);
    // Only what the tag listed counts as removed in messages (not the tag itself).
    std::erase(plan.removed, tag_id);
    std::erase(plan.created, tag_id);
    std::erase(plan.replaced, tag_id);
    plan.changed = !xml::equivalent(conf, out);
    return plan;
}

// ---- status -------------------------------------------------------------------------

ClusterStatus evaluate_status(const Config& config, pugi::xml_node crm_mon) {
    const Mon mon = parse_mon(xml::element_of(crm_mon));
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
            if (const auto v = a->second.find(config.drained_attr); v != a->second.end())
                n.drained = v->second == "1" || v->second == "true" || v->second == "yes" || v->second == "on" ||
                            v->second == "y";
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
        for (const auto& [node, attrs] : mon.attributes)
            if (const auto r = attrs.find(vip_ready_attribute(name)); r != attrs.end() && r->second == "1")
                v.ready_on.push_back(node);
        const std::string what = "VIP " + v.address + " of " + name;
        if (!mon.resources.count(v.resource)) {
            bad.push_back(what + ": no resource " + v.resource + " (run cluster setup)");
        } else if (v.running_on.empty()) {
            bad.push_back(what + " is not running anywhere" +
                          (v.ready_on.empty() ? " (no node is in grace for it yet: " + vip_ready_attribute(name) +
                                                    "=1 nowhere; its home may start it)"
                                              : ""));
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
                                (!home.member   ? "not a cluster member"
                                 : !home.online ? "offline"
                                 : home.drained ? "DRAINED"
                                 : home.ganesha_healthy() ? "moved there (cluster move)"
                                                          : "ganesha.nfsd not healthy") +
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
    std::vector<std::string> not_online, not_healthy, moved, not_running, drained;
    for (const auto& n : s.nodes) {
        if (n.drained) drained.push_back(n.name);
        online += n.online;
        healthy += n.ganesha_healthy();
        if (!n.online) not_online.push_back(n.name);
        // A drain clears ganesha-active: its nfsd's health is not known here.
        else if (!n.ganesha_healthy() && !n.drained) not_healthy.push_back(n.name);
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
           " with a healthy nfsd" + (not_healthy.empty() ? "" : " (nfsd down on " + some_of(not_healthy, kShown) + ")") +
           (drained.empty() ? "" : ", " + std::to_string(drained.size()) + " DRAINED (" + some_of(drained, kShown) + ")") +
           "\n";
    out += "VIPs: " + std::to_string(s.vips.size()) + ", " + std::to_string(home) + " at home, " +
           std::to_string(away) + " elsewhere" + (moved.empty() ? "" : " (" + some_of(moved, kShown) + ")") + ", " +
           std::to_string(stopped) + " not running" +
           (not_running.empty() ? "" : " (" + some_of(not_running, kShown) + ")") + "\n";
    std::vector<std::vector<std::string>> rows = {{"NODE", "STATE", "NFSD", "GRACE", "VIP", "RUNS ON", "IN GRACE FOR IT"}};
    for (std::size_t i = 0; i < s.nodes.size() && i < s.vips.size(); ++i) {
        const auto& n = s.nodes[i];
        const auto& v = s.vips[i];
        std::string on = v.running_on.empty() ? "(not running)" : join(v.running_on, ",");
        if (v.running_on.size() == 1 && !v.at_home()) on += " (failover)";
        rows.push_back({n.name,
                        std::string(!n.member ? "unknown" : n.online ? "online" : "offline") + (n.drained ? " DRAINED" : ""),
                        n.ganesha_healthy() ? "healthy" : n.drained ? "(drained)" : n.online ? "down" : "-",
                        n.grace_active ? *n.grace_active : "-", v.address, on,
                        v.ready_on.empty() ? "-" : some_of(v.ready_on, 3)});
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

int cluster_main(const ClusterArgs& a) {
    if (a.words.empty()) {
        std::fputs(kClusterHelp, stderr);
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
        if (sub == "drain" || sub == "undrain") return drain_node(a, sub == "drain");
        if (sub == "move") return move_vip(a);
        std::fprintf(stderr, "ganesha-hactl cluster: unknown subcommand '%s'\n", sub.c_str());
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
