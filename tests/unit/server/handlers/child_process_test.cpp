#include "handlers/child_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "handlers/body_spool.hpp"

using cgikit::handlers::BodySpool;
using cgikit::handlers::ChildProcess;
using cgikit::handlers::describe_wait_status;
using cgikit::handlers::SpawnRequest;
using cgikit::handlers::SpawnResult;
using cgikit::handlers::SpawnSlots;
using cgikit::net::unique_fd;

namespace {

// Generous: the suite runs in parallel on 2 CPUs under sanitizers. Nothing waits this long when
// the code is right; every wait is poll() on a pidfd or a pipe, never a sleep.
constexpr int kTimeoutMs = 20'000;

std::string fixture(const std::string& name) {
    return std::string(CGIKIT_TEST_FIXTURES) + "/cgi-bin/" + name;
}

std::string directory_of(const std::string& path) {
    return path.substr(0, path.rfind('/'));
}

unique_fd open_dev_null() {
    return unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// A request for `program` with a small environment, stdin from `stdin_fd`, cwd = its directory.
SpawnRequest request_for(const std::string& program, int stdin_fd,
                         std::vector<std::string> extra_argv = {}) {
    SpawnRequest request;
    request.program = program;
    request.argv = {program};
    request.argv.insert(request.argv.end(), extra_argv.begin(), extra_argv.end());
    request.envp = {"PATH=/usr/bin:/bin", "GATEWAY_INTERFACE=CGI/1.1"};
    request.working_directory = directory_of(program);
    request.stdin_fd = stdin_fd;
    return request;
}

ChildProcess spawn_ok(const SpawnRequest& request) {
    SpawnResult result = ChildProcess::spawn(request);
    INFO(request.program << ": " << result.failed_step << ": " << result.error.message());
    REQUIRE_FALSE(result.error);
    REQUIRE(result.child.has_value());
    REQUIRE(result.failed_step.empty());
    return std::move(*result.child);
}

bool readable_within(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n == 1;
}

struct Output {
    std::string out;
    std::string err;
};

// Reads the child's stdout and stderr (both at once, so neither pipe can fill up) to EOF.
Output read_all(ChildProcess& child) {
    Output output;
    std::string* sinks[2] = {&output.out, &output.err};
    int fds[2] = {child.stdout_fd().get(), child.stderr_fd().get()};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
    char buffer[65536];
    while (fds[0] >= 0 || fds[1] >= 0) {
        pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        REQUIRE(left.count() > 0);
        const int n = ::poll(p, 2, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        REQUIRE(n >= 0);
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || p[i].revents == 0) continue;
            const ssize_t got = ::read(fds[i], buffer, sizeof buffer);
            if (got > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(got));
            } else if (got == 0) {
                fds[i] = -1;
            } else {
                REQUIRE((errno == EAGAIN || errno == EINTR));
            }
        }
    }
    return output;
}

// Waits (poll on the pidfd) for the child to exit and reaps it.
int wait_exit(ChildProcess& child) {
    REQUIRE(readable_within(child.pidfd(), kTimeoutMs));
    std::optional<int> status = child.try_reap();
    REQUIRE(status.has_value());
    REQUIRE(child.reaped());
    return *status;
}

std::string body_of(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    return response.substr(end + 4);
}

std::vector<int> open_fds() {
    std::vector<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    REQUIRE(dir != nullptr);
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        const int fd = std::atoi(entry->d_name);
        if (fd != own) fds.push_back(fd);
    }
    ::closedir(dir);
    return fds;
}

bool process_exists(pid_t pid) {
    return ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

// No child of this process is left, not even a zombie.
bool no_children_left() {
    return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

}  // namespace

TEST_CASE("the child's environment is exactly envp, nothing of the server's", "[child_process]") {
    ::setenv("CGIKIT_SERVER_ONLY_SECRET", "leaked", 1);
    unique_fd null = open_dev_null();
    SpawnRequest request = request_for(fixture("env.sh"), null.get());
    request.envp = {"GATEWAY_INTERFACE=CGI/1.1", "QUERY_STRING=", "HTTP_X_SPACES=a b  c",
                    "REQUEST_METHOD=GET"};
    ChildProcess child = spawn_ok(request);
    Output output = read_all(child);
    CHECK(output.err.empty());
    CHECK(output.out ==
          "Content-Type: text/plain\r\n\r\n"
          "GATEWAY_INTERFACE=CGI/1.1\nHTTP_X_SPACES=a b  c\nQUERY_STRING=\nREQUEST_METHOD=GET\n");
    CHECK(wait_exit(child) == 0);
    ::unsetenv("CGIKIT_SERVER_ONLY_SECRET");
}

TEST_CASE("argv is exactly the given vector", "[child_process]") {
    unique_fd null = open_dev_null();
    SpawnRequest request = request_for("/bin/sh", null.get(),
                                       {"-c", "printf '[%s]' \"$0\" \"$@\"", "zero", "a b", ""});
    ChildProcess child = spawn_ok(request);
    CHECK(read_all(child).out == "[zero][a b][]");
    CHECK(wait_exit(child) == 0);
}

TEST_CASE("the child runs in the requested working directory", "[child_process]") {
    unique_fd null = open_dev_null();
    const std::string script = fixture("nested/dir/pwd.sh");
    ChildProcess child = spawn_ok(request_for(script, null.get()));
    char resolved[PATH_MAX];
    REQUIRE(::realpath(directory_of(script).c_str(), resolved) != nullptr);
    CHECK(body_of(read_all(child).out) == std::string(resolved) + "\n");
    CHECK(wait_exit(child) == 0);
}

TEST_CASE("resource limits are in force when the program starts", "[child_process]") {
    unique_fd null = open_dev_null();
    SpawnRequest request = request_for("/bin/cat", null.get(), {"/proc/self/limits"});
    request.limits.cpu_seconds = 7;
    request.limits.address_space_bytes = 1ull << 30;
    request.limits.max_processes = 123;
    request.limits.max_open_files = 77;
    ChildProcess child = spawn_ok(request);
    const std::string limits = read_all(child).out;
    CHECK(wait_exit(child) == 0);

    // "Max open files            77                   77                   files"
    auto soft_hard = [&](const std::string& name) {
        const auto at = limits.find(name);
        REQUIRE(at != std::string::npos);
        std::istringstream line(limits.substr(at + name.size()));
        std::string soft, hard;
        line >> soft >> hard;
        return soft + " " + hard;
    };
    // A limit never exceeds the server's own hard limit.
    auto expected = [](int resource, std::uint64_t requested) {
        rlimit current{};
        REQUIRE(::getrlimit(resource, &current) == 0);
        std::uint64_t value = requested;
        if (current.rlim_max != RLIM_INFINITY && current.rlim_max < value) value = current.rlim_max;
        return std::to_string(value) + " " + std::to_string(value);
    };
    CHECK(soft_hard("Max cpu time") == expected(RLIMIT_CPU, 7));
    CHECK(soft_hard("Max address space") == expected(RLIMIT_AS, 1ull << 30));
    CHECK(soft_hard("Max processes") == expected(RLIMIT_NPROC, 123));
    CHECK(soft_hard("Max open files") == expected(RLIMIT_NOFILE, 77));
    CHECK(soft_hard("Max core file size") == "0 0");  // allow_core_dumps = false
}

TEST_CASE("limits of 0 leave the server's own, as the shell's ulimit shows (dash: -p = processes)",
          "[child_process]") {
    unique_fd null = open_dev_null();
    SpawnRequest request = request_for("/bin/sh", null.get(), {"-c", "ulimit -n; ulimit -p"});
    SECTION("set") {
        request.limits.max_open_files = 64;
        request.limits.max_processes = 50;
        ChildProcess child = spawn_ok(request);
        CHECK(read_all(child).out == "64\n50\n");
        CHECK(wait_exit(child) == 0);
    }
    SECTION("left as is") {
        rlimit files{}, processes{};
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
        REQUIRE(::getrlimit(RLIMIT_NPROC, &processes) == 0);
        auto shown = [](rlim_t value) {
            return value == RLIM_INFINITY ? std::string("unlimited") : std::to_string(value);
        };
        ChildProcess child = spawn_ok(request);
        CHECK(read_all(child).out ==
              shown(files.rlim_cur) + "\n" + shown(processes.rlim_cur) + "\n");
        CHECK(wait_exit(child) == 0);
    }
}

TEST_CASE("signal mask and dispositions are reset; the child leads its own group",
          "[child_process]") {
    // What the server does: block the shutdown signals (handled through signalfd) and ignore
    // SIGPIPE. None of it may reach the script.
    sigset_t blocked, previous_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGHUP);
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &blocked, &previous_mask) == 0);
    struct sigaction ignore {
    }, previous_pipe{}, previous_usr1{};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGPIPE, &ignore, &previous_pipe) == 0);
    REQUIRE(::sigaction(SIGUSR1, &ignore, &previous_usr1) == 0);

    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for("/bin/cat", null.get(), {"/proc/self/status"}));
    const std::string status = read_all(child).out;
    CHECK(::getpgid(child.pid()) == child.pid());  // still a zombie: the group is still visible
    CHECK(wait_exit(child) == 0);

    ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
    ::sigaction(SIGPIPE, &previous_pipe, nullptr);
    ::sigaction(SIGUSR1, &previous_usr1, nullptr);

    CHECK(status.find("\nSigBlk:\t0000000000000000\n") != std::string::npos);
    CHECK(status.find("\nSigIgn:\t0000000000000000\n") != std::string::npos);
}

TEST_CASE("terminate() stops a child even while the server blocks SIGTERM", "[child_process]") {
    sigset_t blocked, previous_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &blocked, &previous_mask) == 0);
    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for(fixture("sleeper.sh"), null.get()));
    ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);

    CHECK_FALSE(child.try_reap().has_value());  // still sleeping
    CHECK_FALSE(child.reaped());
    CHECK(child.terminate());
    const int status = wait_exit(child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
    CHECK(describe_wait_status(status) == "killed by SIGTERM");
    CHECK(child.try_reap() == status);  // idempotent
    CHECK_FALSE(child.terminate());     // nothing left to signal
    CHECK_FALSE(child.kill());
}

TEST_CASE("kill() ends the child; the pidfd reports it", "[child_process]") {
    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for(fixture("hold_stdout.sh"), null.get()));
    const std::string headers = "Content-Type: text/plain\r\n\r\n";
    std::string got;
    while (got.size() < headers.size()) {  // the script is now in its sleep
        REQUIRE(readable_within(child.stdout_fd().get(), kTimeoutMs));
        char buffer[64];
        const ssize_t n = ::read(child.stdout_fd().get(), buffer, sizeof buffer);
        REQUIRE(n > 0);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    CHECK(got == headers);
    CHECK_FALSE(readable_within(child.pidfd(), 0));
    CHECK(child.kill());
    const int status = wait_exit(child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(read_all(child).out.empty());  // EOF: the killed sleep held the last write end
}

TEST_CASE("destroying an unreaped child kills and reaps it", "[child_process]") {
    unique_fd null = open_dev_null();
    pid_t pid = -1;
    {
        ChildProcess child = spawn_ok(request_for(fixture("sleeper.sh"), null.get()));
        pid = child.pid();
        REQUIRE(process_exists(pid));
    }
    CHECK_FALSE(process_exists(pid));
    CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
    CHECK(no_children_left());
}

TEST_CASE("reaping kills what the script left in its process group", "[child_process]") {
    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for(fixture("forker.sh"), null.get()));
    const std::string body = body_of(read_all(child).out);
    REQUIRE(body.rfind("grandchild ", 0) == 0);
    const pid_t grandchild = std::stoi(body.substr(11));
    // Not our child: watch it through a pidfd (readable once it has exited).
    unique_fd grandchild_pidfd(static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0)));
    REQUIRE(grandchild_pidfd);
    CHECK(::getpgid(grandchild) == child.pid());
    CHECK_FALSE(readable_within(grandchild_pidfd.get(), 0));

    CHECK(wait_exit(child) == 0);
    CHECK(readable_within(grandchild_pidfd.get(), kTimeoutMs));
}

TEST_CASE("reap_exited, once the pidfd is readable, collects the child and kills its group",
          "[child_process]") {
    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for(fixture("forker.sh"), null.get()));
    const std::string body = body_of(read_all(child).out);
    REQUIRE(body.rfind("grandchild ", 0) == 0);
    unique_fd grandchild_pidfd(
        static_cast<int>(::syscall(SYS_pidfd_open, std::stoi(body.substr(11)), 0)));
    REQUIRE(grandchild_pidfd);

    REQUIRE(readable_within(child.pidfd(), kTimeoutMs));  // what the event loop waits for
    const int status = child.reap_exited();
    CHECK(status == 0);
    CHECK(child.reaped());
    CHECK(child.reap_exited() == status);  // idempotent, as try_reap
    CHECK(child.try_reap() == status);
    CHECK(readable_within(grandchild_pidfd.get(), kTimeoutMs));  // the sleep left behind is gone
    CHECK(no_children_left());
}

TEST_CASE("destroying the owner of a forking child kills the whole group", "[child_process]") {
    unique_fd null = open_dev_null();
    unique_fd grandchild_pidfd;
    {
        SpawnRequest request = request_for(
            "/bin/sh", null.get(), {"-c", "sleep 60 >/dev/null 2>&1 & echo $!; exec sleep 60"});
        ChildProcess child = spawn_ok(request);
        std::string line;
        char c;
        REQUIRE(readable_within(child.stdout_fd().get(), kTimeoutMs));
        while (line.find('\n') == std::string::npos) {
            REQUIRE(readable_within(child.stdout_fd().get(), kTimeoutMs));
            const ssize_t got = ::read(child.stdout_fd().get(), &c, 1);
            REQUIRE(got == 1);
            line += c;
        }
        grandchild_pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, std::stoi(line), 0)));
        REQUIRE(grandchild_pidfd);
    }
    CHECK(readable_within(grandchild_pidfd.get(), kTimeoutMs));
    CHECK(no_children_left());
}

TEST_CASE("exec failures come back as error values, with no child left", "[child_process]") {
    unique_fd null = open_dev_null();
    SECTION("missing program") {
        SpawnResult result =
            ChildProcess::spawn(request_for(fixture("does_not_exist.sh"), null.get()));
        CHECK(result.error == std::errc::no_such_file_or_directory);
        CHECK(result.failed_step == "execve");
        CHECK_FALSE(result.child.has_value());
    }
    SECTION("not executable") {
        SpawnResult result =
            ChildProcess::spawn(request_for(fixture("not_executable.sh"), null.get()));
        CHECK(result.error == std::errc::permission_denied);
        CHECK(result.failed_step == "execve");
    }
    SECTION("no #! line") {
        char directory[] = "/tmp/cgikit-spawn-XXXXXX";
        REQUIRE(::mkdtemp(directory) != nullptr);
        const std::string script = std::string(directory) + "/no_shebang.cgi";
        {
            std::ofstream file(script);
            file << "echo 'Content-Type: text/plain'\n";
        }
        REQUIRE(::chmod(script.c_str(), 0755) == 0);
        SpawnResult result = ChildProcess::spawn(request_for(script, null.get()));
        CHECK(result.error == std::errc::executable_format_error);
        CHECK(result.failed_step == "execve");
        ::unlink(script.c_str());
        ::rmdir(directory);
    }
    SECTION("missing working directory") {
        SpawnRequest request = request_for("/bin/true", null.get());
        request.working_directory = "/nonexistent/cgikit/dir";
        SpawnResult result = ChildProcess::spawn(request);
        CHECK(result.error == std::errc::no_such_file_or_directory);
        CHECK(result.failed_step == "chdir");
    }
    SECTION("no stdin") {
        SpawnResult result = ChildProcess::spawn(request_for("/bin/true", -1));
        CHECK(result.error == std::errc::bad_file_descriptor);
        CHECK_FALSE(result.child.has_value());
    }
    CHECK(no_children_left());
}

TEST_CASE("exit statuses and signals are reported", "[child_process]") {
    unique_fd null = open_dev_null();
    SECTION("exit 3 after a valid response") {
        ChildProcess child = spawn_ok(request_for(fixture("exit_nonzero.sh"), null.get()));
        CHECK(body_of(read_all(child).out) == "exiting with 3\n");
        const int status = wait_exit(child);
        CHECK(describe_wait_status(status) == "exit 3");
    }
    SECTION("SIGSEGV") {
        ChildProcess child = spawn_ok(request_for(fixture("crasher.sh"), null.get()));
        CHECK(read_all(child).out.empty());
        const int status = wait_exit(child);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGSEGV);
        // "(core dumped)" may follow where core_pattern is a pipe, which ignores RLIMIT_CORE.
        CHECK(describe_wait_status(status).rfind("killed by SIGSEGV", 0) == 0);
    }
}

TEST_CASE("describe_wait_status", "[child_process]") {
    CHECK(describe_wait_status(0) == "exit 0");
    CHECK(describe_wait_status(3 << 8) == "exit 3");
    CHECK(describe_wait_status(SIGKILL) == "killed by SIGKILL");
    CHECK(describe_wait_status(SIGSEGV | 0x80) == "killed by SIGSEGV (core dumped)");
    CHECK(describe_wait_status(ChildProcess::kStatusLost) == "status lost");
}

TEST_CASE("stdout and stderr are separate pipes, drained independently", "[child_process]") {
    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for(fixture("stderr_flood.sh"), null.get()));
    Output output = read_all(child);
    CHECK(output.err.size() == 1048576);
    CHECK(output.err.rfind("stderr flood line: ", 0) == 0);
    CHECK(output.out == "Content-Type: text/plain\r\n\r\nafter the flood\n");
    CHECK(wait_exit(child) == 0);
}

TEST_CASE("a spooled body is the child's stdin", "[child_process]") {
    std::string body;
    for (int i = 0; body.size() < 300'000; ++i)
        body += "line " + std::to_string(i) + "\n";
    BodySpool spool(64 * 1024, "/tmp", 1 << 20);
    REQUIRE_FALSE(spool.append(body));
    BodySpool::FinishResult stdin_file = spool.finish();
    REQUIRE_FALSE(stdin_file.error);

    SECTION("echo") {
        ChildProcess child = spawn_ok(request_for(fixture("echo.sh"), stdin_file.fd.get()));
        CHECK(body_of(read_all(child).out) == body);
        CHECK(wait_exit(child) == 0);
    }
    SECTION("length") {
        ChildProcess child = spawn_ok(request_for(fixture("stdin_len.sh"), stdin_file.fd.get()));
        CHECK(body_of(read_all(child).out) == std::to_string(body.size()) + "\n");
        CHECK(wait_exit(child) == 0);
    }
    SECTION("4 MiB of output before the script reads stdin: no deadlock") {
        ChildProcess child = spawn_ok(request_for(fixture("stdout_flood.sh"), stdin_file.fd.get()));
        const std::string out = body_of(read_all(child).out);
        CHECK(out.size() == 4194304 + std::string("\nstdin bytes: \n").size() +
                                std::to_string(body.size()).size());
        CHECK(out.substr(4194304) == "\nstdin bytes: " + std::to_string(body.size()) + "\n");
        CHECK(wait_exit(child) == 0);
    }
}

TEST_CASE("stdin given as fd 0 itself still reaches the child", "[child_process]") {
    // A server started with fd 0 closed gets its spool fds there: the child's fd shuffle must not
    // lose it, and must clear its CLOEXEC.
    const bool with_slots = GENERATE(false, true);
    std::optional<SpawnSlots> slots;
    if (with_slots) slots.emplace();
    unique_fd saved_stdin(::fcntl(0, F_DUPFD_CLOEXEC, 3));
    REQUIRE(saved_stdin);
    unique_fd memfd(::memfd_create("test-body", MFD_CLOEXEC));
    REQUIRE(::write(memfd.get(), "body via fd 0", 13) == 13);
    REQUIRE(::lseek(memfd.get(), 0, SEEK_SET) == 0);
    REQUIRE(::dup3(memfd.get(), 0, O_CLOEXEC) == 0);

    SpawnRequest request = request_for(fixture("echo.sh"), 0);
    if (slots) request.slots = &*slots;
    SpawnResult result = ChildProcess::spawn(request);
    ::dup2(saved_stdin.get(), 0);
    REQUIRE_FALSE(result.error);
    CHECK(body_of(read_all(*result.child).out) == "body via fd 0");
    CHECK(wait_exit(*result.child) == 0);
}

TEST_CASE("no server fd leaks into the child", "[child_process]") {
    // Nothing but 0-2 reaches the child: neither the server's own descriptors nor one it
    // inherited without CLOEXEC from a careless parent (made here on purpose). With spawn slots
    // the child copies only the descriptors below them: the many opened after them (a server's
    // connections) must not reach it either, nor may the slots keep a pipe end in the parent
    // (read_all below would then wait for an EOF that never comes).
    const bool with_slots = GENERATE(false, true);
    std::optional<SpawnSlots> slots;
    std::vector<unique_fd> connections;
    if (with_slots) {
        slots.emplace();
        for (int i = 0; i < 64; ++i)
            connections.push_back(open_dev_null());
    }
    unique_fd inherited(::open("/dev/null", O_RDONLY));
    REQUIRE(inherited);
    int sockets[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
    unique_fd socket_a(sockets[0]), socket_b(sockets[1]);
    unique_fd memfd(::memfd_create("server-private", MFD_CLOEXEC));
    unique_fd null = open_dev_null();

    SpawnRequest request = request_for("/bin/ls", null.get(), {"-l", "/proc/self/fd"});
    if (slots) request.slots = &*slots;
    ChildProcess child = spawn_ok(request);
    const std::string listing = read_all(child).out;
    CHECK(wait_exit(child) == 0);

    // "lr-x------ 1 root root 64 Nov 21 05:50 0 -> /dev/null"
    std::map<int, std::string> child_fds;
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) continue;
        const auto number = line.rfind(' ', arrow - 1);
        const int fd = std::stoi(line.substr(number + 1, arrow - number - 1));
        const std::string target = line.substr(arrow + 4);
        // ls's own descriptor of the directory it lists.
        if (target.rfind("/proc/", 0) == 0 && target.size() > 3 &&
            target.compare(target.size() - 3, 3, "/fd") == 0) {
            continue;
        }
        child_fds[fd] = target;
    }
    INFO(listing);
    REQUIRE(child_fds.count(0) == 1);
    CHECK(child_fds[0] == "/dev/null");
    CHECK(child_fds[1].rfind("pipe:", 0) == 0);
    CHECK(child_fds[2].rfind("pipe:", 0) == 0);
    CHECK(child_fds[1] != child_fds[2]);
    std::set<int> extra;
    for (const auto& [fd, target] : child_fds) {
        if (fd > 2) extra.insert(fd);
    }
    CHECK(extra.empty());
}

TEST_CASE("the server's own descriptors are CLOEXEC, the pipes non-blocking", "[child_process]") {
    unique_fd null = open_dev_null();
    ChildProcess child = spawn_ok(request_for("/bin/true", null.get()));
    for (int fd : {child.pidfd(), child.stdout_fd().get(), child.stderr_fd().get()}) {
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    }
    // The pidfd is only polled, never read: it may block.
    for (int fd : {child.stdout_fd().get(), child.stderr_fd().get()}) {
        CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    }
    CHECK(wait_exit(child) == 0);
}

TEST_CASE("spawn slots: reserved low, CLOEXEC, back to /dev/null after every spawn",
          "[child_process]") {
    const std::vector<int> before = open_fds();
    SpawnSlots slots;
    std::vector<int> reserved;
    for (int fd : open_fds()) {
        if (std::find(before.begin(), before.end(), fd) == before.end()) reserved.push_back(fd);
    }
    REQUIRE(reserved.size() == 4);  // /dev/null and the three slots
    CHECK(slots.limit() == *std::max_element(reserved.begin(), reserved.end()) + 1);
    auto points_at_dev_null = [](int fd) {
        char target[PATH_MAX] = {};
        const ssize_t n =
            ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
        return n > 0 && std::string(target, static_cast<std::size_t>(n)) == "/dev/null";
    };
    for (int fd : reserved) {
        CHECK(fd >= 3);
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        CHECK(points_at_dev_null(fd));
    }
    unique_fd null = open_dev_null();
    SpawnRequest request = request_for(fixture("echo.sh"), slots.dev_null());
    request.slots = &slots;
    ChildProcess child = spawn_ok(request);
    for (int fd : reserved)
        CHECK(points_at_dev_null(fd));
    read_all(child);
    CHECK(wait_exit(child) == 0);

    request.program = "/nonexistent/program";
    CHECK(ChildProcess::spawn(request).error);
    for (int fd : reserved)
        CHECK(points_at_dev_null(fd));
}

TEST_CASE("many spawns leak no descriptor and no zombie", "[child_process]") {
    const bool with_slots = GENERATE(false, true);
    std::optional<SpawnSlots> slots;
    if (with_slots) slots.emplace();
    const std::size_t before = open_fds().size();
    unique_fd null = open_dev_null();
    for (int i = 0; i < 40; ++i) {
        SpawnRequest request = request_for("/bin/true", null.get());
        if (slots) request.slots = &*slots;
        ChildProcess child = spawn_ok(request);
        if (i % 2 == 0) {
            read_all(child);
            CHECK(wait_exit(child) == 0);
        }  // odd ones: the destructor kills and reaps
    }
    for (int i = 0; i < 5; ++i) {
        SpawnRequest request = request_for("/nonexistent/program", null.get());
        if (slots) request.slots = &*slots;
        CHECK(ChildProcess::spawn(request).error);
    }
    null.reset();
    CHECK(open_fds().size() == before);
    CHECK(no_children_left());
}

TEST_CASE("moving a ChildProcess moves the ownership", "[child_process]") {
    unique_fd null = open_dev_null();
    ChildProcess first = spawn_ok(request_for(fixture("sleeper.sh"), null.get()));
    const pid_t first_pid = first.pid();
    ChildProcess moved(std::move(first));
    CHECK(moved.pid() == first_pid);
    CHECK(first.reaped());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    CHECK(first.pidfd() < 0);
    CHECK_FALSE(first.kill());

    ChildProcess second = spawn_ok(request_for(fixture("sleeper.sh"), null.get()));
    const pid_t second_pid = second.pid();
    second = std::move(moved);  // the child second owned is killed and reaped
    CHECK(second.pid() == first_pid);
    CHECK_FALSE(process_exists(second_pid));
    CHECK(second.kill());
    CHECK(WTERMSIG(wait_exit(second)) == SIGKILL);
}
