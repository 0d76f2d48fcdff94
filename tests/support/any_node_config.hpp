// A ganesha-ha.conf parsed as `ganesha-hactl cluster` reads it: on no node in
// particular (the layout and move tests work on the whole cluster).
#pragma once

#include <string>

#include "service/config.hpp"

namespace gha::test {

inline Config parse_any_node_config(const std::string& text) {
    ConfigOverrides o;
    o.any_node = true;
    return parse_config(text, "ha.conf", o);
}

}  // namespace gha::test
