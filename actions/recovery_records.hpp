// ganesha's NFSv4 client records (RecoveryBackend fs): one directory per
// client in <RecoveryRoot>/v4recov, named "<client address>-(<length>:<owner>)"
// (recovery_fs.c, fs_create_clid_name), where owner is the client's
// co_ownerid, e.g. "Linux NFSv4.1 host1". The node that gives a VIP up maps
// the addresses of that VIP's clients to owners through them, because
// ganesha's release-ip matches a client by its owner string (ip_match:
// strstr on the owner), and an NFSv4.1 client's owner carries no server
// address.
#pragma once

#include <string>
#include <system_error>
#include <vector>

namespace gha {

struct RecoveryRecord {
    std::string client_address;  // as ganesha wrote it, IPv4-mapped addresses unmapped
    std::string owner;
};

// Parses one directory name; false when it is not a record.
bool parse_recovery_record(const std::string& name, RecoveryRecord& out);

// The records directly in `v4recov` (names longer than NAME_MAX, which
// ganesha splits into nested directories, are not followed). At most
// max_records entries are read.
std::vector<RecoveryRecord> read_recovery_records(const std::string& v4recov, std::error_code& ec,
                                                  std::size_t max_records = 100000);

// The owners of the records whose client address is one of `addresses`,
// each once.
std::vector<std::string> owners_of(const std::vector<RecoveryRecord>& records,
                                   const std::vector<std::string>& addresses);

}  // namespace gha
