/* hello.c — the trivial CGI used by every CGI workload and by spawn_floor.
 * Output: a CGI header block and the body "hello\n", in a single write(2),
 * so the program's own cost is as close to zero as a CGI can be. */
#include <unistd.h>

int main(void) {
    static const char out[] = "Content-Type: text/plain\n\nhello\n";
    ssize_t n = write(1, out, sizeof out - 1);
    return n == (ssize_t)(sizeof out - 1) ? 0 : 1;
}
