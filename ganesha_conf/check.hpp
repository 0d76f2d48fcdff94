// Does a ganesha.conf let NFSv4.1 clients keep their opens and locks when a
// VIP moves to another node of a ganesha-ha cluster? The rules, with the
// nfs-ganesha 4.3 source that decides each, are in check.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ganesha_conf/document.hpp"

namespace gha::ganesha_conf {

enum class Severity { error, warning };

struct Finding {
    Severity severity = Severity::error;
    Location where;         // line 0: the parameter is absent (the file, or the block to add it to)
    std::string parameter;  // "NFS_CORE_PARAM.Clustered"
    std::string problem;
    std::string fix;        // what to write instead
    std::string to_string() const;  // "file:line: error: PARAM ...: problem; fix"
};

inline constexpr std::string_view kDefaultGaneshaConf = "/etc/ganesha/ganesha.conf";
inline constexpr std::string_view kDefaultVarLibNfs = "/var/lib/nfs";  // ganesha_nfsd's var_lib_nfs

struct CheckOptions {
    std::string var_lib_nfs{kDefaultVarLibNfs};
};

struct CheckResult {
    std::vector<Finding> findings;
    std::optional<std::string> server_scope;  // NFSV4.Server_Scope as ganesha will use it
    Location server_scope_where;
    // NFSV4.Grace_Period as ganesha will use it (its default 90 when the
    // file does not set it); empty when the value is invalid.
    std::optional<unsigned> grace_period_s;
    std::vector<std::string> files;  // read, the main file first
    bool has_errors() const;
};

CheckResult check(const Document& document, const CheckOptions& options = {});

// Reads and checks `path`; a file that cannot be read or parsed is one error
// finding (and `readable` false).
struct FileCheck {
    CheckResult result;
    bool readable = false;
    bool missing = false;  // the main file does not exist
};
FileCheck check_file(const std::string& path, const CheckOptions& options = {});

// A short fingerprint of a server scope, to compare nodes without sending
// the scope: FNV-1a 64; never 0 (0 means "no scope known").
std::uint64_t scope_fingerprint(std::string_view scope);

}  // namespace gha::ganesha_conf
