#ifndef HERALD_CCURL_SHIM_H
#define HERALD_CCURL_SHIM_H
/*
 * Typed wrappers over libcurl's variadic curl_easy_setopt / curl_easy_getinfo,
 * which Swift cannot call directly. No logic lives here: one wrapper per
 * argument type, all prefixed herald_.
 */
#include <curl/curl.h>
/* OpenSSL, for what libcurl's TLS session (CURLINFO_TLS_SSL_PTR) says: version, cipher, certificate. */
#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef size_t (*herald_curl_io_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*herald_curl_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);

static inline CURLcode herald_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_setopt_io_callback(CURL *handle, CURLoption option, herald_curl_io_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode herald_curl_setopt_debug_callback(CURL *handle, herald_curl_debug_callback value) {
    return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, value);
}

static inline CURLcode herald_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode herald_curl_getinfo_socket(CURL *handle, curl_socket_t *value) {
    return curl_easy_getinfo(handle, CURLINFO_ACTIVESOCKET, value);
}

static inline CURLcode herald_curl_getinfo_tls_session(CURL *handle, struct curl_tlssessioninfo **value) {
    return curl_easy_getinfo(handle, CURLINFO_TLS_SSL_PTR, value);
}

/* libcurl 7.88 spells this option CURLOPT_MAIL_RCPT_ALLLOWFAILS; name it once here. */
static const CURLoption HERALD_CURLOPT_MAIL_RCPT_ALLOWFAILS = (CURLoption)290;

/* CURL_READFUNC_ABORT is a macro Swift does not import. */
static const size_t herald_curl_readfunc_abort = CURL_READFUNC_ABORT;

#endif
