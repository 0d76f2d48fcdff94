// ONC RPC v2 (RFC 5531) NULL call encoding, TCP record reassembly and reply
// parsing. Everything that reads peer bytes is bounds-checked: the input comes
// from whatever answered on the NFS port, which may be anything.
#include "monitors/rpc_codec.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace gha::rpc {

namespace {

// RFC 5531 constants, named so the parser reads like the spec.
constexpr std::uint32_t kRpcVersion = 2;
constexpr std::uint32_t kMsgCall = 0;
constexpr std::uint32_t kMsgReply = 1;
constexpr std::uint32_t kMsgAccepted = 0;
constexpr std::uint32_t kMsgDenied = 1;
constexpr std::uint32_t kAuthNone = 0;
constexpr std::uint32_t kNullProc = 0;
// RFC 5531 section 8.2: opaque_auth bodies are at most 400 bytes. A larger
// length means garbage (or a hostile peer), not a verifier.
constexpr std::uint32_t kMaxAuthBody = 400;

// Record marking (RFC 5531 section 11): high bit flags the last fragment.
constexpr std::uint32_t kLastFragmentBit = 0x80000000u;
constexpr std::uint32_t kFragmentLengthMask = 0x7fffffffu;

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
           (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// XDR decoding cursor: every read checks the remaining length, so no input
// can make the parser step outside the span.
class XdrCursor {
public:
    explicit XdrCursor(std::span<const std::uint8_t> data) : data_(data) {}

    bool u32(std::uint32_t& out) {
        if (remaining() < 4) return false;
        out = load_be32(data_.data() + pos_);
        pos_ += 4;
        return true;
    }

    // Skips an opaque body of `len` bytes plus XDR padding to 4 bytes.
    // Callers bound `len` first, so the rounding cannot overflow.
    bool skip_padded(std::uint32_t len) {
        const std::size_t padded = (std::size_t{len} + 3) & ~std::size_t{3};
        if (remaining() < padded) return false;
        pos_ += padded;
        return true;
    }

private:
    std::size_t remaining() const { return data_.size() - pos_; }

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

// Details are built only from fixed text and 32-bit numbers, which keeps them
// well under 100 characters whatever the peer sent.
Reply make_reply(ReplyStatus status, std::string detail = {}) {
    Reply r;
    r.status = status;
    r.detail = std::move(detail);
    return r;
}

Reply bad(const char* what) { return make_reply(ReplyStatus::bad_reply, what); }

Reply bad_with(const char* what, std::uint32_t value) {
    return make_reply(ReplyStatus::bad_reply, what + std::to_string(value));
}

Reply truncated_at(const char* field) {
    return make_reply(ReplyStatus::bad_reply, std::string("truncated at ") + field);
}

const char* auth_stat_name(std::uint32_t stat) {
    switch (stat) {
        case 0: return "AUTH_OK";
        case 1: return "AUTH_BADCRED";
        case 2: return "AUTH_REJECTEDCRED";
        case 3: return "AUTH_BADVERF";
        case 4: return "AUTH_REJECTEDVERF";
        case 5: return "AUTH_TOOWEAK";
        case 6: return "AUTH_INVALIDRESP";
        case 7: return "AUTH_FAILED";
        case 13: return "RPCSEC_GSS_CREDPROBLEM";
        case 14: return "RPCSEC_GSS_CTXPROBLEM";
        default: return "unknown";
    }
}

// Both PROG_MISMATCH and RPC_MISMATCH carry the supported version range.
Reply parse_mismatch(XdrCursor& in, ReplyStatus status, const char* what) {
    Reply r;
    if (!in.u32(r.low)) return truncated_at("mismatch low");
    if (!in.u32(r.high)) return truncated_at("mismatch high");
    r.status = status;
    r.detail = std::string(what) + " supports " + std::to_string(r.low) + ".." +
               std::to_string(r.high);
    return r;
}

Reply parse_accepted(XdrCursor& in) {
    // The verifier's flavor is irrelevant to a NULL probe; only its framing
    // matters so that accept_stat is read at the right offset.
    std::uint32_t verf_flavor = 0;
    std::uint32_t verf_len = 0;
    if (!in.u32(verf_flavor)) return truncated_at("verifier flavor");
    if (!in.u32(verf_len)) return truncated_at("verifier length");
    if (verf_len > kMaxAuthBody) return bad("verifier longer than 400 bytes");
    if (!in.skip_padded(verf_len)) return truncated_at("verifier body");

    std::uint32_t accept_stat = 0;
    if (!in.u32(accept_stat)) return truncated_at("accept_stat");
    switch (accept_stat) {
        case 0: return make_reply(ReplyStatus::success);
        case 1: return make_reply(ReplyStatus::prog_unavail, "program unavailable");
        case 2:
            return parse_mismatch(in, ReplyStatus::prog_mismatch, "program");
        case 3:
            return make_reply(ReplyStatus::proc_unavail, "procedure unavailable");
        case 4: return make_reply(ReplyStatus::garbage_args, "garbage arguments");
        case 5: return make_reply(ReplyStatus::system_err, "system error");
        default:
            return bad_with("unknown accept_stat ", accept_stat);
    }
}

Reply parse_denied(XdrCursor& in) {
    std::uint32_t reject_stat = 0;
    if (!in.u32(reject_stat)) return truncated_at("reject_stat");
    switch (reject_stat) {
        case 0: return parse_mismatch(in, ReplyStatus::rpc_mismatch, "server");
        case 1: {
            std::uint32_t auth_stat = 0;
            if (!in.u32(auth_stat)) return truncated_at("auth_stat");
            return make_reply(ReplyStatus::auth_error,
                              "auth_stat " + std::to_string(auth_stat) + " (" +
                                  auth_stat_name(auth_stat) + ")");
        }
        default:
            return bad_with("unknown reject_stat ", reject_stat);
    }
}

}  // namespace

std::vector<std::uint8_t> encode_null_call(std::uint32_t xid, std::uint32_t program,
                                           std::uint32_t version) {
    constexpr std::uint32_t kBodySize = 40;  // ten XDR words below
    std::vector<std::uint8_t> out;
    out.reserve(4 + kBodySize);
    // A single, last fragment: the whole call fits in one record.
    put_u32(out, kLastFragmentBit | kBodySize);
    put_u32(out, xid);
    put_u32(out, kMsgCall);
    put_u32(out, kRpcVersion);
    put_u32(out, program);
    put_u32(out, version);
    put_u32(out, kNullProc);
    put_u32(out, kAuthNone);  // cred flavor
    put_u32(out, 0);          // cred length
    put_u32(out, kAuthNone);  // verf flavor
    put_u32(out, 0);          // verf length
    return out;
}

const char* to_string(ReplyStatus status) {
    switch (status) {
        case ReplyStatus::success: return "success";
        case ReplyStatus::prog_unavail: return "prog-unavail";
        case ReplyStatus::prog_mismatch: return "prog-mismatch";
        case ReplyStatus::proc_unavail: return "proc-unavail";
        case ReplyStatus::garbage_args: return "garbage-args";
        case ReplyStatus::system_err: return "system-err";
        case ReplyStatus::rpc_mismatch: return "rpc-mismatch";
        case ReplyStatus::auth_error: return "auth-error";
        case ReplyStatus::wrong_xid: return "wrong-xid";
        case ReplyStatus::bad_reply: return "bad-reply";
    }
    return "bad-reply";  // out-of-range enum value; keep labels well-formed
}

Reply parse_null_reply(std::span<const std::uint8_t> message, std::uint32_t xid) {
    XdrCursor in(message);

    std::uint32_t got_xid = 0;
    if (!in.u32(got_xid)) return truncated_at("xid");
    // A stale reply (e.g. to an earlier, timed-out probe) is reported apart
    // from garbage: it proves the server is alive but is not our answer.
    if (got_xid != xid) {
        return make_reply(ReplyStatus::wrong_xid,
                          "xid " + std::to_string(got_xid) + ", expected " +
                              std::to_string(xid));
    }

    std::uint32_t msg_type = 0;
    if (!in.u32(msg_type)) return truncated_at("msg_type");
    if (msg_type != kMsgReply) {
        return make_reply(ReplyStatus::bad_reply,
                          "msg_type " + std::to_string(msg_type) + " is not a reply");
    }

    // Trailing bytes after a complete reply are tolerated: record marking has
    // already delimited the message, so they cannot desynchronise the stream.
    std::uint32_t reply_stat = 0;
    if (!in.u32(reply_stat)) return truncated_at("reply_stat");
    switch (reply_stat) {
        case kMsgAccepted: return parse_accepted(in);
        case kMsgDenied: return parse_denied(in);
        default: return bad_with("unknown reply_stat ", reply_stat);
    }
}

RecordReader::RecordReader(std::size_t max_record) : max_record_(max_record) {}

RecordReader::State RecordReader::feed(std::span<const std::uint8_t> bytes) {
    // A fragment is done: the record is complete if it carried the last flag.
    const auto finish_fragment = [this] {
        in_fragment_ = false;
        if (last_fragment_) state_ = State::complete;
    };
    const auto start_fragment = [this, &finish_fragment] {
        const std::uint32_t marker = load_be32(header_);
        header_have_ = 0;
        const std::uint32_t length = marker & kFragmentLengthMask;
        // Refuse before buffering anything: the limit bounds memory, so it is
        // enforced on the announced length, not on bytes already received.
        // record_.size() <= max_record_ always holds, so this cannot underflow.
        if (length > max_record_ - record_.size()) {
            state_ = State::too_large;
            record_.clear();
            return;
        }
        in_fragment_ = true;
        last_fragment_ = (marker & kLastFragmentBit) != 0;
        fragment_left_ = length;
        // Zero-length fragments are legal; one flagged last ends the record.
        if (fragment_left_ == 0) finish_fragment();
    };

    std::size_t pos = 0;
    // Once complete or too_large the reader is finished; later bytes (e.g. a
    // next record) are deliberately ignored.
    while (state_ == State::need_more && pos < bytes.size()) {
        const std::size_t avail = bytes.size() - pos;
        const auto first = bytes.begin() + static_cast<std::ptrdiff_t>(pos);
        if (!in_fragment_) {
            // The 4-byte marker may arrive split across feeds; buffer it.
            const std::size_t take = std::min(avail, sizeof header_ - header_have_);
            std::copy_n(first, take, header_ + header_have_);
            header_have_ += take;
            pos += take;
            if (header_have_ == sizeof header_) start_fragment();
            continue;
        }
        const std::size_t take = std::min<std::size_t>(avail, fragment_left_);
        record_.insert(record_.end(), first, first + static_cast<std::ptrdiff_t>(take));
        fragment_left_ -= static_cast<std::uint32_t>(take);
        pos += take;
        if (fragment_left_ == 0) finish_fragment();
    }
    return state_;
}

}  // namespace gha::rpc
