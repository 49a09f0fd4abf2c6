/*
 * The transport floor for `make bench`: how fast libcurl alone sends pre-rendered letters.
 *
 *   bare_client URL MESSAGE_FILE COUNT THREADS FROM TO
 *
 *   cc -O2 -Wall -o bare_client bare_client.c $(pkg-config --cflags --libs libcurl) -lpthread
 *
 * Reads MESSAGE_FILE (a complete message with CRLF line ends, e.g. one `herald preview` wrote)
 * into memory once, then sends it COUNT times to URL (smtp://127.0.0.1:PORT) from THREADS
 * threads, COUNT split between them as evenly as can be. Each thread owns one easy handle,
 * reused for every message, so libcurl keeps its connection open between messages: this is
 * Herald's transport with nothing of Herald around it (no reading, rendering, composing or
 * journal). The envelope is MAIL FROM:<FROM>, RCPT TO:<TO> for every message.
 *
 * Prints one line, e.g.
 *   bare_client: sent=10000 failed=0 connections=1 seconds=5.123 rate=1952.0
 * (connections: new connections libcurl opened, CURLINFO_NUM_CONNECTS summed over the
 * transfers) and exits 0 only if every message was accepted (250 to the end of DATA).
 * The first failure of each thread is reported on stderr.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What every thread shares: read-only once the threads start. */
struct job {
    const char *url, *from, *to;
    const char *message;
    size_t length;
};

/* One thread's share of the messages and what became of them. */
struct worker {
    pthread_t thread;
    const struct job *job;
    long count, sent, failed, connections;
};

/* Where CURLOPT_READFUNCTION is in the message being uploaded. */
struct cursor {
    const char *next;
    size_t left;
};

static size_t read_message(char *buffer, size_t size, size_t items, void *data) {
    struct cursor *cursor = data;
    size_t chunk = size * items < cursor->left ? size * items : cursor->left;
    memcpy(buffer, cursor->next, chunk);
    cursor->next += chunk;
    cursor->left -= chunk;
    return chunk;
}

static void *send_share(void *argument) {
    struct worker *worker = argument;
    const struct job *job = worker->job;
    struct cursor cursor;
    struct curl_slist *recipients = curl_slist_append(NULL, job->to);
    CURL *handle = curl_easy_init();
    if (!handle || !recipients) {
        fprintf(stderr, "bare_client: cannot set up a libcurl handle\n");
        worker->failed = worker->count;
        return NULL;
    }
    curl_easy_setopt(handle, CURLOPT_URL, job->url);
    curl_easy_setopt(handle, CURLOPT_MAIL_FROM, job->from);
    curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(handle, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    for (long i = 0; i < worker->count; i++) {
        cursor.next = job->message;
        cursor.left = job->length;
        CURLcode result = curl_easy_perform(handle);
        long reply = 0, connects = 0;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply);
        curl_easy_getinfo(handle, CURLINFO_NUM_CONNECTS, &connects);
        worker->connections += connects;
        if (result == CURLE_OK && reply == 250) {
            worker->sent++;
        } else {
            if (worker->failed == 0)
                fprintf(stderr, "bare_client: message %ld: %s (reply %ld)\n", i, curl_easy_strerror(result), reply);
            worker->failed++;
        }
    }
    curl_easy_cleanup(handle);
    curl_slist_free_all(recipients);
    return NULL;
}

/* The whole file in memory; exits on failure. */
static char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        exit(66);
    }
    size_t capacity = 1 << 16, used = 0, got;
    char *data = malloc(capacity);
    while (data && (got = fread(data + used, 1, capacity - used, file)) > 0) {
        used += got;
        if (used == capacity) data = realloc(data, capacity *= 2);
    }
    if (!data || ferror(file)) {
        fprintf(stderr, "bare_client: cannot read %s\n", path);
        exit(66);
    }
    fclose(file);
    *length = used;
    return data;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: bare_client URL MESSAGE_FILE COUNT THREADS FROM TO\n");
        return 64;
    }
    struct job job = {.url = argv[1], .from = argv[5], .to = argv[6]};
    long count = atol(argv[3]), threads = atol(argv[4]);
    if (count < 1 || threads < 1 || threads > count) {
        fprintf(stderr, "bare_client: COUNT and THREADS must be whole numbers, 1 <= THREADS <= COUNT\n");
        return 64;
    }
    char *message = read_file(argv[2], &job.length);
    job.message = message;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bare_client: curl_global_init failed\n");
        return 70;
    }
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) return 70;

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long t = 0; t < threads; t++) {
        workers[t].job = &job;
        workers[t].count = count / threads + (t < count % threads);
        if (pthread_create(&workers[t].thread, NULL, send_share, &workers[t]) != 0) {
            fprintf(stderr, "bare_client: cannot start thread %ld\n", t);
            return 70;
        }
    }
    long sent = 0, failed = 0, connections = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
        sent += workers[t].sent;
        failed += workers[t].failed;
        connections += workers[t].connections;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;

    printf("bare_client: sent=%ld failed=%ld connections=%ld seconds=%.3f rate=%.1f\n", sent, failed, connections,
           seconds, (double)sent / seconds);
    free(workers);
    free(message);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
