/*
 * sigsuspend_copy.c: lets Valgrind 3.19 (Debian 12) run a Swift program that uses
 * Swift concurrency.
 *
 * At start-up libdispatch parks the main thread in sigsuspend() with a signal mask
 * that lives in read-only memory. Valgrind 3.19 rewrites the mask it is given in place
 * (it removes the signals it keeps for itself), so it writes into that read-only page
 * and dies with "VALGRIND INTERNAL ERROR: Valgrind received a signal 11". Preloading
 * this library hands the kernel a copy of the mask on the stack instead; the program
 * behaves exactly as before.
 *
 *   cc -O2 -shared -fPIC -o sigsuspend_copy.so Benchmarks/sigsuspend_copy.c
 *   LD_PRELOAD=$PWD/sigsuspend_copy.so valgrind --tool=callgrind PROGRAM ARGS
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask)
{
    sigset_t writable = *mask;
    /* The kernel's sigset is _NSIG bits; glibc passes the same size. */
    return (int)syscall(SYS_rt_sigsuspend, &writable, (size_t)(_NSIG / 8));
}
