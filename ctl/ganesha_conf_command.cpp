#include "ctl/ganesha_conf_command.hpp"

#include <cinttypes>
#include <cstdio>

namespace gha::ctl {
namespace {

namespace gc = gha::ganesha_conf;

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

int ganesha_conf_check(const GaneshaConfArgs& args, bool json) {
    const std::string& path = args.ganesha_conf;
    gc::CheckOptions options;
    if (!args.var_lib_nfs.empty()) options.var_lib_nfs = args.var_lib_nfs;
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
