#include "handlers/child_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <system_error>
#include <utility>

namespace cgikit::handlers {
namespace {

// The child runs on its own stack while sharing the server's memory (CLONE_VM). It needs a few
// hundred bytes, plus a few KiB if the dynamic linker lazily binds syscall() on first use there.
constexpr std::size_t kChildStackBytes = 64 * 1024;
// The kernel's sigset_t (64 signals), not glibc's 1024-bit one: rt_sigaction/rt_sigprocmask take
// its size.
constexpr std::size_t kKernelSigsetBytes = 8;
// Highest signal number + 1 on Linux (glibc's NSIG).
constexpr int kSignalCount = NSIG;

// The signals a child must reset to SIG_DFL, when snapshot_signal_dispositions() has run:
// written once before any spawn, read-only afterwards.
struct SignalsToReset {
    int numbers[kSignalCount] = {};
    int count = 0;
};
SignalsToReset signals_to_reset;
std::atomic<bool> signals_to_reset_known{false};

// prlimit64's argument layout, identical on every architecture.
struct RawRlimit {
    std::uint64_t soft;
    std::uint64_t hard;
};

struct ChildLimit {
    int resource;
    RawRlimit value;
};

// Everything the child needs, prepared by the parent: the child allocates nothing and calls no
// library code except syscall() (and errno, which is the suspended parent thread's: harmless), so
// it cannot deadlock on a lock another server thread held at clone time.
struct ChildPlan {
    const char* program = nullptr;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    const char* working_directory = nullptr;     // nullptr = stay
    const SignalsToReset* reset_only = nullptr;  // nullptr = reset every signal
    // Plain arrays: in a debug build std::array::operator[] is an out-of-line, instrumented call.
    int fds[3] = {-1, -1, -1};  // become 0, 1, 2
    // > 0: the child starts on the parent's descriptor table (CLONE_FILES) and keeps a copy of
    // only the descriptors below this number (SpawnSlots::limit()).
    int unshare_below = 0;
    ChildLimit limits[5] = {};
    std::size_t limit_count = 0;
    // Written by the child when a step fails, read by the parent once clone() has returned.
    int failure_errno = 0;
    const char* failed_step = nullptr;
};

// The child's half. Not instrumented: it runs on a stack the sanitizers do not know, in a process
// that shares the parent's memory, so it must not touch shadow memory or report anything.
__attribute__((no_sanitize("address", "undefined", "thread"), noinline, noreturn)) void child_fail(
    ChildPlan* plan, const char* step) {
    plan->failure_errno = errno;
    plan->failed_step = step;
    ::syscall(SYS_exit_group, 127);
    __builtin_unreachable();
}

__attribute__((no_sanitize("address", "undefined", "thread"), noinline)) int run_child(
    void* argument) {
    auto* plan = static_cast<ChildPlan*>(argument);

    // First, a descriptor table of our own. Until then this child shares the server's, so nothing
    // may be opened, closed or dup'ed before this line. close_range copies only the descriptors
    // below `first` when asked to unshare and close everything above it (Linux 5.9); an older
    // kernel copies the whole table instead, and exec closes the copies (CLOEXEC).
    if (plan->unshare_below > 0 &&
        ::syscall(SYS_close_range, static_cast<unsigned>(plan->unshare_below), ~0U,
                  CLOSE_RANGE_UNSHARE) != 0 &&
        ::syscall(SYS_unshare, CLONE_FILES) != 0) {
        child_fail(plan, "unshare");
    }

    // Own process group first, so that killing the group reaches everything the script forks.
    if (::syscall(SYS_setpgid, 0, 0) != 0) child_fail(plan, "setpgid");

    // Dispositions back to SIG_DFL (exec keeps SIG_IGN, e.g. the server's SIGPIPE). All signals
    // are still blocked here (the parent blocked them before clone), so no handler of the server
    // can run on this shared memory. A zeroed kernel sigaction is {SIG_DFL, no flags, empty mask}
    // whatever the architecture's field order; the array is larger than any of them.
    const unsigned long default_action[8] = {};
    if (const SignalsToReset* only = plan->reset_only) {
        for (int i = 0; i < only->count; ++i) {
            ::syscall(SYS_rt_sigaction, only->numbers[i], default_action, nullptr,
                      kKernelSigsetBytes);
        }
    } else {
        for (int signal_number = 1; signal_number < kSignalCount; ++signal_number) {
            if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
            ::syscall(SYS_rt_sigaction, signal_number, default_action, nullptr, kKernelSigsetBytes);
        }
    }

    if (plan->working_directory != nullptr && ::syscall(SYS_chdir, plan->working_directory) != 0) {
        child_fail(plan, "chdir");
    }

    // stdin/stdout/stderr. Sources below 3 are moved out of the way first, so that no dup3 onto
    // 0, 1 or 2 clobbers a source still to be used (a server started with 0-2 closed gets pipes
    // there). dup3 onto 0-2 clears CLOEXEC; every original stays CLOEXEC and closes at exec.
    long sources[3] = {};
    for (std::size_t target = 0; target < 3; ++target) {
        sources[target] = plan->fds[target];
        if (sources[target] < 3) {
            sources[target] = ::syscall(SYS_fcntl, plan->fds[target], F_DUPFD_CLOEXEC, 3);
            if (sources[target] < 0) child_fail(plan, "fcntl");
        }
    }
    for (std::size_t target = 0; target < 3; ++target) {
        if (::syscall(SYS_dup3, sources[target], target, 0) < 0) child_fail(plan, "dup3");
    }

    // Nothing but 0-2 may reach the script: the server's own descriptors are CLOEXEC, but one it
    // inherited from a careless parent is not. Marking the range close-on-exec costs a few bitmap
    // words (exec closes CLOEXEC descriptors anyway); kernels before 5.11 lack the flag, so plain
    // close_range (5.9) is the fallback, and on older kernels only the server's CLOEXEC holds.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        ::syscall(SYS_close_range, 3U, ~0U, 0U);
    }

    // After the fd juggling, so that a low RLIMIT_NOFILE cannot make it fail.
    for (std::size_t i = 0; i < plan->limit_count; ++i) {
        const ChildLimit& limit = plan->limits[i];
        if (::syscall(SYS_prlimit64, 0, limit.resource, &limit.value, nullptr) != 0) {
            child_fail(plan, "setrlimit");
        }
    }

    const unsigned long empty_mask = 0;
    if (::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty_mask, nullptr, kKernelSigsetBytes) != 0) {
        child_fail(plan, "sigprocmask");
    }

    ::syscall(SYS_execve, plan->program, plan->argv, plan->envp);
    child_fail(plan, "execve");
}

// The child's stack: a private mapping with a guard page below it, one per server thread, kept for
// the thread's life (a fresh mapping per spawn costs ~10 us of mmap, page faults and munmap). A
// thread spawns one child at a time: CLONE_VFORK suspends it until the child has exec'd.
class ChildStack {
  public:
    ChildStack() = default;
    ChildStack(const ChildStack&) = delete;
    ChildStack& operator=(const ChildStack&) = delete;
    ~ChildStack() {
        if (base_ != nullptr) ::munmap(base_, kChildStackBytes);
    }
    // The top of the stack (it grows down), mapped on first use; nullptr (errno set) if mmap fails.
    void* top() noexcept {
        if (base_ == nullptr) {
            void* base = ::mmap(nullptr, kChildStackBytes, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
            if (base == MAP_FAILED) return nullptr;
            base_ = base;
            ::mprotect(base_, static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), PROT_NONE);
        }
        return static_cast<char*>(base_) + kChildStackBytes;
    }

  private:
    void* base_ = nullptr;
};

SpawnResult failure(int error_number, std::string_view step) {
    return SpawnResult{std::nullopt, std::error_code(error_number, std::generic_category()), step};
}

std::vector<char*> null_terminated(const std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (const std::string& s : strings)
        pointers.push_back(const_cast<char*>(s.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

// The server's hard limits for the resources a SpawnRequest can limit, read once: they are the
// same for every spawn (see SpawnRequest::limits), and reading them per spawn cost a getrlimit
// each (2 syscalls per CGI request with the default config).
struct HardLimits {
    std::uint64_t cpu, address_space, processes, open_files;

    static std::uint64_t read(int resource) noexcept {
        struct rlimit current {};
        if (::getrlimit(resource, &current) != 0 || current.rlim_max == RLIM_INFINITY) {
            return UINT64_MAX;  // unknown or unlimited: the child's setrlimit decides
        }
        return current.rlim_max;
    }
    static const HardLimits& of_process() noexcept {
        static const HardLimits limits{read(RLIMIT_CPU), read(RLIMIT_AS), read(RLIMIT_NPROC),
                                       read(RLIMIT_NOFILE)};
        return limits;
    }
};

// A requested limit never raises the server's own hard limit: soft = hard = min(requested, hard).
void plan_limit(ChildPlan& plan, int resource, std::uint64_t requested, std::uint64_t hard) {
    if (requested == 0) return;
    const std::uint64_t value = std::min(requested, hard);
    plan.limits[plan.limit_count++] = ChildLimit{resource, RawRlimit{value, value}};
}

// Waits for a child known to have exited or been SIGKILLed; returns its wait status.
int wait_blocking(pid_t pid) noexcept {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return ChildProcess::kStatusLost;
    }
    return status;
}

}  // namespace

SpawnSlots::SpawnSlots() {
    auto fail = [](const char* what) {
        throw std::system_error(errno, std::generic_category(), what);
    };
    dev_null_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!dev_null_) fail("opening /dev/null");
    for (net::unique_fd& slot : slots_) {
        slot.reset(::fcntl(dev_null_.get(), F_DUPFD_CLOEXEC, 3));
        if (!slot) fail("reserving a descriptor for CGI children");
        limit_ = std::max(limit_, slot.get() + 1);
    }
}

bool SpawnSlots::fill(const int (&fds)[3]) noexcept {
    for (std::size_t i = 0; i < 3; ++i) {
        filled_[i] = fds[i] != dev_null_.get();  // else the slot holds it already (a GET's stdin)
        // dup3 replaces the slot's descriptor atomically: its number is never free for another
        // thread to take.
        if (filled_[i] && ::dup3(fds[i], slots_[i].get(), O_CLOEXEC) < 0) {
            const int error_number = errno;
            clear();
            errno = error_number;
            return false;
        }
    }
    return true;
}

void SpawnSlots::clear() noexcept {
    for (std::size_t i = 0; i < 3; ++i) {
        if (filled_[i]) ::dup3(dev_null_.get(), slots_[i].get(), O_CLOEXEC);
        filled_[i] = false;
    }
}

void ChildProcess::snapshot_signal_dispositions() noexcept {
    if (signals_to_reset_known.load(std::memory_order_acquire)) return;
    for (int signal_number = 1; signal_number < kSignalCount; ++signal_number) {
        if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
        struct sigaction action {};
        // glibc refuses to report its own internal signals (32, 33): reset those regardless.
        if (::sigaction(signal_number, nullptr, &action) != 0 || action.sa_handler != SIG_DFL) {
            signals_to_reset.numbers[signals_to_reset.count++] = signal_number;
        }
    }
    signals_to_reset_known.store(true, std::memory_order_release);
}

SpawnResult ChildProcess::spawn(const SpawnRequest& request) {
    if (request.stdin_fd < 0) return failure(EBADF, "stdin");
    if (request.argv.empty() || request.program.empty()) return failure(EINVAL, "argv");

    std::vector<char*> argv = null_terminated(request.argv);
    std::vector<char*> envp = null_terminated(request.envp);

    int stdout_pipe[2];
    if (::pipe2(stdout_pipe, O_CLOEXEC) != 0) return failure(errno, "pipe2");
    net::unique_fd stdout_read(stdout_pipe[0]);
    net::unique_fd stdout_write(stdout_pipe[1]);
    int stderr_pipe[2];
    if (::pipe2(stderr_pipe, O_CLOEXEC) != 0) return failure(errno, "pipe2");
    net::unique_fd stderr_read(stderr_pipe[0]);
    net::unique_fd stderr_write(stderr_pipe[1]);
    // Only the server's ends are non-blocking: O_NONBLOCK belongs to the open file description,
    // and the script expects blocking writes.
    if (::fcntl(stdout_read.get(), F_SETFL, O_NONBLOCK) != 0 ||
        ::fcntl(stderr_read.get(), F_SETFL, O_NONBLOCK) != 0) {
        return failure(errno, "fcntl");
    }

    ChildPlan plan;
    plan.program = request.program.c_str();
    plan.argv = argv.data();
    plan.envp = envp.data();
    if (!request.working_directory.empty()) {
        plan.working_directory = request.working_directory.c_str();
    }
    if (signals_to_reset_known.load(std::memory_order_acquire)) {
        plan.reset_only = &signals_to_reset;
    }
    const int child_fds[3] = {request.stdin_fd, stdout_write.get(), stderr_write.get()};
    // CLONE_PIDFD: the pidfd comes with the child, no pidfd_open afterwards (and no window in
    // which a child exists that nothing watches).
    int clone_flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD;
    std::copy(std::begin(child_fds), std::end(child_fds), plan.fds);
    SpawnSlots* const slots = request.slots;
    if (slots != nullptr) {
        if (!slots->fill(child_fds)) return failure(errno, "dup3");
        for (std::size_t i = 0; i < 3; ++i)
            plan.fds[i] = slots->slots_[i].get();
        plan.unshare_below = slots->limit();
        clone_flags |= CLONE_FILES;
    }
    const CgiResourceLimits& limits = request.limits;
    if (limits.cpu_seconds != 0 || limits.address_space_bytes != 0 || limits.max_processes != 0 ||
        limits.max_open_files != 0) {
        const HardLimits& hard = HardLimits::of_process();
        plan_limit(plan, RLIMIT_CPU, limits.cpu_seconds, hard.cpu);
        plan_limit(plan, RLIMIT_AS, limits.address_space_bytes, hard.address_space);
        plan_limit(plan, RLIMIT_NPROC, limits.max_processes, hard.processes);
        plan_limit(plan, RLIMIT_NOFILE, limits.max_open_files, hard.open_files);
    }
    if (!request.allow_core_dumps) plan.limits[plan.limit_count++] = {RLIMIT_CORE, {0, 0}};

    thread_local ChildStack stack;
    void* const stack_top = stack.top();
    if (stack_top == nullptr) {
        const int mmap_errno = errno;
        if (slots != nullptr) slots->clear();
        return failure(mmap_errno, "mmap");
    }

    // Block every signal across clone: the child shares our memory until it execs, and one of the
    // server's handlers running there could corrupt it. The child resets dispositions, then
    // clears its mask.
    sigset_t all_signals;
    sigset_t previous_mask;
    ::sigfillset(&all_signals);
    ::pthread_sigmask(SIG_SETMASK, &all_signals, &previous_mask);
    // CLONE_VFORK: we resume once the child has exec'd or exited.
    int raw_pidfd = -1;
    const pid_t pid = ::clone(run_child, stack_top, clone_flags, &plan, &raw_pidfd);
    const int clone_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
    // The child has its own table (or is gone): the slots may let go of its descriptors.
    if (slots != nullptr) slots->clear();
    if (pid < 0) return failure(clone_errno, "clone");
    net::unique_fd pidfd(raw_pidfd);

    if (plan.failed_step != nullptr) {
        wait_blocking(pid);
        return failure(plan.failure_errno, plan.failed_step);
    }

    return SpawnResult{
        ChildProcess(pid, std::move(pidfd), std::move(stdout_read), std::move(stderr_read)),
        std::error_code(), ""};
}

ChildProcess::ChildProcess(pid_t pid, net::unique_fd pidfd, net::unique_fd stdout_fd,
                           net::unique_fd stderr_fd) noexcept
    : pid_(pid),
      pidfd_(std::move(pidfd)),
      stdout_(std::move(stdout_fd)),
      stderr_(std::move(stderr_fd)),
      reaped_(false) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)),
      reaped_(std::exchange(other.reaped_, true)),
      status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
        stdout_ = std::move(other.stdout_);
        stderr_ = std::move(other.stderr_);
        reaped_ = std::exchange(other.reaped_, true);
        status_ = other.status_;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    kill_and_reap();
}

bool ChildProcess::signal_group(int signal_number) noexcept {
    if (reaped_) return false;
    // Until reaped, the child (zombie or not) keeps its pid, and with it the group id, from being
    // reused: these kills cannot reach an unrelated process.
    bool delivered = ::kill(-pid_, signal_number) == 0;
    // A script can move itself into another group of the session; then signal it directly too.
    if (signal_number == SIGKILL || ::getpgid(pid_) != pid_) {
        delivered = ::kill(pid_, signal_number) == 0 || delivered;
    }
    return delivered;
}

bool ChildProcess::terminate() noexcept {
    return signal_group(SIGTERM);
}

bool ChildProcess::kill() noexcept {
    return signal_group(SIGKILL);
}

std::optional<int> ChildProcess::try_reap() noexcept {
    if (reaped_) return status_;
    siginfo_t info{};
    // WNOWAIT: look without collecting, so that the zombie still pins the group id below.
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == EINTR) continue;
        reaped_ = true;  // ECHILD: collected elsewhere (SIGCHLD ignored, or waitpid(-1))
        status_ = kStatusLost;
        return status_;
    }
    if (info.si_pid == 0) return std::nullopt;
    return reap_exited();
}

int ChildProcess::reap_exited() noexcept {
    if (reaped_) return status_;
    ::kill(-pid_, SIGKILL);  // what the script left behind in its group
    status_ = wait_blocking(pid_);
    reaped_ = true;
    return status_;
}

void ChildProcess::kill_and_reap() noexcept {
    if (reaped_) return;
    signal_group(SIGKILL);
    status_ = wait_blocking(pid_);
    reaped_ = true;
}

std::string describe_wait_status(int status) {
    if (status == ChildProcess::kStatusLost) return "status lost";
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int signal_number = WTERMSIG(status);
        const char* abbreviation = ::sigabbrev_np(signal_number);
        std::string text = abbreviation != nullptr
                               ? "killed by SIG" + std::string(abbreviation)
                               : "killed by signal " + std::to_string(signal_number);
        if (WCOREDUMP(status)) text += " (core dumped)";
        return text;
    }
    return "status " + std::to_string(status);
}

}  // namespace cgikit::handlers
