// ganesha-hactl's `status` output: the table for operators and the
// `--field NAME` lines for scripts (the OCF agents), so no caller has to
// parse the pretty-printer's layout.
//
// Both read the daemon's answer defensively: a monitor without a first
// result (the first second after start, or after a reload), a null, a
// missing member or a value of another type (an older or newer daemon)
// prints as "-", never aborts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gha::ctl {

enum class WallTime {
    full,        // "2026-12-01 03:04:05.123 +0000": events, peers
    short_form,  // "12-01 03:04:05": status's SINCE column
};

// Seconds since the epoch as local time; "-" when the value is absent, not a
// number, 0 (the daemon's "never"), negative or beyond the year 9999.
std::string format_wall_time(const nlohmann::json& seconds, WallTime form = WallTime::full);

// The `status` answer's arguments as the human table.
std::string format_status(const nlohmann::json& status);

// The `events` answer's arguments as a table (columns as wide as their
// widest cell), one row per event: sequence number, local time with
// milliseconds and zone, type, subject, message; nothing when there are no
// events. An event that lacks a member, has a null or a value of another
// type, or is no object at all prints "-" there.
std::string format_events(const nlohmann::json& events);

// One line per value of the status member `field`: an array gives one line
// per element, an object "KEY VALUE" per member, a scalar its value. Returns
// false with `problem` set when the member is absent or a value could not be
// read back unambiguously (a nested container, a line break, a key with
// blanks).
bool format_status_field(const nlohmann::json& status, const std::string& field, std::string& out,
                         std::string& problem);

}  // namespace gha::ctl
