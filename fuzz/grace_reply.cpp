// ganesha.nfsd's D-Bus answers as actions/grace_reply decodes them: grace()
// and get_grace() replies and the heartbeat signal. sd-bus itself parses the
// wire format (not our code); what we decode is the argument list, so the
// input is a description of one: each byte picks a type (the low 3 bits:
// b, s, y, i, u, x, d, a variant holding s), followed by its value's bytes. The message is
// built, sealed and handed to each reader, which must answer a result, never
// throw sdbus::Error (the daemon's loop would drop the reply, and the call
// would end as a time-out instead of "unexpected reply").
#include <sdbus-c++/sdbus-c++.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "actions/dbus_connection.hpp"
#include "actions/grace_reply.hpp"

namespace sdbus {
// Exported by libsdbus-c++ 1.2 (a message on a pseudo-connection, no bus),
// declared only in its private headers.
PlainMessage createPlainMessage();
}  // namespace sdbus

namespace {

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
    template <class T>
    T value() {
        T v{};
        std::uint8_t raw[sizeof(T)]{};
        for (auto& b : raw) b = byte();
        std::memcpy(&v, raw, sizeof(T));
        return v;
    }
    // Printable ASCII (D-Bus strings are UTF-8 without NUL), length byte first.
    std::string text() {
        std::string s(byte() % 64, ' ');
        for (auto& c : s) c = static_cast<char>(' ' + byte() % 95);
        return s;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

sdbus::PlainMessage build(const std::uint8_t* data, std::size_t size) {
    auto m = sdbus::createPlainMessage();
    Input in(data, size);
    for (int args = 0; !in.empty() && args < 8; ++args) {
        switch (in.byte() & 7) {
            case 0: m << static_cast<bool>(in.byte() & 1); break;
            case 1: m << in.text(); break;
            case 2: m << in.value<std::uint8_t>(); break;
            case 3: m << in.value<std::int32_t>(); break;
            case 4: m << in.value<std::uint32_t>(); break;
            case 5: m << in.value<std::int64_t>(); break;
            case 6: m << in.value<double>(); break;
            case 7: m << sdbus::Variant(in.text()); break;
        }
    }
    m.seal();
    m.rewind(true);
    return m;
}

bool known(std::error_code ec) {
    return !ec || ec == gha::DbusErrc::refused || ec == gha::DbusErrc::bad_reply;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto m = build(data, size);
    try {
        std::string detail;
        if (!known(gha::grace_reply::read_status(m, detail))) std::abort();
        m.rewind(true);
        bool in_grace = false;
        detail.clear();
        const auto ec = gha::grace_reply::read_grace_state(m, in_grace, detail);
        if (!known(ec)) std::abort();
        m.rewind(true);
        bool healthy = false;
        (void)gha::grace_reply::read_heartbeat(m, healthy);
    } catch (const sdbus::Error& e) {
        std::abort();  // a reader let an sdbus exception out
    }
    return 0;
}
