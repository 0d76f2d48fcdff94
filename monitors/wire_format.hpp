// Byte-level helpers shared by the authenticated datagrams on the heartbeat
// socket (heartbeat_codec, connection_list_codec): big-endian integers,
// length-prefixed names and a bounded reader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "monitors/heartbeat_codec.hpp"

namespace gha::wire {

inline void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

inline void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

inline std::uint64_t get_be(const std::uint8_t* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    return v;
}
inline std::uint64_t get_u64(const std::uint8_t* p) { return get_be(p, 8); }

inline void put_name(std::vector<std::uint8_t>& out, const std::string& name) {
    out.push_back(static_cast<std::uint8_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
}

// A bounded reader over a datagram's body (everything before the MAC).
class Reader {
public:
    Reader(std::span<const std::uint8_t> data, std::size_t start) : data_(data), pos_(start) {}
    bool name(std::string& out, DropReason& why) {
        if (pos_ >= data_.size()) return fail(why, DropReason::truncated);
        const std::size_t n = data_[pos_];
        if (n == 0) return fail(why, DropReason::malformed);
        if (pos_ + 1 + n > data_.size()) return fail(why, DropReason::truncated);
        out.assign(reinterpret_cast<const char*>(data_.data() + pos_ + 1), n);
        pos_ += 1 + n;
        if (!valid_heartbeat_name(out)) return fail(why, DropReason::malformed);
        return true;
    }
    // The next n bytes, or nullptr (and why = truncated) when they are not there.
    const std::uint8_t* bytes(std::size_t n, DropReason& why) {
        if (n > data_.size() - pos_) {
            fail(why, DropReason::truncated);
            return nullptr;
        }
        const std::uint8_t* p = data_.data() + pos_;
        pos_ += n;
        return p;
    }
    bool done() const { return pos_ == data_.size(); }

private:
    static bool fail(DropReason& why, DropReason reason) {
        why = reason;
        return false;
    }
    std::span<const std::uint8_t> data_;
    std::size_t pos_;
};

}  // namespace gha::wire
