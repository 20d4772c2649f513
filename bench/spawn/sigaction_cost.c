/*
 * bench/spawn/sigaction_cost.c — what resetting every signal costs a CGI child before exec: 62
 * rt_sigaction(SIG_DFL) calls (1..64 but SIGKILL and SIGSTOP), as glibc's posix_spawn makes and as
 * ChildProcess made before it reset only the signals the server changed
 * (ChildProcess::snapshot_signal_dispositions). Prints the mean time of one such round.
 *
 *   cc -O2 -o /tmp/sigaction_cost bench/spawn/sigaction_cost.c && taskset -c 0 /tmp/sigaction_cost
 */
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { kRounds = 10000, kKernelSigsetBytes = 8 };

int main(void) {
    const unsigned long default_action[8] = {0};
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int round = 0; round < kRounds; ++round) {
        for (int sig = 1; sig <= 64; ++sig) {
            if (sig == SIGKILL || sig == SIGSTOP) continue;
            syscall(SYS_rt_sigaction, sig, default_action, NULL, kKernelSigsetBytes);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("%.1f us per round of 62 rt_sigaction calls\n", ns / 1e3 / kRounds);
    return 0;
}
