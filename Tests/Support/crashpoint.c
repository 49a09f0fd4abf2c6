/*
 * crashpoint.c: an LD_PRELOAD shim that kills the process at the K-th call that touches
 * the delivery log, for Herald's exhaustive crash-consistency test
 * (Tests/HeraldCLITests/CrashConsistencyIntegrationTests.swift), in the manner of the
 * ALICE and CrashMonkey studies: every kill point is tried, not a few random ones.
 *
 *   cc -shared -fPIC -O2 -o crashpoint.so Tests/Support/crashpoint.c -ldl
 *   LD_PRELOAD=./crashpoint.so HERALD_CRASH_LOG=var/log.jsonl HERALD_CRASH_AT=7 herald send ...
 *
 * Wrapped: write, writev, pwrite, pwrite64, fsync, fdatasync, rename. A call counts when its
 * descriptor's /proc/self/fd/N link names the log (HERALD_CRASH_LOG, compared as real
 * paths), or for rename when either path does. Calls are numbered from 1 in call order
 * across all threads (an atomic counter). Socket writes (write, send, sendto, sendmsg) are
 * only noted, to tell where a power loss differs from a crash (see the count file).
 *
 * Environment:
 *   HERALD_CRASH_LOG         the delivery log (required; without it the shim does nothing)
 *   HERALD_CRASH_AT=K        SIGKILL the process at the K-th counted call (unset: only count)
 *   HERALD_CRASH_AFTER=1     perform that call, then die (default: die before performing it);
 *                            same as HERALD_CRASH_MODE=after
 *   HERALD_CRASH_MODE=       before | after | torn | power:
 *                            torn: a write writes only the first half of its bytes, then
 *                              dies (a torn last line); other calls behave as `before`
 *                            power: before dying, cut the log back to its length at the last
 *                              fsync/fdatasync (or at the first counted call), as a power
 *                              loss would drop what only reached the page cache; the call is
 *                              not performed
 *   HERALD_CRASH_COUNT_FILE  at a normal exit, append one line to this file: the number of
 *                            counted calls, a space, and one letter per call in order
 *                            (w write, v writev, p pwrite, s fsync, d fdatasync, r rename),
 *                            upper case when the log then held bytes written since its last
 *                            sync and something was sent on a socket since: the points where
 *                            `power` differs from a `before` crash at the first unsynced write
 *                            (the same log, and the world saw no more)
 *
 * Only calls through the dynamic symbol table are seen (libc's own internal calls are
 * not): that is how Swift, Foundation and libcurl reach these functions.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum mode { BEFORE, AFTER, TORN, POWER };

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

static char target[PATH_MAX];  /* the log's real path; empty: the shim is inactive */
static long crash_at;          /* 0: count only */
static enum mode mode = BEFORE;
static const char *count_file;
static atomic_long calls;               /* counted calls so far */
static atomic_llong synced_length = -1; /* the log's length at the last sync */
static char kinds[65536];               /* one letter per counted call, for the count file */

/* A path's real form, also for a file that does not exist yet (its folder's real path). */
static void resolve(const char *path, char *out) {
    if (realpath(path, out)) return;
    char a[PATH_MAX], b[PATH_MAX], folder[PATH_MAX];
    snprintf(a, sizeof a, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    if (!realpath(dirname(a), folder)) { snprintf(out, PATH_MAX, "%s", path); return; }
    snprintf(out, PATH_MAX, "%s/%s", folder, basename(b));
}

static void write_count(void) {
    if (!count_file || !target[0]) return;
    FILE *file = fopen(count_file, "a");
    if (!file) return;
    long total = atomic_load(&calls);
    long shown = total < (long)sizeof kinds ? total : (long)sizeof kinds;
    fprintf(file, "%ld %.*s\n", total, (int)shown, kinds);
    fclose(file);
}

__attribute__((constructor)) static void setup(void) {
    real_write = dlsym(RTLD_NEXT, "write");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_rename = dlsym(RTLD_NEXT, "rename");
    real_send = dlsym(RTLD_NEXT, "send");
    real_sendto = dlsym(RTLD_NEXT, "sendto");
    real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
    const char *log = getenv("HERALD_CRASH_LOG");
    if (!log || !*log) return;
    resolve(log, target);
    const char *at = getenv("HERALD_CRASH_AT");
    crash_at = at ? strtol(at, NULL, 10) : 0;
    const char *after = getenv("HERALD_CRASH_AFTER");
    if (after && strcmp(after, "1") == 0) mode = AFTER;
    const char *name = getenv("HERALD_CRASH_MODE");
    if (name && strcmp(name, "after") == 0) mode = AFTER;
    if (name && strcmp(name, "torn") == 0) mode = TORN;
    if (name && strcmp(name, "power") == 0) mode = POWER;
    count_file = getenv("HERALD_CRASH_COUNT_FILE");
    atexit(write_count);
}

enum target_kind { OTHER, LOG, SOCKET };

/* What descriptor fd is: the log, a socket (a letter going out), or something else. */
static enum target_kind classify(int fd) {
    if (!target[0] || fd < 0) return OTHER;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) return OTHER;
    path[length] = 0;
    if (strcmp(path, target) == 0) return LOG;
    return strncmp(path, "socket:", 7) == 0 ? SOCKET : OTHER;
}

static int is_log_path(const char *path) {
    if (!target[0] || !path) return 0;
    char real[PATH_MAX];
    resolve(path, real);
    return strcmp(real, target) == 0;
}

static long long log_length(void) {
    struct stat info;
    return stat(target, &info) == 0 ? (long long)info.st_size : 0;
}

/* Something left the process (a socket write) while the log held unsynced bytes: from here
 * a power loss differs from a crash at the first unsynced write. */
static atomic_int exposed;

static void sending(void) {
    long long synced = atomic_load(&synced_length);
    if (synced >= 0 && log_length() > synced) atomic_store(&exposed, 1);
}

/* Counts one call on the log; true when this is the call to crash at. */
static int arrive(char kind) {
    long long unset = -1, length = log_length();
    atomic_compare_exchange_strong(&synced_length, &unset, length); /* what was there is on disk */
    long number = atomic_fetch_add(&calls, 1) + 1;
    int distinct = length > atomic_load(&synced_length) && atomic_load(&exposed);
    if (number <= (long)sizeof kinds) kinds[number - 1] = distinct ? kind - 32 : kind; /* upper case */
    return crash_at > 0 && number == crash_at;
}

static void die(void) {
    if (mode == POWER) truncate(target, (off_t)atomic_load(&synced_length));
    kill(getpid(), SIGKILL);
    for (;;) pause(); /* SIGKILL arrives; never return into the call */
}

/* A write to the log at the crash point: before and power die without it, after performs
 * it, torn performs the first half of it (`half`), then both die. */
#define WRITE(kind, fd, perform, half)                                             \
    do {                                                                           \
        enum target_kind what = classify(fd);                                      \
        if (what == SOCKET) sending();                                             \
        if (what != LOG || !arrive(kind)) return perform;                          \
        if (mode == BEFORE || mode == POWER) die();                                \
        ssize_t result = mode == TORN ? (half) : (perform);                        \
        die();                                                                     \
        return result;                                                             \
    } while (0)

ssize_t write(int fd, const void *buffer, size_t count) {
    WRITE('w', fd, real_write(fd, buffer, count), real_write(fd, buffer, count / 2));
}

ssize_t writev(int fd, const struct iovec *vector, int count) {
    WRITE('v', fd, real_writev(fd, vector, count),
          count > 0 ? real_write(fd, vector[0].iov_base, vector[0].iov_len / 2) : 0);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    WRITE('p', fd, real_pwrite(fd, buffer, count, offset), real_pwrite(fd, buffer, count / 2, offset));
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off64_t offset) {
    WRITE('p', fd, real_pwrite64(fd, buffer, count, offset), real_pwrite64(fd, buffer, count / 2, offset));
}

/* libcurl writes to its socket with send(): only noted (see `exposed`), never counted. */
ssize_t send(int fd, const void *buffer, size_t count, int flags) {
    sending();
    return real_send(fd, buffer, count, flags);
}

ssize_t sendto(int fd, const void *buffer, size_t count, int flags, const struct sockaddr *to, socklen_t length) {
    sending();
    return real_sendto(fd, buffer, count, flags, to, length);
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
    sending();
    return real_sendmsg(fd, message, flags);
}

/* A sync: remember how much of the log is now on disk. */
static int synced(int fd, int (*real)(int), char kind) {
    if (classify(fd) != LOG) return real(fd);
    int crash = arrive(kind);
    if (crash && mode != AFTER) die();
    long long length = log_length();
    int result = real(fd);
    if (result == 0) {
        atomic_store(&synced_length, length);
        if (log_length() == length) atomic_store(&exposed, 0);
    }
    if (crash) die();
    return result;
}

int fsync(int fd) { return synced(fd, real_fsync, 's'); }
int fdatasync(int fd) { return synced(fd, real_fdatasync, 'd'); }

int rename(const char *from, const char *to) {
    if (!(is_log_path(from) || is_log_path(to)) || !arrive('r')) return real_rename(from, to);
    if (mode != AFTER) die();
    int result = real_rename(from, to);
    die();
    return result;
}
