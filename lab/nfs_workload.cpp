// gha-nfs-workload: the application of the lab's kernel NFS client. It runs
// inside the User-Mode Linux guest (lab/kernel-client-init), on a file of the
// NFS mount, and reports what an application would have seen across a
// failover:
//
//   - it takes a whole-file write lock (fcntl F_SETLK) and keeps it;
//   - every --interval it writes one 64-byte record at the next offset and
//     fsyncs it, timing each write+fsync, until --ctl/stop appears;
//   - then it reads every record back, and a forked child (another lock
//     owner) tries the same lock: the server must refuse it, or the lock was
//     lost on the way.
//
// Result: --ctl/result.json (errors with errno and time, the longest stall
// between two completed writes, stalls over 200 ms, records verified, lock
// still held). Wall-clock times (CLOCK_REALTIME, ms): the guest's clock is
// the host's, so the host compares them with the moment it injected a fault.
// Progress: --ctl/ready once the lock is held; --ctl/progress (the time of
// the last completed write, and how many) at most every 250 ms.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kRecord = 64;
constexpr std::size_t kMaxErrors = 100;  // bounded report
constexpr std::size_t kMaxStalls = 100;
constexpr long long kStallReportMs = 200;

long long now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
    }
    ::rename(tmp.c_str(), path.c_str());
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out + "\"";
}

struct Error {
    long long at_ms;
    std::string op;
    int err;
};
struct Stall {
    long long from_ms, to_ms;
};

struct Options {
    std::string file, ctl;
    int interval_ms = 10;
    long long max_records = 1000000;  // bounds the file: 64 MB
};

int lock_whole(int fd, short type, int cmd) {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return ::fcntl(fd, cmd, &fl);
}

void make_record(char* buf, long long seq) {
    std::memset(buf, ' ', kRecord);
    std::snprintf(buf, kRecord, "seq %012lld gha-nfs-workload", seq);
    buf[kRecord - 1] = '\n';
}

// Another lock owner (a child process) asks for the same lock: 1 refused
// (the lock is still ours at the server), 0 granted (it was lost), -1 error.
int other_owner_refused(const std::string& file) {
    const pid_t child = ::fork();
    if (child < 0) return -1;
    if (child == 0) {
        const int fd = ::open(file.c_str(), O_RDWR);
        if (fd < 0) ::_exit(3);
        if (lock_whole(fd, F_WRLCK, F_SETLK) == 0) ::_exit(0);
        ::_exit(errno == EAGAIN || errno == EACCES ? 1 : 2);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    switch (WEXITSTATUS(status)) {
    case 0: return 0;
    case 1: return 1;
    default: return -1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--file") o.file = v;
        else if (k == "--ctl") o.ctl = v;
        else if (k == "--interval-ms") o.interval_ms = std::stoi(v);
        else if (k == "--max-records") o.max_records = std::stoll(v);
        else {
            std::fprintf(stderr, "gha-nfs-workload: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (o.file.empty() || o.ctl.empty() || o.interval_ms < 1) {
        std::fprintf(stderr, "usage: gha-nfs-workload --file PATH --ctl DIR [--interval-ms N] [--max-records N]\n");
        return 2;
    }

    std::vector<Error> errors;
    std::vector<Stall> stalls;
    auto fail = [&](const char* op) {
        if (errors.size() < kMaxErrors) errors.push_back({now_ms(), op, errno});
    };

    const int fd = ::open(o.file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open");
    bool locked = fd >= 0 && lock_whole(fd, F_WRLCK, F_SETLK) == 0;
    if (fd >= 0 && !locked) fail("lock");
    const long long started = now_ms();
    write_file(o.ctl + "/ready", std::to_string(started) + "\n");

    long long seq = 0, last_done = started, max_stall = 0, max_stall_at = 0, progress_at = 0;
    char buf[kRecord];
    while (fd >= 0 && locked && !exists(o.ctl + "/stop") && seq < o.max_records) {
        make_record(buf, seq);
        const bool ok = ::pwrite(fd, buf, kRecord, static_cast<off_t>(seq * kRecord)) == static_cast<ssize_t>(kRecord);
        if (!ok) fail("write");
        const bool synced = ok && ::fsync(fd) == 0;
        if (ok && !synced) fail("fsync");
        const long long t = now_ms();
        if (synced) {
            ++seq;
            const long long gap = t - last_done;
            if (gap > max_stall) {
                max_stall = gap;
                max_stall_at = last_done;
            }
            if (gap >= kStallReportMs && stalls.size() < kMaxStalls) stalls.push_back({last_done, t});
            last_done = t;
            if (t - progress_at >= 250) {
                write_file(o.ctl + "/progress", std::to_string(t) + " " + std::to_string(seq) + "\n");
                progress_at = t;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    }
    const long long stopped = now_ms();

    // Every record written and fsynced must read back as written.
    long long verified = 0, bad = -1;
    if (fd >= 0) {
        for (long long i = 0; i < seq; ++i) {
            char want[kRecord], got[kRecord];
            make_record(want, i);
            if (::pread(fd, got, kRecord, static_cast<off_t>(i * kRecord)) != static_cast<ssize_t>(kRecord)) {
                fail("read");
                bad = i;
                break;
            }
            if (std::memcmp(want, got, kRecord) != 0) {
                bad = i;
                break;
            }
            ++verified;
        }
    }
    const int refused = locked ? other_owner_refused(o.file) : -1;

    std::ostringstream j;
    j << "{\"started_ms\":" << started << ",\"stopped_ms\":" << stopped << ",\"locked\":" << (locked ? "true" : "false")
      << ",\"writes\":" << seq << ",\"max_stall_ms\":" << max_stall << ",\"max_stall_from_ms\":" << max_stall_at
      << ",\"records_verified\":" << verified << ",\"first_bad_record\":" << bad
      << ",\"lock_held\":" << (refused == 1 ? "true" : "false") << ",\"other_owner_check\":"
      << (refused == 1 ? "\"refused\"" : refused == 0 ? "\"granted\"" : "\"error\"") << ",\"errors\":[";
    for (std::size_t i = 0; i < errors.size(); ++i)
        j << (i ? "," : "") << "{\"at_ms\":" << errors[i].at_ms << ",\"op\":" << quote(errors[i].op)
          << ",\"errno\":" << errors[i].err << ",\"error\":" << quote(std::strerror(errors[i].err)) << "}";
    j << "],\"stalls\":[";
    for (std::size_t i = 0; i < stalls.size(); ++i)
        j << (i ? "," : "") << "{\"from_ms\":" << stalls[i].from_ms << ",\"to_ms\":" << stalls[i].to_ms << "}";
    j << "]}\n";
    write_file(o.ctl + "/result.json", j.str());
    if (fd >= 0) ::close(fd);
    return errors.empty() && locked ? 0 : 1;
}
