/*
 * Start-up time for bench/run: runs a command RUNS times (after one untimed
 * warm-up run), each with stdin, stdout and stderr on /dev/null, and times
 * fork + exec + wait with a monotonic clock. The peak RSS comes from wait4.
 *
 *   startup RUNS command [args...]
 *       prints "<median ms> <min ms> <90th percentile ms> <peak RSS MB> <failed runs>"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double run(char **argv, long *rss_kb, int *failed) {
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) { perror("wait4"); exit(2); }
    double t = now_ms() - t0;
    if (ru.ru_maxrss > *rss_kb) *rss_kb = ru.ru_maxrss;
    /* status exits 1 when a message carries no S/MIME; only a signal or 127 is a failure. */
    if (!WIFEXITED(status) || WEXITSTATUS(status) >= 2) (*failed)++;
    return t;
}

int main(int argc, char **argv) {
    if (argc < 3 || atoi(argv[1]) < 1) { fprintf(stderr, "usage: startup RUNS command [args...]\n"); return 2; }
    int runs = atoi(argv[1]), failed = 0;
    long rss_kb = 0;
    double *t = malloc(sizeof *t * (size_t)runs);
    run(argv + 2, &rss_kb, &failed);
    for (int i = 0; i < runs; i++) t[i] = run(argv + 2, &rss_kb, &failed);
    qsort(t, (size_t)runs, sizeof *t, cmp);
    double median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    printf("%.2f %.2f %.2f %.1f %d\n", median, t[0], t[(runs * 9) / 10 < runs ? (runs * 9) / 10 : runs - 1],
           (double)rss_kb / 1024, failed);
    return 0;
}
