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
// --mode new-files (issue 11's bystander, a client of a node nothing
// happens to): every --interval it creates a new file next to --file
// (O_EXCL), locks it, writes one record, fsyncs and closes it; "writes"
// counts the files and a stall is the gap between two completed files (a
// server in grace refuses new opens and locks: the kernel retries them and
// the application waits). At the end every file is read back and removed.
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
#include <functional>
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
    std::string mode = "lock-and-write";
    int interval_ms = 10;
    long long max_records = 1000000;  // bounds the file: 64 MB
};

constexpr long long kMaxNewFiles = 20000;  // new-files mode: bounds the directory

// What the application saw, for result.json.
struct Report {
    std::vector<Error> errors;
    std::vector<Stall> stalls;
    long long started = 0, stopped = 0, done = 0, max_stall = 0, max_stall_at = 0, verified = 0, bad = -1;
    bool locked = false;
    int refused = -1;  // other_owner_refused()
    void fail(const char* op) {
        if (errors.size() < kMaxErrors) errors.push_back({now_ms(), op, errno});
    }
    // One more completed write (or file) at `t`; `last` is the previous one.
    void completed(long long t, long long& last) {
        const long long gap = t - last;
        if (gap > max_stall) {
            max_stall = gap;
            max_stall_at = last;
        }
        if (gap >= kStallReportMs && stalls.size() < kMaxStalls) stalls.push_back({last, t});
        last = t;
        ++done;
    }
};

void write_report(const Options& o, const Report& r) {
    std::ostringstream j;
    j << "{\"mode\":" << quote(o.mode) << ",\"started_ms\":" << r.started << ",\"stopped_ms\":" << r.stopped
      << ",\"locked\":" << (r.locked ? "true" : "false") << ",\"writes\":" << r.done
      << ",\"max_stall_ms\":" << r.max_stall << ",\"max_stall_from_ms\":" << r.max_stall_at
      << ",\"records_verified\":" << r.verified << ",\"first_bad_record\":" << r.bad
      << ",\"lock_held\":" << (r.refused == 1 ? "true" : "false") << ",\"other_owner_check\":"
      << (r.refused == 1 ? "\"refused\"" : r.refused == 0 ? "\"granted\"" : "\"error\"") << ",\"errors\":[";
    for (std::size_t i = 0; i < r.errors.size(); ++i)
        j << (i ? "," : "") << "{\"at_ms\":" << r.errors[i].at_ms << ",\"op\":" << quote(r.errors[i].op)
          << ",\"errno\":" << r.errors[i].err << ",\"error\":" << quote(std::strerror(r.errors[i].err)) << "}";
    j << "],\"stalls\":[";
    for (std::size_t i = 0; i < r.stalls.size(); ++i)
        j << (i ? "," : "") << "{\"from_ms\":" << r.stalls[i].from_ms << ",\"to_ms\":" << r.stalls[i].to_ms << "}";
    j << "]}\n";
    write_file(o.ctl + "/result.json", j.str());
}

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

std::string new_file_name(const std::string& base, long long seq) { return base + ".new-" + std::to_string(seq); }

// One file of the new-files mode: create, lock, write, fsync, close.
bool new_file(const std::string& path, long long seq, Report& r) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        r.fail("create");
        return false;
    }
    bool ok = lock_whole(fd, F_WRLCK, F_SETLKW) == 0;
    if (!ok) r.fail("lock");
    char buf[kRecord];
    make_record(buf, seq);
    if (ok && ::pwrite(fd, buf, kRecord, 0) != static_cast<ssize_t>(kRecord)) {
        r.fail("write");
        ok = false;
    }
    if (ok && ::fsync(fd) != 0) {
        r.fail("fsync");
        ok = false;
    }
    if (::close(fd) != 0 && ok) {
        r.fail("close");
        ok = false;
    }
    return ok;
}

int new_files(const Options& o) {
    Report r;
    r.started = now_ms();
    r.locked = true;  // no lasting lock in this mode
    write_file(o.ctl + "/ready", std::to_string(r.started) + "\n");
    long long last = r.started, progress_at = 0, seq = 0;
    while (!exists(o.ctl + "/stop") && seq < kMaxNewFiles) {
        if (new_file(new_file_name(o.file, seq), seq, r)) {
            r.completed(now_ms(), last);
            if (last - progress_at >= 250) {
                write_file(o.ctl + "/progress", std::to_string(last) + " " + std::to_string(r.done) + "\n");
                progress_at = last;
            }
        }
        ++seq;
        std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    }
    r.stopped = now_ms();
    for (long long i = 0; i < seq; ++i) {
        const std::string path = new_file_name(o.file, i);
        char want[kRecord], got[kRecord];
        make_record(want, i);
        const int fd = ::open(path.c_str(), O_RDONLY);
        const bool same = fd >= 0 && ::pread(fd, got, kRecord, 0) == static_cast<ssize_t>(kRecord) &&
                          std::memcmp(want, got, kRecord) == 0;
        if (fd >= 0) ::close(fd);
        if (same) ++r.verified;
        else if (fd >= 0 && r.bad < 0) r.bad = i;  // (a file whose creation failed is an error already)
        ::unlink(path.c_str());
    }
    r.refused = 1;  // nothing to check: each lock ended with its file
    write_report(o, r);
    return r.errors.empty() ? 0 : 1;
}

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--file") o.file = v;
        else if (k == "--ctl") o.ctl = v;
        else if (k == "--interval-ms") o.interval_ms = std::stoi(v);
        else if (k == "--max-records") o.max_records = std::stoll(v);
        else if (k == "--mode") o.mode = v;
        else {
            std::fprintf(stderr, "gha-nfs-workload: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (o.file.empty() || o.ctl.empty() || o.interval_ms < 1 || (o.mode != "lock-and-write" && o.mode != "new-files")) {
        std::fprintf(stderr, "usage: gha-nfs-workload --file PATH --ctl DIR [--mode lock-and-write|new-files] "
                             "[--interval-ms N] [--max-records N]\n");
        return 2;
    }
    if (o.mode == "new-files") return new_files(o);

    Report r;
    auto fail = [&](const char* op) { r.fail(op); };

    const int fd = ::open(o.file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open");
    const bool locked = fd >= 0 && lock_whole(fd, F_WRLCK, F_SETLK) == 0;
    if (fd >= 0 && !locked) fail("lock");
    r.locked = locked;
    r.started = now_ms();
    write_file(o.ctl + "/ready", std::to_string(r.started) + "\n");

    long long seq = 0, last_done = r.started, progress_at = 0;
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
            r.completed(t, last_done);
            if (t - progress_at >= 250) {
                write_file(o.ctl + "/progress", std::to_string(t) + " " + std::to_string(seq) + "\n");
                progress_at = t;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    }
    r.stopped = now_ms();

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
    r.verified = verified;
    r.bad = bad;
    r.refused = locked ? other_owner_refused(o.file) : -1;
    write_report(o, r);
    if (fd >= 0) ::close(fd);
    return r.errors.empty() && locked ? 0 : 1;
}
