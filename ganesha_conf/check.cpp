// The rules (nfs-ganesha 4.3; paths are in its source tree):
//
// Where a value comes from. Blocks and parameters match case-insensitively
// (config_parsing.c: strcasecmp in lookup_node and load_config_from_parse).
// NFS_CORE_PARAM and NFSv4 may appear more than once; ganesha processes each
// block in turn and proc_block() starts every one from the defaults
// (do_block_init), so the LAST block is the one that counts. Within a block a
// repeated parameter is applied in order (not CONFIG_UNIQUE): the last wins.
//
// 1. NFS_CORE_PARAM.Clustered must be false (default true: nfs_read_conf.c
//    CONF_ITEM_BOOL("Clustered", true, ...)). recovery_fs.c
//    fs_create_recov_dir(): clustered adds "/node%d" to the records'
//    directory, while fs_read_recov_clids_takeover() reads EVENT_TAKE_IP
//    from "%s/%s/%s" = RecoveryRoot/<address>/RecoveryDir.
// 2. NFSv4.RecoveryBackend must be fs (the default: gsh_config.h
//    RECOVERY_BACKEND_DEFAULT RECOVERY_BACKEND_FS; tokens fs, fs_ng,
//    rados_kv, rados_ng, rados_cluster in nfs_read_conf.c). The others keep
//    records elsewhere (fs_ng: per-epoch directories behind a v4recov
//    symlink, recovery_fs_ng.c; rados_*: RADOS objects).
// 3. NFSv4.RecoveryRoot unset (NFS_V4_RECOV_ROOT = "/var/lib/nfs/ganesha",
//    config-h.in.cmake) or <var_lib_nfs>/ganesha: the ganesha_nfsd agent
//    makes var_lib_nfs a link to the node's directory on the shared volume
//    and links each peer's VIP there, so <RecoveryRoot>/<VIP>/v4recov is the
//    peer's v4recov. Unset is only right when var_lib_nfs is /var/lib/nfs.
// 4. NFSv4.Server_Scope set, 1-255 bytes (CONF_ITEM_STR("Server_Scope", 1,
//    MAXNAMLEN, NULL, ...)) and the same on every node: without it
//    nfs4_op_exchange_id.c sends the host name + "_NFS-Ganesha", a different
//    scope per node, and NFSv4.1 clients do not reclaim from "another
//    server". Comparing nodes is the caller's part (the scope is returned).
// 5. NFSv4.Graceless must not be true: nfs_start_grace() (nfs4_recovery.c)
//    then lifts grace at once ("NFS Server skipping GRACE"), so a take-ip
//    grace protects nothing.
// 6. Warning: Grace_Period < Lease_Lifetime (defaults 90 and 60,
//    gsh_config.h; ranges 0-270 and 0-180): ganesha warns about it itself in
//    nfs_start_grace(): a client renewing once per lease may miss the grace.
// 7. Warning: RecoveryDir / RecoveryOldDir other than v4recov / v4old: the
//    agent prepares v4recov and v4old, and every node must use the same name.
// Booleans are the unquoted words true/yes/on, false/no/off in any case
// (conf_lex.l TRUE/FALSE; convert_bool() refuses anything else).
#include "ganesha_conf/check.hpp"

#include <charconv>
#include <filesystem>

#include "ganesha_conf/reader.hpp"

namespace gha::ganesha_conf {
namespace {

constexpr const char* kCore = "NFS_CORE_PARAM";
constexpr const char* kV4 = "NFSV4";

std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// The last top-level block named `name`, warning when there are several.
class Context {
public:
    Context(const Document& doc, CheckResult& result) : doc_(doc), result_(result) {}

    const Block* block(const char* name) {
        const auto all = doc_.root.blocks_named(name);
        if (all.empty()) return nullptr;
        if (all.size() > 1)
            warn(all.back()->where, name, std::to_string(all.size()) + " " + name +
                                              " blocks: ganesha starts each from the defaults, so only this last one counts",
                 "merge them into one " + std::string(name) + " block");
        return all.back();
    }

    // Where to report an absent parameter: its block, else the main file.
    Location absent_at(const Block* block) const {
        return block ? block->where : Location{doc_.files.empty() ? "" : doc_.files.front(), 0};
    }

    std::string write_hint(const Block* block, const char* block_name, const std::string& line) const {
        if (block) return "write \"" + line + "\" in " + block_name + " (" + block->where.to_string() + ")";
        return "add \"" + std::string(block_name) + " { " + line + " }\"";
    }

    // " (PARAM is written in BLOCK at file:line, where ganesha does not read it)"
    std::string misplaced(const char* param, const char* right_block) const {
        for (const auto& b : doc_.root.blocks) {
            if (iequals(b.name, right_block)) continue;
            if (const Statement* s = b.last_statement(param))
                return " (" + s->name + " is written in " + b.name + " at " + s->where.to_string() +
                       ", where ganesha does not read it)";
        }
        return "";
    }

    void error(Location where, std::string parameter, std::string problem, std::string fix) {
        result_.findings.push_back({Severity::error, std::move(where), std::move(parameter), std::move(problem),
                                    std::move(fix)});
    }
    void warn(Location where, std::string parameter, std::string problem, std::string fix) {
        result_.findings.push_back({Severity::warning, std::move(where), std::move(parameter), std::move(problem),
                                    std::move(fix)});
    }

private:
    const Document& doc_;
    CheckResult& result_;
};

// The single value of a statement, or an error finding.
const Value* single(Context& c, const Statement& s, const std::string& parameter) {
    if (s.values.size() == 1) return &s.values.front();
    c.error(s.where, parameter, s.values.empty() ? "has no value" : "has more than one value",
            "give it exactly one value");
    return nullptr;
}

std::optional<bool> as_bool(const Value& v) {
    if (v.quoted) return std::nullopt;
    const std::string w = lower(v.text);
    if (w == "true" || w == "yes" || w == "on") return true;
    if (w == "false" || w == "no" || w == "off") return false;
    return std::nullopt;
}

// ganesha's numbers: decimal, 0x hexadecimal, 0 octal (conf_lex.l).
std::optional<unsigned long long> as_number(const Value& v) {
    if (v.quoted || v.text.empty()) return std::nullopt;
    std::string_view t = v.text;
    int base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        t.remove_prefix(2);
    } else if (t.size() > 1 && t[0] == '0') {
        base = 8;
        t.remove_prefix(1);
    }
    unsigned long long n = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n, base);
    if (ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
    return n;
}

std::string normal_path(const std::string& p) {
    std::string s = std::filesystem::path(p).lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

void check_clustered(Context& c, const Block* core) {
    const std::string param = std::string(kCore) + ".Clustered";
    const std::string why =
        "a survivor's take-ip grace would read <RecoveryRoot>/<VIP>/v4recov while records are written under "
        "v4recov/node<id>, so clients of a failed node could not reclaim their state";
    const Statement* s = core ? core->last_statement("Clustered") : nullptr;
    if (!s) {
        c.error(c.absent_at(core), param, "is true (ganesha's default when absent): " + why + c.misplaced("Clustered", kCore),
                c.write_hint(core, kCore, "Clustered = false;"));
        return;
    }
    const Value* v = single(c, *s, param);
    if (!v) return;
    const auto b = as_bool(*v);
    if (!b) {
        c.error(s->where, param, "'" + v->text + "' is not a boolean ganesha accepts (unquoted true/false, yes/no, on/off)",
                "write \"Clustered = false;\"");
    } else if (*b) {
        c.error(s->where, param, "is " + v->text + ": " + why, "write \"Clustered = false;\" in " + std::string(kCore));
    }
}

void check_backend(Context& c, const Block* v4) {
    const Statement* s = v4 ? v4->last_statement("RecoveryBackend") : nullptr;
    if (!s) return;  // fs, the default
    const std::string param = std::string(kV4) + ".RecoveryBackend";
    const Value* v = single(c, *s, param);
    if (!v) return;
    const std::string fix = "write \"RecoveryBackend = fs;\" (or remove the line: fs is the default)";
    const std::string b = lower(v->text);
    if (b == "fs") return;
    if (b == "fs_ng")
        c.error(s->where, param, "is fs_ng: it keeps its records in per-epoch directories behind a v4recov symlink "
                                 "(recovery_fs_ng.c), a layout the ganesha_nfsd agent's per-VIP links and ganesha-ha's "
                                 "take-ip grace do not handle", fix);
    else if (b == "rados_kv" || b == "rados_ng" || b == "rados_cluster")
        c.error(s->where, param, "is " + b + ": records live in RADOS objects, not in the shared state directory the "
                                             "take-ip grace of a survivor reads; ganesha-ha does not support it", fix);
    else
        c.error(s->where, param, "'" + v->text + "' is not a recovery backend ganesha knows (fs, fs_ng, rados_kv, "
                                                 "rados_ng, rados_cluster)", fix);
}

void check_root(Context& c, const Block* v4, const CheckOptions& options) {
    const std::string param = std::string(kV4) + ".RecoveryRoot";
    const std::string wanted = normal_path(options.var_lib_nfs + "/ganesha");
    const std::string why = "the ganesha_nfsd agent links " + options.var_lib_nfs +
                            " to this node's state directory on the shared volume and each peer's VIP into it, so "
                            "only " + wanted + "/<VIP>/v4recov leads to a failed peer's records";
    const Statement* s = v4 ? v4->last_statement("RecoveryRoot") : nullptr;
    if (!s) {
        if (wanted != "/var/lib/nfs/ganesha")
            c.error(c.absent_at(v4), param, "is /var/lib/nfs/ganesha (ganesha's default when absent): " + why,
                    c.write_hint(v4, kV4, "RecoveryRoot = \"" + wanted + "\";"));
        return;
    }
    const Value* v = single(c, *s, param);
    if (!v) return;
    if (v->text.empty() || v->text.front() != '/' || normal_path(v->text) != wanted)
        c.error(s->where, param, "is '" + v->text + "': " + why,
                "remove the line (the default is /var/lib/nfs/ganesha) or write \"RecoveryRoot = \"" + wanted +
                    "\";\"" + (wanted == "/var/lib/nfs/ganesha" ? "" : " (the agent's var_lib_nfs + /ganesha)"));
}

void check_scope(Context& c, const Block* v4, CheckResult& result) {
    const std::string param = std::string(kV4) + ".Server_Scope";
    const std::string fix = c.write_hint(v4, kV4, "Server_Scope = \"<cluster name>\";") +
                            ", the same string on every node (HA_NAME is a good choice)";
    const Statement* s = v4 ? v4->last_statement("Server_Scope") : nullptr;
    if (!s) {
        c.error(c.absent_at(v4), param,
                "is not set: ganesha then presents its host name + \"_NFS-Ganesha\" (nfs4_op_exchange_id.c), a "
                "different scope on every node, so NFSv4.1 clients do not reclaim their opens and locks on the node "
                "that takes a VIP" + c.misplaced("Server_Scope", kV4),
                fix);
        return;
    }
    const Value* v = single(c, *s, param);
    if (!v) return;
    if (v->text.empty() || v->text.size() > 255) {
        c.error(s->where, param, v->text.empty() ? "is empty (ganesha refuses it: 1-255 bytes)"
                                                 : "is longer than 255 bytes (ganesha refuses it)", fix);
        return;
    }
    result.server_scope = v->text;
    result.server_scope_where = s->where;
}

struct Number {
    const Statement* statement = nullptr;
    unsigned long long value = 0;
    bool ok = true;
};

Number number_param(Context& c, const Block* v4, const char* name, unsigned long long fallback,
                    unsigned long long max) {
    Number n{nullptr, fallback};
    n.statement = v4 ? v4->last_statement(name) : nullptr;
    if (!n.statement) return n;
    const std::string param = std::string(kV4) + "." + name;
    const Value* v = single(c, *n.statement, param);
    const auto parsed = v ? as_number(*v) : std::nullopt;
    if (!parsed || *parsed > max) {
        if (v)
            c.error(n.statement->where, param, "'" + v->text + "' is not a number from 0 to " + std::to_string(max) +
                                                   " (ganesha refuses it)",
                    "write a whole number of seconds");
        n.ok = false;
        return n;
    }
    n.value = *parsed;
    return n;
}

void check_grace(Context& c, const Block* v4, CheckResult& result) {
    if (const Statement* s = v4 ? v4->last_statement("Graceless") : nullptr) {
        const std::string param = std::string(kV4) + ".Graceless";
        if (const Value* v = single(c, *s, param)) {
            const auto b = as_bool(*v);
            if (!b)
                c.error(s->where, param, "'" + v->text + "' is not a boolean ganesha accepts", "remove the line");
            else if (*b)
                c.error(s->where, param,
                        "is true: ganesha then skips every grace period (nfs4_recovery.c nfs_start_grace), so a "
                        "survivor's take-ip grace protects nothing and clients of a failed node can lose their locks "
                        "to others",
                        "remove the line (the default is false)");
        }
    }
    const Number lease = number_param(c, v4, "Lease_Lifetime", 60, 180);
    const Number grace = number_param(c, v4, "Grace_Period", 90, 270);
    if (grace.ok) result.grace_period_s = static_cast<unsigned>(grace.value);
    if (lease.ok && grace.ok && grace.value < lease.value) {
        const Statement* at = grace.statement ? grace.statement : lease.statement;
        c.warn(at->where, std::string(kV4) + ".Grace_Period",
               "is " + std::to_string(grace.value) + " s, shorter than Lease_Lifetime " + std::to_string(lease.value) +
                   " s (ganesha warns about this too): a client that renews once per lease may miss the grace "
                   "period and lose its state",
               "make Grace_Period at least Lease_Lifetime");
    }
}

void check_dirs(Context& c, const Block* v4) {
    for (const auto& [name, fallback] : {std::pair{"RecoveryDir", "v4recov"}, std::pair{"RecoveryOldDir", "v4old"}}) {
        const Statement* s = v4 ? v4->last_statement(name) : nullptr;
        if (!s || s->values.size() != 1 || s->values.front().text == fallback) continue;
        c.warn(s->where, std::string(kV4) + "." + name,
               "is '" + s->values.front().text + "', not " + fallback +
                   ": every node must use the same name, and the ganesha_nfsd agent prepares " + fallback,
               "remove the line unless every node has it");
    }
}

}  // namespace

std::string Finding::to_string() const {
    return where.to_string() + ": " + (severity == Severity::error ? "error" : "warning") + ": " + parameter + " " +
           problem + "; " + fix;
}

bool CheckResult::has_errors() const {
    for (const auto& f : findings)
        if (f.severity == Severity::error) return true;
    return false;
}

CheckResult check(const Document& document, const CheckOptions& options) {
    CheckResult result;
    result.files = document.files;
    Context c(document, result);
    const Block* core = c.block(kCore);
    const Block* v4 = c.block(kV4);
    check_clustered(c, core);
    check_backend(c, v4);
    check_root(c, v4, options);
    check_scope(c, v4, result);
    check_grace(c, v4, result);
    check_dirs(c, v4);
    return result;
}

FileCheck check_file(const std::string& path, const CheckOptions& options) {
    FileCheck out;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        out.missing = true;
        out.result.findings.push_back({Severity::error, {path, 0}, "ganesha.conf", "does not exist",
                                       "install nfs-ganesha or point to the file ganesha.nfsd reads (-f)"});
        return out;
    }
    try {
        out.result = check(read_file(path), options);
        out.readable = true;
    } catch (const ReadError& e) {
        out.result.findings.push_back({Severity::error, e.where(), "ganesha.conf", e.problem(),
                                       "fix the file so that ganesha can read it"});
    }
    return out;
}

std::uint64_t scope_fingerprint(std::string_view scope) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char ch : scope) {
        h ^= static_cast<unsigned char>(ch);
        h *= 0x100000001b3ULL;
    }
    return h == 0 ? 1 : h;
}

}  // namespace gha::ganesha_conf
