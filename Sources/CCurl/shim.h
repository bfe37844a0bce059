#ifndef LIENTHONG_CCURL_SHIM_H
#define LIENTHONG_CCURL_SHIM_H

#include <curl/curl.h>

// CURLVERSION_NOW is a macro alias that Swift does not import.
static inline const curl_version_info_data *lienthong_curl_version_info_now(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif
