// ONC RPC (RFC 5531) NULL call over TCP record marking: encoder for the call,
// a bounded record reassembler and a reply parser safe against any byte string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gha::rpc {

inline constexpr std::uint32_t kNfsProgram = 100003;
inline constexpr std::uint32_t kNfsVersion = 4;
// A NULL reply is ~28 bytes; anything far bigger is not an answer to us.
inline constexpr std::size_t kMaxReplyRecord = 4096;

// The record-marked NULL call (4-byte marker + 40-byte message).
std::vector<std::uint8_t> encode_null_call(std::uint32_t xid,
                                           std::uint32_t program = kNfsProgram,
                                           std::uint32_t version = kNfsVersion);

enum class ReplyStatus {
    success,
    prog_unavail,
    prog_mismatch,
    proc_unavail,
    garbage_args,
    system_err,
    rpc_mismatch,   // MSG_DENIED / RPC_MISMATCH
    auth_error,     // MSG_DENIED / AUTH_ERROR
    wrong_xid,
    bad_reply,      // malformed, truncated, not a reply, unknown codes
};

struct Reply {
    ReplyStatus status = ReplyStatus::bad_reply;
    std::uint32_t low = 0, high = 0;  // versions, for the *_mismatch statuses
    std::string detail;               // short, bounded human text
};

// Stable short name for logs, metrics labels, status ("prog-mismatch", ...).
const char* to_string(ReplyStatus status);

// Parses one complete RPC message (record marking already removed).
Reply parse_null_reply(std::span<const std::uint8_t> message, std::uint32_t xid);

// Reassembles TCP record-marked fragments into one record, never holding more
// than max_record bytes.
class RecordReader {
public:
    enum class State { need_more, complete, too_large };
    explicit RecordReader(std::size_t max_record = kMaxReplyRecord);
    // Consumes bytes; returns complete once the last fragment has arrived
    // (bytes after it are ignored), too_large when the limit is exceeded.
    State feed(std::span<const std::uint8_t> bytes);
    State state() const { return state_; }
    const std::vector<std::uint8_t>& record() const { return record_; }

private:
    std::size_t max_record_;
    State state_ = State::need_more;
    std::vector<std::uint8_t> record_;
    std::uint8_t header_[4]{};
    std::size_t header_have_ = 0;
    std::uint32_t fragment_left_ = 0;
    bool in_fragment_ = false;
    bool last_fragment_ = false;
};

}  // namespace gha::rpc
