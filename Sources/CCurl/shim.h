#ifndef LIENTHONG_CCURL_SHIM_H
#define LIENTHONG_CCURL_SHIM_H

#include <curl/curl.h>

// CURLVERSION_NOW is a macro alias that Swift does not import.
static inline const curl_version_info_data *lienthong_curl_version_info_now(void) {
    return curl_version_info(CURLVERSION_NOW);
}

// curl_easy_setopt and curl_easy_getinfo are variadic: one wrapper per argument kind.
static inline CURLcode lienthong_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lienthong_curl_easy_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lienthong_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lienthong_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

// A blob option (a certificate or key in memory); CURL_BLOB_COPY: libcurl keeps its own copy.
static inline CURLcode lienthong_curl_easy_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob = { (void *)data, length, CURL_BLOB_COPY };
    return curl_easy_setopt(handle, option, &blob);
}

static inline CURLcode lienthong_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lienthong_curl_easy_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode lienthong_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode lienthong_curl_easy_getinfo_certinfo(CURL *handle, struct curl_certinfo **value) {
    return curl_easy_getinfo(handle, CURLINFO_CERTINFO, value);
}

#endif
