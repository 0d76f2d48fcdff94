// What answers on the NFS port (monitors/rpc_codec): a TCP byte stream that
// RecordReader reassembles into one record, then parse_null_reply(). The
// first input byte picks the size of the pieces the stream arrives in (as
// separate reads), the next four the xid we expect; the rest is the stream.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "monitors/rpc_codec.hpp"

namespace {

void check(const gha::rpc::Reply& r) {
    if (r.detail.size() > 512) std::abort();  // "short, bounded human text"
    (void)gha::rpc::to_string(r.status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    const std::size_t piece = data[0] == 0 ? size : data[0];
    const std::uint32_t xid = (std::uint32_t{data[1]} << 24) | (std::uint32_t{data[2]} << 16) |
                              (std::uint32_t{data[3]} << 8) | data[4];
    const std::span<const std::uint8_t> stream(data + 5, size - 5);

    check(gha::rpc::parse_null_reply(stream, xid));  // as one message, no record marking

    for (const std::size_t max : {gha::rpc::kMaxReplyRecord, std::size_t{64}}) {
        gha::rpc::RecordReader reader(max);
        auto state = gha::rpc::RecordReader::State::need_more;
        for (std::size_t pos = 0; pos < stream.size(); pos += piece) {
            state = reader.feed(stream.subspan(pos, std::min(piece, stream.size() - pos)));
            if (reader.record().size() > max) std::abort();
        }
        if (state != reader.state()) std::abort();
        if (state == gha::rpc::RecordReader::State::complete) check(gha::rpc::parse_null_reply(reader.record(), xid));
    }
    return 0;
}
