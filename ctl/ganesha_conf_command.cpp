#include "ctl/ganesha_conf_command.hpp"

#include <cinttypes>
#include <cstdio>

namespace gha::ctl {
namespace {

namespace gc = gha::ganesha_conf;

constexpr const char* kUsage =
    "usage: ganesha-hactl [--json] ganesha-conf check [--ganesha-conf PATH] [--var-lib-nfs PATH] [--json]\n"
    "  checks that ganesha.conf (default /etc/ganesha/ganesha.conf) lets NFSv4.1 clients keep their\n"
    "  state across a failover: NFS_CORE_PARAM { Clustered = false; }, NFSV4 { Server_Scope = \"...\"; }\n"
    "  (the same on every node), RecoveryBackend fs, RecoveryRoot unset or <var-lib-nfs>/ganesha\n"
    "  (var-lib-nfs: the ganesha_nfsd agent's parameter, default /var/lib/nfs), Graceless not true.\n"
    "  Exit 0 clean (warnings allowed), 1 errors, 2 usage.\n";

std::string hex(std::uint64_t v) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "%016" PRIx64, v);
    return buffer;
}

std::size_t count(const gc::CheckResult& r, gc::Severity s) {
    std::size_t n = 0;
    for (const auto& f : r.findings) n += f.severity == s;
    return n;
}

}  // namespace

nlohmann::json check_json(const std::string& path, const gc::FileCheck& check) {
    const auto& r = check.result;
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : r.findings)
        findings.push_back({{"severity", f.severity == gc::Severity::error ? "error" : "warning"},
                            {"file", f.where.file},
                            {"line", f.where.line},
                            {"parameter", f.parameter},
                            {"problem", f.problem},
                            {"fix", f.fix},
                            {"text", f.to_string()}});
    nlohmann::json out{{"file", path},
                       {"files", r.files},
                       {"readable", check.readable},
                       {"missing", check.missing},
                       {"ok", !r.has_errors()},
                       {"errors", count(r, gc::Severity::error)},
                       {"warnings", count(r, gc::Severity::warning)},
                       {"findings", findings},
                       {"server_scope", nullptr},
                       {"server_scope_fingerprint", nullptr}};
    if (r.server_scope) {
        out["server_scope"] = *r.server_scope;
        out["server_scope_at"] = r.server_scope_where.to_string();
        out["server_scope_fingerprint"] = hex(gc::scope_fingerprint(*r.server_scope));
    }
    return out;
}

int ganesha_conf_main(const std::vector<std::string>& args, bool json) {
    std::string path{gc::kDefaultGaneshaConf};
    gc::CheckOptions options;
    bool check = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--ganesha-conf" || arg == "--var-lib-nfs") {
            if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1].front() != '/') {
                std::fprintf(stderr, "ganesha-hactl: %s needs an absolute path\n%s", arg.c_str(), kUsage);
                return 2;
            }
            (arg == "--ganesha-conf" ? path : options.var_lib_nfs) = args[++i];
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (arg == "check" && !check) {
            check = true;
        } else {
            std::fprintf(stderr, "ganesha-hactl: ganesha-conf: unexpected '%s'\n%s", arg.c_str(), kUsage);
            return 2;
        }
    }
    if (!check) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const gc::FileCheck result = gc::check_file(path, options);
    const auto& r = result.result;
    if (json) {
        std::printf("%s\n", check_json(path, result).dump(2).c_str());
        return r.has_errors() ? 1 : 0;
    }
    std::printf("ganesha.conf  %s", path.c_str());
    if (r.files.size() > 1) std::printf(" (and %zu included)", r.files.size() - 1);
    std::printf("\n");
    if (r.server_scope)
        std::printf("server scope  \"%s\" (%s), fingerprint %s: must be the same on every node\n",
                    r.server_scope->c_str(), r.server_scope_where.to_string().c_str(),
                    hex(gc::scope_fingerprint(*r.server_scope)).c_str());
    else
        std::printf("server scope  none\n");
    for (const auto& f : r.findings) std::printf("%s\n", f.to_string().c_str());
    const std::size_t errors = count(r, gc::Severity::error), warnings = count(r, gc::Severity::warning);
    if (errors)
        std::printf("FAILED: %zu error(s), %zu warning(s): clients would lose their state when a VIP moves\n", errors,
                    warnings);
    else
        std::printf("OK%s\n", warnings ? (" with " + std::to_string(warnings) + " warning(s)").c_str() : "");
    return errors ? 1 : 0;
}

}  // namespace gha::ctl
