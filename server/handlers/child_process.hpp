#pragma once
// ChildProcess: the one owner of a spawned CGI child (RFC 3875 §7: the server runs the script with
// its own environment, stdin and stdout). The contract:
//   - spawned with clone(CLONE_VM | CLONE_VFORK) on a private stack (the vfork cost, whatever the
//     server's size); the child runs only raw syscalls before execve: its own process group, all
//     signal dispositions SIG_DFL, an empty signal mask, resource limits, chdir,
//     stdin/stdout/stderr. Resource limits are in force before the script's first instruction
//     (posix_spawn cannot do that: prlimit after the fact races with the script).
//   - the environment is exactly SpawnRequest::envp; nothing of the server's own leaks. No ISINDEX
//     argv (RFC 3875 §4.4 is optional and a source of injection bugs).
//   - exec failures (ENOENT, EACCES, ENOEXEC for a script without a valid #! line) come back as
//     values; the failed child is reaped before spawn() returns.
//   - a pidfd (CLOEXEC, from clone itself: CLONE_PIDFD) turns readable when the child exits: put
//     it in epoll and call try_reap(). When the child is reaped, whatever it left running in its
//     process group is SIGKILLed first (the request is over for them; a leftover holding stdout
//     would also keep the response open). The group is killed while the exited child is still a
//     zombie, so its pid, and so the group id, cannot have been reused by an unrelated process.
//   - a child is always reaped: the destructor SIGKILLs the group and waits if nobody reaped it.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "handlers/cgi_settings.hpp"
#include "net/unique_fd.hpp"

namespace cgikit::handlers {

// Three descriptor numbers reserved low in the process's descriptor table, through which a child
// receives its stdin, stdout and stderr. Without them a child starts with a copy of the whole
// table, every client socket included, and exec then closes each copy: a spawn cost that grows
// with the connections the server holds (with 8,000 idle keep-alive connections a CGI request
// took 4 times as long). With them the child shares the table until it has copied only the
// descriptors below limit() (close_range(CLOSE_RANGE_UNSHARE), Linux 5.9; older kernels copy the
// whole table as before). Reserve them early, before the process holds many descriptors. One
// spawn at a time per SpawnSlots: a worker owns its own.
class SpawnSlots {
  public:
    // Opens /dev/null and reserves three descriptors at the lowest free numbers >= 3, each a
    // duplicate of it. Throws std::system_error when the descriptors cannot be had (startup).
    SpawnSlots();

    // Readable, always at end of file: the stdin of a request without a body.
    int dev_null() const noexcept { return dev_null_.get(); }
    // One past the highest reserved number: what a child copies of the table.
    int limit() const noexcept { return limit_; }

  private:
    friend class ChildProcess;
    // Puts `fds` (stdin, stdout, stderr of a child) into the slots, CLOEXEC; false (errno set)
    // on failure, with the slots left as they were.
    bool fill(const int (&fds)[3]) noexcept;
    // Back to /dev/null, so that the server holds no child's pipe end through a slot.
    void clear() noexcept;

    net::unique_fd dev_null_;
    net::unique_fd slots_[3];
    bool filled_[3] = {};  // holds a child's descriptor, not /dev/null
    int limit_ = 0;
};

struct SpawnRequest {
    std::string program;            // executed as is by execve (no PATH search); absolute
    std::vector<std::string> argv;  // argv[0] = program; nothing from the query (no ISINDEX)
    std::vector<std::string> envp;  // "NAME=value": the child's whole environment
    std::string working_directory;  // chdir here before exec (the script's directory); "" = stay
    int stdin_fd = -1;              // borrowed: positioned at 0 (spooled body or /dev/null)
    // Set before exec with soft = hard = min(value, the server's hard limit); 0 = the server's own.
    // The server's hard limits are read once per process, at the first spawn that sets one: a
    // process can only lower its own (cgikitd never does). Should root lower one from outside
    // (prlimit) below a value asked for here, an unprivileged server's spawn fails at "setrlimit"
    // with EPERM, so the child still never gets more than the server has.
    CgiResourceLimits limits;
    bool allow_core_dumps = false;  // false: RLIMIT_CORE 0 (a core holds secrets, fills disks)
    SpawnSlots* slots = nullptr;    // borrowed; nullptr: the child copies the whole table
};

struct SpawnResult;

class ChildProcess {
  public:
    // Spawns request.program. On failure: no child is left behind, `error` says why (errno
    // values, generic category) and `failed_step` names the call that failed ("pipe2", "clone",
    // "chdir", "setrlimit", "execve", "unshare", ...) for the log line.
    static SpawnResult spawn(const SpawnRequest& request);

    // Records which signals have a disposition other than SIG_DFL. Call once, after the process
    // has set its dispositions for good and before the first spawn (cgikitd: at startup). From
    // then on a child resets only those (SIG_IGN survives exec; a handler must not run in a child
    // that shares our memory) instead of all 64: about 60 fewer syscalls per spawn
    // (13 us on a quiet VM: bench/spawn/sigaction_cost.c).
    // Without a snapshot every signal is reset. A disposition changed after it is not seen.
    static void snapshot_signal_dispositions() noexcept;

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    // If not reaped: SIGKILL to the process group and a blocking wait (prompt after SIGKILL).
    ~ChildProcess();

    pid_t pid() const noexcept { return pid_; }
    // Readable (EPOLLIN) once the child has exited; owned here, valid until destruction.
    int pidfd() const noexcept { return pidfd_.get(); }
    // Parent ends of the child's stdout and stderr pipes: non-blocking, CLOEXEC. Move them out
    // (std::move / release) to own them elsewhere.
    net::unique_fd& stdout_fd() noexcept { return stdout_; }
    net::unique_fd& stderr_fd() noexcept { return stderr_; }

    // SIGTERM / SIGKILL to the child's process group (to the child alone if it left the group).
    // False when there is nothing left to signal (already reaped).
    bool terminate() noexcept;
    bool kill() noexcept;

    // The wait status (<sys/wait.h> macros, describe_wait_status) once the child has exited, else
    // nullopt; never blocks (except the instant it takes to collect an exited child). Kills the
    // leftovers of the group on the way (see above). Idempotent: later calls return the same.
    std::optional<int> try_reap() noexcept;
    // try_reap() for a child known to have exited: its pidfd reported EPOLLIN, which it does only
    // once the child is a zombie (or gone). Skips the look (waitid WNOWAIT) that try_reap() takes
    // first; the group is still killed while the zombie pins its id. Idempotent likewise.
    int reap_exited() noexcept;
    bool reaped() const noexcept { return reaped_; }

    // Status reported when the child was reaped by someone else (ECHILD: a server bug).
    static constexpr int kStatusLost = -1;

  private:
    ChildProcess(pid_t pid, net::unique_fd pidfd, net::unique_fd stdout_fd,
                 net::unique_fd stderr_fd) noexcept;
    bool signal_group(int signal_number) noexcept;
    void kill_and_reap() noexcept;

    pid_t pid_ = -1;
    net::unique_fd pidfd_;
    net::unique_fd stdout_;
    net::unique_fd stderr_;
    bool reaped_ = true;  // a moved-from object has no child
    int status_ = 0;
};

struct SpawnResult {
    std::optional<ChildProcess> child;  // present iff !error
    std::error_code error;
    std::string_view failed_step;  // static string, "" on success
};

// "exit 3", "killed by SIGSEGV (core dumped)", "status lost", for log lines.
std::string describe_wait_status(int status);

}  // namespace cgikit::handlers
