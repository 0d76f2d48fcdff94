#include "actions/recovery_records.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>

#include "actions/tcp_peers.hpp"

namespace gha {

bool parse_recovery_record(const std::string& name, RecoveryRecord& out) {
    // "<address>-(<length>:<owner>)": the address has no "-(", the owner may
    // hold anything printable, and its length is checked as ganesha does.
    const auto open = name.find("-(");
    if (open == std::string::npos || open == 0 || name.back() != ')') return false;
    const auto colon = name.find(':', open + 2);
    if (colon == std::string::npos || colon == open + 2 || colon - open - 2 > 8) return false;
    const std::string digits = name.substr(open + 2, colon - open - 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
    const std::string owner = name.substr(colon + 1, name.size() - colon - 2);
    if (owner.empty() || std::stoul(digits) != owner.size()) return false;
    out.client_address = unmapped_address(name.substr(0, open));
    out.owner = owner;
    return true;
}

std::vector<RecoveryRecord> read_recovery_records(const std::string& v4recov, std::error_code& ec,
                                                  std::size_t max_records) {
    ec.clear();
    std::vector<RecoveryRecord> out;
    DIR* dir = ::opendir(v4recov.c_str());
    if (!dir) {
        ec = {errno, std::generic_category()};
        return out;
    }
    std::size_t seen = 0;
    while (const dirent* e = ::readdir(dir)) {
        if (++seen > max_records) {
            ec = std::make_error_code(std::errc::value_too_large);
            break;
        }
        RecoveryRecord r;
        if (parse_recovery_record(e->d_name, r)) out.push_back(std::move(r));
    }
    ::closedir(dir);
    return out;
}

std::vector<std::string> owners_of(const std::vector<RecoveryRecord>& records,
                                   const std::vector<std::string>& addresses) {
    std::vector<std::string> owners;
    for (const auto& r : records)
        if (std::find(addresses.begin(), addresses.end(), r.client_address) != addresses.end() &&
            std::find(owners.begin(), owners.end(), r.owner) == owners.end())
            owners.push_back(r.owner);
    return owners;
}

}  // namespace gha
