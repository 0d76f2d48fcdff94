// Logging: structured journal entries (MONITOR=, NODE=, ...) when stderr is
// connected to journald (JOURNAL_STREAM matches it), plain lines otherwise.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace gha::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };
using Field = std::pair<std::string_view, std::string>;  // name in lower case: "monitor"

void init(std::string_view identifier);  // decides journal or stderr once
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::error, m, f); }
inline void warning(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::warning, m, f); }
inline void notice(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::notice, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::info, m, f); }

}  // namespace gha::log
