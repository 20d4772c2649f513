/* echo_env.c — a diagnostic CGI: prints the CGI meta-variables it received
 * (sorted as the server passed them) and the length of the request body read
 * from stdin. Useful to check that a server sets the CGI/1.1 environment
 * correctly (RFC 3875) before benchmarking it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char** environ;

int main(void) {
    char buf[65536];
    long body = 0;
    const char* cl = getenv("CONTENT_LENGTH");
    long want = cl ? strtol(cl, NULL, 10) : 0;
    while (body < want) { /* read exactly CONTENT_LENGTH */
        ssize_t r = read(0, buf, sizeof buf);
        if (r <= 0) break;
        body += r;
    }
    printf("Content-Type: text/plain\n\n");
    for (char** e = environ; *e; e++)
        printf("%s\n", *e);
    printf("BODY_BYTES_READ=%ld\n", body);
    return 0;
}
