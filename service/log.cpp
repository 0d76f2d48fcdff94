#include "service/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace gha::log {
namespace {

bool g_journal = false;
std::string g_identifier = "ganesha-had";

// systemd sets JOURNAL_STREAM=<dev>:<inode> of the stream it gave us.
bool stderr_is_journal() {
    const char* value = std::getenv("JOURNAL_STREAM");
    if (!value) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(value, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return st.st_dev == dev && st.st_ino == ino;
}

std::string journal_field(std::string_view name, std::string_view value) {
    std::string field;
    for (char c : name) field += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    field += '=';
    field += value;
    return field;
}

}  // namespace

void init(std::string_view identifier) {
    g_identifier = identifier;
    g_journal = stderr_is_journal();
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
    if (g_journal) {
        std::vector<std::string> items;
        items.push_back(journal_field("message", message));
        items.push_back("PRIORITY=" + std::to_string(static_cast<int>(level)));
        items.push_back("SYSLOG_IDENTIFIER=" + g_identifier);
        for (const auto& [name, value] : fields) items.push_back(journal_field(name, value));
        std::vector<iovec> iov;
        for (auto& item : items) iov.push_back({item.data(), item.size()});
        if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
    }
    std::string line = "<" + std::to_string(static_cast<int>(level)) + ">" + g_identifier + ": ";
    line += message;
    for (const auto& [name, value] : fields) {
        line += ' ';
        line += name;
        line += '=';
        line += value;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace gha::log
