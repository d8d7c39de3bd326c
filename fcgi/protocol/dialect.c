/*
 * dialect.c: the one place that knows what a dialect is.
 *
 * featcgi speaks five dialects: v2 (2019), v1 (2018), feat, OAuth2 for
 * the /o/ endpoints (RFC 6749 §5.2 errors) and admin, the console's JSON
 * API under /admin/api/.  Each is one struct
 * feat_dialect below: its name, the unmatched paths it answers by their
 * shape, the Authorization forms it accepts, the envelope of a success,
 * the body of an error, its paging arguments and page object, its time
 * form, and one table that maps every error of the vocabulary
 * (FEAT_FOR_EACH_ERROR, feat.h) to its HTTP status, code and, where it
 * has its own, texts.  Changing how a dialect answers an error is one line
 * of its table.  The replies (reply.c), input (input.c), times
 * (feat_time, with core/time.c's forms), the router's unmatched paths,
 * "featcgi -E" (featcgi-api(7)'s code lists) and "featcgi -D nginx-maps"
 * (nginx's own error bodies) all read these tables, so they cannot drift
 * apart.
 *
 * Which dialect answers which path (the prefixes modules declare, the
 * shapes) and the nginx maps made from that are in paths.c.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"



/* ---- the vocabulary ------------------------------------------------------ */

static const struct feat_error_info  feat_errors[] = {
#define FEAT_X(nm, lv, zhm, enm)  { #nm, lv, zhm, enm },
    FEAT_FOR_EACH_ERROR(FEAT_X)
#undef FEAT_X
};


const struct feat_error_info *
feat_error_info(enum feat_error e)
{
    if (e <= FEAT_E_NONE || e >= FEAT_E_LAST) {
        feat_log(LOG_ALERT, 0, "no error %d in the table", (int) e);
        e = FEAT_E_INTERNAL;
    }

    return &feat_errors[e - 1];
}


/* ---- the error tables ---------------------------------------------------- */

/*
 * The seeds' own texts: seeds/004's table of v2 codes and the codes
 * seeds/003 lists for v1.  Every row of a code the seed names answers
 * exactly the seed's text (and, being the seed's, without the field
 * named after it: feat_numbered_error), whatever the vocabulary says;
 * t/10-seed-texts.t holds the tables to the seeds.
 */
#define V2_10000  "通用错误码"
#define V2_10001  "数据未查到"
#define V2_10002  "访问的路径不存在"
#define V2_10003  "该用户没有访问或操作权限"
#define V2_10004  "无效的Token, 可能是错误的, 失效的, 用户已被删除"
#define V2_10005  "请求字段不合法"
#define V2_10006  "用户未注册"
#define V2_10007  "密码错误"
#define V2_10008  "无效的验证码"
#define V2_10009  "用户已注册"
#define V2_10010  "短信发送太频繁"
#define V2_10011  "短信服务欠费"
#define V2_10012  "短信服务其他错误信息"
#define V2_10013  "短信服务不可用, 可能是服务变更或参数错误导致"
#define V2_10014  "邮件服务不可用, 可能是服务变更或参数错误导致"

#define V1_10002  "手机号格式不正确"
#define V1_10005  "token过期"
#define V1_10012  "缺少字段"
#define V1_10021  "缺少token字段"
#define V1_10022  "已注册"

/*
 * v2: HTTP 200 with the code in the body, but for failures a client cannot
 * act on through the code: no such path or method, a body too large, of
 * another type or refused by nginx, and internal failures (API.md).
 */
static const struct feat_dialect_error  feat_v2_errors[FEAT_E_LAST] = {
    /*                            status  code */
    [FEAT_E_INTERNAL]       = { 500, 10000, NULL, V2_10000, NULL },
    [FEAT_E_NOT_FOUND]      = { 200, 10001, NULL, V2_10001, NULL },
    [FEAT_E_NO_ROUTE]       = { 404, 10002, NULL, V2_10002, NULL },
    [FEAT_E_METHOD]         = { 405, 10002, NULL, V2_10002, NULL },
    [FEAT_E_FORBIDDEN]      = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_UNKNOWN_APP]    = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_DISABLED]       = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_SCOPE]          = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_NO_TOKEN]       = { 200, 10004, NULL, V2_10004, NULL },
    [FEAT_E_BAD_TOKEN]      = { 200, 10004, NULL, V2_10004, NULL },
    [FEAT_E_TOKEN_EXPIRED]  = { 200, 10004, NULL, V2_10004, NULL },
    [FEAT_E_BAD_FIELD]      = { 200, 10005, NULL, V2_10005, NULL },
    [FEAT_E_BAD_ACCOUNT]    = { 200, 10005, NULL, V2_10005, NULL },
    [FEAT_E_TOO_LARGE]      = { 413, 10005, NULL, V2_10005, NULL },
    [FEAT_E_MEDIA_TYPE]     = { 415, 10005, NULL, V2_10005, NULL },
    [FEAT_E_NOT_REGISTERED] = { 200, 10006, NULL, V2_10006, NULL },
    [FEAT_E_WRONG_PASSWORD] = { 200, 10007, NULL, V2_10007, NULL },
    [FEAT_E_BAD_CODE]       = { 200, 10008, NULL, V2_10008, NULL },
    [FEAT_E_REGISTERED]     = { 200, 10009, NULL, V2_10009, NULL },
    [FEAT_E_BOUND]          = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_TOO_FREQUENT]   = { 200, 10010, NULL, V2_10010, NULL },
    [FEAT_E_LOCKED]         = { 200, 10100, NULL, NULL, NULL },
    [FEAT_E_BUSY]           = { 200, 10100, NULL, NULL, NULL },
    [FEAT_E_SMS_ARREARS]    = { 200, 10011, NULL, V2_10011, NULL },
    [FEAT_E_SMS_FAILED]     = { 200, 10012, NULL, V2_10012, NULL },
    [FEAT_E_SMS_DOWN]       = { 200, 10013, NULL, V2_10013, NULL },
    [FEAT_E_MAIL_DOWN]      = { 200, 10014, NULL, V2_10014, NULL },
    [FEAT_E_WRONG_STATE]    = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_PERMIT]         = { 200, 10005, NULL, V2_10005, NULL },
    [FEAT_E_UPLOAD]         = { 200, 10005, NULL, V2_10005, NULL },
    [FEAT_E_UPSTREAM]       = { 200, 10000, NULL, V2_10000, NULL },
    [FEAT_E_BAD_REQUEST]    = { 400, 10005, NULL, V2_10005, NULL },
    [FEAT_E_CLIENT]         = { 200, 10004, NULL, V2_10004, NULL },
    [FEAT_E_GRANT]          = { 200, 10004, NULL, V2_10004, NULL },
    [FEAT_E_CLIENT_GRANT]   = { 200, 10003, NULL, V2_10003, NULL },
    [FEAT_E_GRANT_TYPE]     = { 200, 10005, NULL, V2_10005, NULL },
    [FEAT_E_PAY_METHOD]     = { 200, 10005, NULL, V2_10005, NULL },
    [FEAT_E_PAY_UNAVAILABLE] = { 200, 10000, NULL, V2_10000, NULL },
    [FEAT_E_PAY_GATEWAY]    = { 200, 10000, NULL, V2_10000, NULL },
    [FEAT_E_UNAVAILABLE]    = { 503, 10000, NULL, V2_10000, NULL },
    [FEAT_E_TOTP]           = { 200, 10004, NULL, V2_10004, NULL },
    [FEAT_E_CSRF]           = { 200, 10003, NULL, V2_10003, NULL },
};

/* v1: the same HTTP statuses as v2; the seed fixes 10002, 10005, 10012,
 * 10021 and 10022, the rest are ours (API.md "v1 API"). */
static const struct feat_dialect_error  feat_v1_errors[FEAT_E_LAST] = {
    /*                            status  code */
    [FEAT_E_INTERNAL]       = { 500, 10000, NULL, NULL, NULL },
    [FEAT_E_NOT_FOUND]      = { 200, 10008, NULL, NULL, NULL },
    [FEAT_E_NO_ROUTE]       = { 404, 10008, NULL, NULL, NULL },
    [FEAT_E_METHOD]         = { 405, 10008, NULL, NULL, NULL },
    [FEAT_E_FORBIDDEN]      = { 200, 10007, NULL, NULL, NULL },
    [FEAT_E_UNKNOWN_APP]    = { 200, 10007, NULL, NULL, NULL },
    [FEAT_E_DISABLED]       = { 200, 10007, NULL, NULL, NULL },
    [FEAT_E_SCOPE]          = { 200, 10007, NULL, NULL, NULL },
    [FEAT_E_NO_TOKEN]       = { 200, 10021, NULL, V1_10021, NULL },
    [FEAT_E_BAD_TOKEN]      = { 200, 10001, NULL, NULL, NULL },
    [FEAT_E_TOKEN_EXPIRED]  = { 200, 10005, NULL, V1_10005, NULL },
    [FEAT_E_BAD_FIELD]      = { 200, 10012, NULL, V1_10012, NULL },
    [FEAT_E_BAD_ACCOUNT]    = { 200, 10002, NULL, V1_10002, NULL },
    [FEAT_E_TOO_LARGE]      = { 413, 10012, NULL, V1_10012, NULL },
    [FEAT_E_MEDIA_TYPE]     = { 415, 10012, NULL, V1_10012, NULL },
    [FEAT_E_NOT_REGISTERED] = { 200, 10006, NULL, NULL, NULL },
    [FEAT_E_WRONG_PASSWORD] = { 200, 10003, NULL, NULL, NULL },
    [FEAT_E_BAD_CODE]       = { 200, 10004, NULL, NULL, NULL },
    [FEAT_E_REGISTERED]     = { 200, 10022, NULL, V1_10022, NULL },
    [FEAT_E_BOUND]          = { 200, 10022, NULL, V1_10022, NULL },
    [FEAT_E_TOO_FREQUENT]   = { 200, 10009, NULL, NULL, NULL },
    [FEAT_E_LOCKED]         = { 200, 10009, NULL, NULL, NULL },
    [FEAT_E_BUSY]           = { 200, 10009, NULL, NULL, NULL },
    [FEAT_E_SMS_ARREARS]    = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_SMS_FAILED]     = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_SMS_DOWN]       = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_MAIL_DOWN]      = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_WRONG_STATE]    = { 200, 10007, NULL, NULL, NULL },
    [FEAT_E_PERMIT]         = { 200, 10012, NULL, V1_10012, NULL },
    [FEAT_E_UPLOAD]         = { 200, 10010, NULL, NULL, NULL },
    [FEAT_E_UPSTREAM]       = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_BAD_REQUEST]    = { 400, 10012, NULL, V1_10012, NULL },
    [FEAT_E_CLIENT]         = { 200, 10001, NULL, NULL, NULL },
    [FEAT_E_GRANT]          = { 200, 10001, NULL, NULL, NULL },
    [FEAT_E_CLIENT_GRANT]   = { 200, 10007, NULL, NULL, NULL },
    [FEAT_E_GRANT_TYPE]     = { 200, 10012, NULL, V1_10012, NULL },
    [FEAT_E_PAY_METHOD]     = { 200, 10012, NULL, V1_10012, NULL },
    [FEAT_E_PAY_UNAVAILABLE] = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_PAY_GATEWAY]    = { 200, 10000, NULL, NULL, NULL },
    [FEAT_E_UNAVAILABLE]    = { 503, 10000, NULL, NULL, NULL },
    [FEAT_E_TOTP]           = { 200, 10001, NULL, NULL, NULL },
    [FEAT_E_CSRF]           = { 200, 10007, NULL, NULL, NULL },
};

/* feat: the HTTP status carries the outcome, "code" names it (API.md
 * "Status codes in feat"). */
static const struct feat_dialect_error  feat_feat_errors[FEAT_E_LAST] = {
    /*                        status     code */
    [FEAT_E_INTERNAL]       = { 500, 0, "error", NULL, NULL },
    [FEAT_E_NOT_FOUND]      = { 404, 0, "not_found", NULL, NULL },
    [FEAT_E_NO_ROUTE]       = { 404, 0, "not_found", NULL, NULL },
    [FEAT_E_METHOD]         = { 405, 0, "method_not_allowed", NULL, NULL },
    [FEAT_E_FORBIDDEN]      = { 403, 0, "permission_denied", NULL, NULL },
    [FEAT_E_UNKNOWN_APP]    = { 403, 0, "unknown_app", NULL, NULL },
    [FEAT_E_DISABLED]       = { 403, 0, "permission_denied", NULL, NULL },
    [FEAT_E_SCOPE]          = { 403, 0, "insufficient_scope", NULL, NULL },
    [FEAT_E_NO_TOKEN]       = { 401, 0, "not_authenticated", NULL, NULL },
    [FEAT_E_BAD_TOKEN]      = { 401, 0, "authentication_failed", NULL, NULL },
    [FEAT_E_TOKEN_EXPIRED]  = { 401, 0, "authentication_failed", NULL, NULL },
    [FEAT_E_BAD_FIELD]      = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_BAD_ACCOUNT]    = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_TOO_LARGE]      = { 413, 0, "request_too_large", NULL, NULL },
    [FEAT_E_MEDIA_TYPE]     = { 415, 0, "unsupported_media_type", NULL,
                                NULL },
    [FEAT_E_NOT_REGISTERED] = { 404, 0, "not_registered", NULL, NULL },
    [FEAT_E_WRONG_PASSWORD] = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_BAD_CODE]       = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_REGISTERED]     = { 409, 0, "already_registered", NULL, NULL },
    [FEAT_E_BOUND]          = { 409, 0, "already_bound", NULL, NULL },
    [FEAT_E_TOO_FREQUENT]   = { 429, 0, "throttled", NULL, NULL },
    [FEAT_E_LOCKED]         = { 429, 0, "throttled", NULL, NULL },
    [FEAT_E_BUSY]           = { 429, 0, "throttled", NULL, NULL },
    [FEAT_E_SMS_ARREARS]    = { 503, 0, "delivery_failed", NULL, NULL },
    [FEAT_E_SMS_FAILED]     = { 503, 0, "delivery_failed", NULL, NULL },
    [FEAT_E_SMS_DOWN]       = { 503, 0, "delivery_failed", NULL, NULL },
    [FEAT_E_MAIL_DOWN]      = { 503, 0, "delivery_failed", NULL, NULL },
    [FEAT_E_WRONG_STATE]    = { 409, 0, "invalid_transition", NULL, NULL },
    [FEAT_E_PERMIT]         = { 400, 0, "invalid_permit_token", NULL, NULL },
    [FEAT_E_UPLOAD]         = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_UPSTREAM]       = { 503, 0, "delivery_failed", NULL, NULL },
    [FEAT_E_BAD_REQUEST]    = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_CLIENT]         = { 401, 0, "authentication_failed", NULL, NULL },
    [FEAT_E_GRANT]          = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_CLIENT_GRANT]   = { 403, 0, "permission_denied", NULL, NULL },
    [FEAT_E_GRANT_TYPE]     = { 400, 0, "invalid", NULL, NULL },
    [FEAT_E_PAY_METHOD]     = { 400, 0, "unsupported_pay_method", NULL,
                                NULL },
    [FEAT_E_PAY_UNAVAILABLE] = { 503, 0, "payment_unavailable", NULL, NULL },
    [FEAT_E_PAY_GATEWAY]    = { 502, 0, "payment_gateway_error", NULL,
                                NULL },
    [FEAT_E_UNAVAILABLE]    = { 503, 0, "service_unavailable", NULL,
                                NULL },
    [FEAT_E_TOTP]           = { 401, 0, "authentication_failed", NULL, NULL },
    [FEAT_E_CSRF]           = { 403, 0, "permission_denied", NULL, NULL },
};

/*
 * OAuth2: RFC 6749 §5.2's codes with its statuses (400, and 401 for
 * invalid_client).  What §5.2 has no code for keeps the status the other
 * dialects give it, as invalid_request when it is the request's fault,
 * server_error (§4.1.2.1) or temporarily_unavailable when it is ours.
 * The texts are the vocabulary's English ones: error_description is ASCII.
 */
static const struct feat_dialect_error  feat_oauth2_errors[FEAT_E_LAST] = {
    /*                        status     error */
    [FEAT_E_INTERNAL]       = { 500, 0, "server_error", NULL, NULL },
    [FEAT_E_NOT_FOUND]      = { 404, 0, "invalid_request", NULL, NULL },
    [FEAT_E_NO_ROUTE]       = { 404, 0, "invalid_request", NULL, NULL },
    [FEAT_E_METHOD]         = { 405, 0, "invalid_request", NULL, NULL },
    [FEAT_E_FORBIDDEN]      = { 400, 0, "unauthorized_client", NULL, NULL },
    [FEAT_E_UNKNOWN_APP]    = { 401, 0, "invalid_client", NULL, NULL },
    [FEAT_E_DISABLED]       = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_SCOPE]          = { 400, 0, "invalid_scope", NULL, NULL },
    [FEAT_E_NO_TOKEN]       = { 400, 0, "invalid_request", NULL, NULL },
    [FEAT_E_BAD_TOKEN]      = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_TOKEN_EXPIRED]  = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_BAD_FIELD]      = { 400, 0, "invalid_request", NULL, NULL },
    [FEAT_E_BAD_ACCOUNT]    = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_TOO_LARGE]      = { 413, 0, "invalid_request", NULL, NULL },
    [FEAT_E_MEDIA_TYPE]     = { 415, 0, "invalid_request", NULL, NULL },
    [FEAT_E_NOT_REGISTERED] = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_WRONG_PASSWORD] = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_BAD_CODE]       = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_REGISTERED]     = { 409, 0, "invalid_request", NULL, NULL },
    [FEAT_E_BOUND]          = { 409, 0, "invalid_request", NULL, NULL },
    [FEAT_E_TOO_FREQUENT]   = { 429, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_LOCKED]         = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_BUSY]           = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_SMS_ARREARS]    = { 503, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_SMS_FAILED]     = { 503, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_SMS_DOWN]       = { 503, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_MAIL_DOWN]      = { 503, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_WRONG_STATE]    = { 409, 0, "invalid_request", NULL, NULL },
    [FEAT_E_PERMIT]         = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_UPLOAD]         = { 400, 0, "invalid_request", NULL, NULL },
    [FEAT_E_UPSTREAM]       = { 503, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_BAD_REQUEST]    = { 400, 0, "invalid_request", NULL, NULL },
    [FEAT_E_CLIENT]         = { 401, 0, "invalid_client", NULL, NULL },
    [FEAT_E_GRANT]          = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_CLIENT_GRANT]   = { 400, 0, "unauthorized_client", NULL, NULL },
    [FEAT_E_GRANT_TYPE]     = { 400, 0, "unsupported_grant_type", NULL,
                                NULL },
    [FEAT_E_PAY_METHOD]     = { 400, 0, "invalid_request", NULL, NULL },
    [FEAT_E_PAY_UNAVAILABLE] = { 503, 0, "temporarily_unavailable", NULL,
                                 NULL },
    [FEAT_E_PAY_GATEWAY]    = { 502, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_UNAVAILABLE]    = { 503, 0, "temporarily_unavailable", NULL,
                                NULL },
    [FEAT_E_TOTP]           = { 400, 0, "invalid_grant", NULL, NULL },
    [FEAT_E_CSRF]           = { 400, 0, "invalid_request", NULL, NULL },
};


/*
 * admin: the console's API (/admin/api/, featcgi-api(7) "ADMIN API"): the
 * HTTP status carries the outcome, "code" names it in snake case.  An
 * app the manager may not see is not found, never forbidden: no oracle
 * of other tenants' ids.
 */
#define ADMIN_NO_SESSION   "请先登录", "sign in first"
#define ADMIN_CREDENTIALS  "用户名或密码错误", "wrong login or password"

static const struct feat_dialect_error  feat_admin_errors[FEAT_E_LAST] = {
    /*                        status     code */
    [FEAT_E_INTERNAL]       = { 500, 0, "internal", NULL, NULL },
    [FEAT_E_NOT_FOUND]      = { 404, 0, "not_found", NULL, NULL },
    [FEAT_E_NO_ROUTE]       = { 404, 0, "not_found", NULL, NULL },
    [FEAT_E_METHOD]         = { 405, 0, "method_not_allowed", NULL, NULL },
    [FEAT_E_FORBIDDEN]      = { 403, 0, "forbidden", NULL, NULL },
    [FEAT_E_UNKNOWN_APP]    = { 404, 0, "not_found", NULL, NULL },
    [FEAT_E_DISABLED]       = { 403, 0, "forbidden", NULL, NULL },
    [FEAT_E_SCOPE]          = { 403, 0, "forbidden", NULL, NULL },
    [FEAT_E_NO_TOKEN]       = { 401, 0, "no_session", ADMIN_NO_SESSION },
    [FEAT_E_BAD_TOKEN]      = { 401, 0, "no_session", ADMIN_NO_SESSION },
    [FEAT_E_TOKEN_EXPIRED]  = { 401, 0, "no_session", ADMIN_NO_SESSION },
    [FEAT_E_BAD_FIELD]      = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_BAD_ACCOUNT]    = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_TOO_LARGE]      = { 413, 0, "too_large", NULL, NULL },
    [FEAT_E_MEDIA_TYPE]     = { 415, 0, "media_type", NULL, NULL },
    [FEAT_E_NOT_REGISTERED] = { 401, 0, "bad_credentials",
                                ADMIN_CREDENTIALS },
    [FEAT_E_WRONG_PASSWORD] = { 401, 0, "bad_credentials",
                                ADMIN_CREDENTIALS },
    [FEAT_E_BAD_CODE]       = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_REGISTERED]     = { 409, 0, "conflict", NULL, NULL },
    [FEAT_E_BOUND]          = { 409, 0, "conflict", NULL, NULL },
    [FEAT_E_TOO_FREQUENT]   = { 429, 0, "too_frequent", NULL, NULL },
    [FEAT_E_LOCKED]         = { 429, 0, "locked", NULL, NULL },
    [FEAT_E_BUSY]           = { 429, 0, "busy", NULL, NULL },
    [FEAT_E_SMS_ARREARS]    = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_SMS_FAILED]     = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_SMS_DOWN]       = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_MAIL_DOWN]      = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_WRONG_STATE]    = { 409, 0, "wrong_state", NULL, NULL },
    [FEAT_E_PERMIT]         = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_UPLOAD]         = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_UPSTREAM]       = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_BAD_REQUEST]    = { 400, 0, "bad_request", NULL, NULL },
    [FEAT_E_CLIENT]         = { 401, 0, "bad_credentials", NULL, NULL },
    [FEAT_E_GRANT]          = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_CLIENT_GRANT]   = { 403, 0, "forbidden", NULL, NULL },
    [FEAT_E_GRANT_TYPE]     = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_PAY_METHOD]     = { 400, 0, "bad_field", NULL, NULL },
    [FEAT_E_PAY_UNAVAILABLE] = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_PAY_GATEWAY]    = { 502, 0, "upstream", NULL, NULL },
    [FEAT_E_UNAVAILABLE]    = { 503, 0, "unavailable", NULL, NULL },
    [FEAT_E_TOTP]           = { 401, 0, "totp_required", NULL, NULL },
    [FEAT_E_CSRF]           = { 403, 0, "csrf", NULL, NULL },
};

/* ---- envelopes and error bodies ------------------------------------------ */

/* v2: {"code":0,"message":"success","data":...} */
static cJSON *
feat_v2_envelope(cJSON *data)
{
    cJSON  *env;

    env = cJSON_CreateObject();
    cJSON_AddNumberToObject(env, "code", 0);
    cJSON_AddStringToObject(env, "message", "success");
    cJSON_AddItemToObject(env, "data",
                          data != NULL ? data : cJSON_CreateObject());

    return env;
}


/* v1: {"code":0,"message":...}, the answer under "message" (seeds/003) */
static cJSON *
feat_v1_envelope(cJSON *data)
{
    cJSON  *env;

    env = cJSON_CreateObject();
    cJSON_AddNumberToObject(env, "code", 0);
    cJSON_AddItemToObject(env, "message",
                          data != NULL ? data : cJSON_CreateString(""));

    return env;
}


/* feat: {"data":...} */
static cJSON *
feat_feat_envelope(cJSON *data)
{
    cJSON  *env;

    env = cJSON_CreateObject();
    cJSON_AddItemToObject(env, "data",
                          data != NULL ? data : cJSON_CreateObject());

    return env;
}


/* OAuth2: the RFC's members at top level, no envelope */
static cJSON *
feat_oauth2_envelope(cJSON *data)
{
    return data != NULL ? data : cJSON_CreateObject();
}


/*
 * admin: {"data":...}, and a list page as it is: {"data":[...],"total",
 * "page","size"}.  The page hook marks its object by a name that the
 * envelope alone knows (a top-level item's name is never printed), so
 * no data object can pass for a page by its members.
 */
static const char  feat_admin_page_mark[] = "feat admin page";

static cJSON *
feat_admin_envelope(cJSON *data)
{
    cJSON  *env;

    if (data != NULL && data->string == feat_admin_page_mark) {
        data->string = NULL;
        data->type &= ~cJSON_StringIsConst;
        return data;
    }

    env = cJSON_CreateObject();
    cJSON_AddItemToObject(env, "data",
                          data != NULL ? data : cJSON_CreateObject());

    return env;
}


/* admin: {"error":{"code","message"}}, and "field" for a field error */
static cJSON *
feat_admin_error(struct feat_arena *a, const struct feat_dialect_error *row,
    const char *text, const char *field, const char *reason)
{
    cJSON  *body, *err;

    (void) a;
    (void) reason;

    body = cJSON_CreateObject();
    err = cJSON_AddObjectToObject(body, "error");
    cJSON_AddStringToObject(err, "code", row->code);
    cJSON_AddStringToObject(err, "message", text);

    if (field != NULL) {
        cJSON_AddStringToObject(err, "field", field);
    }

    return body;
}


/* admin: a refusal for want of a hashing slot says when to try again
 * (a lockout's Retry-After is the sign-in's: the window is accounts'). */
static void
feat_admin_error_headers(struct feat_req *r,
    const struct feat_dialect_error *row)
{
    if (row == &feat_admin_errors[FEAT_E_BUSY]) {
        feat_reply_header(r, "Retry-After", "1");
    }
}


/* The admin answers' headers, on every answer (the contract's). */
static const struct feat_header  feat_admin_headers[] = {
    { "Cache-Control", "no-store" },
    { "X-Content-Type-Options", "nosniff" },
    { "X-Frame-Options", "DENY" },
    { "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'" },
    { "Referrer-Policy", "no-referrer" },
    { NULL, NULL }
};


/* v2 {"code","message","data":{}}, v1 without data; a field error names
 * the field after the text, unless the text is the seed's own (the row
 * has its own texts), which is answered exactly as the seed spells it. */
static cJSON *
feat_numbered_error(const struct feat_dialect_error *row, const char *text,
    const char *field, const char *reason, int with_data,
    struct feat_arena *a)
{
    cJSON  *body;

    (void) reason;

    body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "code", row->num);

    if (field != NULL && a != NULL && (row->zh == NULL || text != row->zh))
    {
        cJSON_AddStringToObject(body, "message",
                                feat_arena_sprintf(a, "%s: %s", text, field));
    } else {
        cJSON_AddStringToObject(body, "message", text);
    }

    if (with_data) {
        cJSON_AddObjectToObject(body, "data");
    }

    return body;
}


static cJSON *
feat_v2_error(struct feat_arena *a, const struct feat_dialect_error *row,
    const char *text, const char *field, const char *reason)
{
    return feat_numbered_error(row, text, field, reason, 1, a);
}


static cJSON *
feat_v1_error(struct feat_arena *a, const struct feat_dialect_error *row,
    const char *text, const char *field, const char *reason)
{
    return feat_numbered_error(row, text, field, reason, 0, a);
}


/* feat: {"detail","code"}, and "errors": {field: [reason]} for a field */
static cJSON *
feat_feat_error(struct feat_arena *a, const struct feat_dialect_error *row,
    const char *text, const char *field, const char *reason)
{
    cJSON  *body, *errors, *reasons;

    (void) a;

    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "detail", text);
    cJSON_AddStringToObject(body, "code", row->code);

    if (field != NULL) {
        errors = cJSON_AddObjectToObject(body, "errors");
        reasons = cJSON_AddArrayToObject(errors, field);
        cJSON_AddItemToArray(reasons,
                             cJSON_CreateString(reason != NULL ? reason
                                                               : text));
    }

    return body;
}


/* OAuth2: {"error","error_description"} (RFC 6749 §5.2) */
static cJSON *
feat_oauth2_error(struct feat_arena *a, const struct feat_dialect_error *row,
    const char *text, const char *field, const char *reason)
{
    cJSON  *body;

    (void) a;
    (void) field;
    (void) reason;

    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", row->code);
    cJSON_AddStringToObject(body, "error_description", text);

    return body;
}


/* feat: a 401 names the scheme to authenticate with (RFC 9110 §11.6.1). */
static void
feat_feat_error_headers(struct feat_req *r,
    const struct feat_dialect_error *row)
{
    if (row->status == 401) {
        feat_reply_header(r, "WWW-Authenticate", "Bearer");
    }
}


/* OAuth2: RFC 6749 §5.2 answers are never cached; invalid_client names
 * the Basic scheme clients authenticate with (§5.2, 401). */
static void
feat_oauth2_error_headers(struct feat_req *r,
    const struct feat_dialect_error *row)
{
    feat_reply_header(r, "Cache-Control", "no-store");
    feat_reply_header(r, "Pragma", "no-cache");

    if (row->status == 401) {
        feat_reply_header(r, "WWW-Authenticate", "Basic realm=\"featcgi\"");
    }
}


/* ---- pages --------------------------------------------------------------- */

/* v2 and v1: {"total","pages","current_page","page_size","data"} */
static cJSON *
feat_page_numbered(struct feat_req *r, const struct feat_page *pg,
    long long total, cJSON *items)
{
    cJSON      *o;
    long long   pages;

    (void) r;

    pages = (pg->size > 0) ? total / pg->size + (total % pg->size != 0) : 0;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double) total);
    cJSON_AddNumberToObject(o, "pages", (double) pages);
    cJSON_AddNumberToObject(o, "current_page", (double) pg->page);
    cJSON_AddNumberToObject(o, "page_size", (double) pg->size);
    cJSON_AddItemToObject(o, "data", items);

    return o;
}


/* feat (Django REST framework's): {"count","next","previous","results"},
 * next and previous absolute URLs or null */
static cJSON *
feat_page_linked(struct feat_req *r, const struct feat_page *pg,
    long long total, cJSON *items)
{
    cJSON       *o;
    const char  *arg;

    arg = feat_dialect(r->dialect)->page_arg;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double) total);

    /* more rows after this page; offset saturates for absurd pages */
    if (pg->offset < total - pg->size && pg->page < (1LL << 53)) {
        cJSON_AddStringToObject(o, "next",
                                feat_reply_page_url(r, arg, pg->page + 1));
    } else {
        cJSON_AddNullToObject(o, "next");
    }

    if (pg->page > 1 && pg->page < (1LL << 53)) {
        cJSON_AddStringToObject(o, "previous",
                                feat_reply_page_url(r, arg, pg->page - 1));
    } else {
        cJSON_AddNullToObject(o, "previous");
    }

    cJSON_AddItemToObject(o, "results", items);

    return o;
}


/* admin: {"data":[...],"total","page","size"}, marked for the envelope */
static cJSON *
feat_page_admin(struct feat_req *r, const struct feat_page *pg,
    long long total, cJSON *items)
{
    cJSON  *o;

    (void) r;

    o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "data", items);
    cJSON_AddNumberToObject(o, "total", (double) total);
    cJSON_AddNumberToObject(o, "page", (double) pg->page);
    cJSON_AddNumberToObject(o, "size", (double) pg->size);

    o->string = (char *) feat_admin_page_mark;
    o->type |= cJSON_StringIsConst;

    return o;
}


const char *
feat_time(struct feat_req *r, time_t t)
{
    return feat_dialect(r->dialect)->time(r->arena, t);
}


cJSON *
feat_page_object(struct feat_req *r, const struct feat_page *pg,
    long long total, cJSON *items)
{
    return feat_dialect(r->dialect)->page(r, pg, total < 0 ? 0 : total,
                                          items != NULL
                                          ? items : cJSON_CreateArray());
}


/* ---- the dialects -------------------------------------------------------- */

static const struct feat_dialect  feat_dialect_v2 = {
    .id = FEAT_V2,
    .name = "v2",
    .switch_name = "v2",
    .shapes = FEAT_SHAPE_REST,
    .auth = FEAT_AUTH_TOKEN | FEAT_AUTH_BEARER,
    .errors = feat_v2_errors,
    .envelope = feat_v2_envelope,
    .error = feat_v2_error,
    .page_arg = "page_no",
    .size_arg = "page_size",
    .page = feat_page_numbered,
    .time = feat_time_v2
};

static const struct feat_dialect  feat_dialect_v1 = {
    .id = FEAT_V1,
    .name = "v1",
    .switch_name = "v1",
    .auth = FEAT_AUTH_BARE | FEAT_AUTH_BEARER,
    .errors = feat_v1_errors,
    .envelope = feat_v1_envelope,
    .error = feat_v1_error,
    .page_arg = "page",
    .size_arg = NULL,               /* 20, as the seed's lists */
    .page = feat_page_numbered,
    .time = feat_time_v1
};

static const struct feat_dialect  feat_dialect_feat = {
    .id = FEAT_FEAT,
    .name = "feat",
    .switch_name = "feat",
    .shapes = FEAT_SHAPE_SLASH,
    .auth = FEAT_AUTH_TOKEN | FEAT_AUTH_BEARER,
    .errors = feat_feat_errors,
    .envelope = feat_feat_envelope,
    .error = feat_feat_error,
    .error_headers = feat_feat_error_headers,
    .page_arg = "page",
    .size_arg = "page_size",
    .page = feat_page_linked,
    .time = feat_time_iso
};

/* Served with feat (config "dialects" switches both with "feat"); its
 * unmatched paths are feat's too (API.md "Routing"), and its routes take
 * client credentials of their own, never a session. */
static const struct feat_dialect  feat_dialect_oauth2 = {
    .id = FEAT_OAUTH2,
    .name = "oauth2",
    .switch_name = "feat",
    .english = 1,                   /* RFC 6749 §5.2: ASCII descriptions */
    .errors = feat_oauth2_errors,
    .envelope = feat_oauth2_envelope,
    .error = feat_oauth2_error,
    .error_headers = feat_oauth2_error_headers,
    .page_arg = "page",
    .size_arg = "page_size",
    .page = feat_page_linked,
    .time = feat_time_iso
};

/* The console's API: its own prefix whatever the shape, JSON only, the
 * contract's headers on every answer; the manager's credential is a
 * cookie (modules/admin), so no Authorization form. */
static const struct feat_dialect  feat_dialect_admin = {
    .id = FEAT_ADMIN,
    .name = "admin",
    .switch_name = "admin",
    .errors = feat_admin_errors,
    .envelope = feat_admin_envelope,
    .error = feat_admin_error,
    .error_headers = feat_admin_error_headers,
    .page_arg = "page",
    .size_arg = "size",
    .page = feat_page_admin,
    .time = feat_time_iso,
    .prefix = "/admin/api/",
    .headers = feat_admin_headers,
    .json_only = 1
};

const struct feat_dialect *const  feat_dialects[] = {
    &feat_dialect_v2, &feat_dialect_v1, &feat_dialect_feat,
    &feat_dialect_oauth2, &feat_dialect_admin, NULL
};


const struct feat_dialect *
feat_dialect(unsigned id)
{
    switch (id) {
    case FEAT_V2:
        return &feat_dialect_v2;
    case FEAT_V1:
        return &feat_dialect_v1;
    case FEAT_FEAT:
        return &feat_dialect_feat;
    case FEAT_OAUTH2:
        return &feat_dialect_oauth2;
    case FEAT_ADMIN:
        return &feat_dialect_admin;
    default:
        feat_log(LOG_ALERT, 0, "no dialect %u", id);
        return &feat_dialect_v2;
    }
}


const struct feat_dialect_error *
feat_dialect_row(const struct feat_dialect *d, enum feat_error e)
{
    if (e <= FEAT_E_NONE || e >= FEAT_E_LAST) {
        feat_log(LOG_ALERT, 0, "no error %d in the table", (int) e);
        e = FEAT_E_INTERNAL;
    }

    return &d->errors[e];
}


const char *
feat_dialect_text(const struct feat_dialect *d, enum feat_error e,
    int english)
{
    const struct feat_error_info     *info;
    const struct feat_dialect_error  *row;

    info = feat_error_info(e);
    row = feat_dialect_row(d, e);

    if (english || d->english) {
        return row->en != NULL ? row->en : info->en;
    }

    return row->zh != NULL ? row->zh : info->zh;
}


const struct feat_dialect_error *
feat_error_row(struct feat_req *r, enum feat_error e)
{
    return feat_dialect_row(feat_dialect(r->dialect), e);
}


const char *
feat_error_text(struct feat_req *r, enum feat_error e)
{
    return feat_dialect_text(feat_dialect(r->dialect), e,
                             feat_dialect_locale_en());
}


int
feat_dialect_locale_en(void)
{
    return strcmp(feat_conf_str(FEAT_CONF_LOCALE), "en") == 0;
}


int
feat_dialect_check(void)
{
    int                                e;
    const struct feat_dialect *const  *d;
    const struct feat_dialect_error   *row;

    for (d = feat_dialects; *d != NULL; d++) {
        for (e = FEAT_E_NONE + 1; e < FEAT_E_LAST; e++) {
            row = &(*d)->errors[e];
            if (row->status < 200 || row->status > 599
                || (row->num == 0) == (row->code == NULL))
            {
                feat_log(LOG_EMERG, 0, "dialect %s: error %s has no row",
                         (*d)->name, feat_errors[e - 1].name);
                return FEAT_ERROR;
            }
        }
    }

    return FEAT_OK;
}


int
feat_dialect_enabled(unsigned id)
{
    const char  *s, *name;
    size_t       len, n;

    name = feat_dialect(id)->switch_name;
    len = strlen(name);
    s = feat_conf_str(FEAT_CONF_DIALECTS);

    /* a short space-separated list: scanning it beats caching it */
    while (*s != '\0') {
        s += strspn(s, " \t,");
        n = strcspn(s, " \t,");
        if (n == len && strncmp(s, name, len) == 0) {
            return 1;
        }
        s += n;
    }

    return 0;
}


/* ---- featcgi -E ---------------------------------------------------------- */

void
feat_dialect_print_errors(FILE *f)
{
    int                                e;
    const struct feat_dialect *const  *d;
    const struct feat_dialect_error   *row;

    for (d = feat_dialects; *d != NULL; d++) {
        for (e = FEAT_E_NONE + 1; e < FEAT_E_LAST; e++) {
            row = feat_dialect_row(*d, (enum feat_error) e);
            fprintf(f, "%s\t%s\t%d\t", (*d)->name, feat_errors[e - 1].name,
                    row->status);
            if (row->code != NULL) {
                fprintf(f, "%s", row->code);
            } else {
                fprintf(f, "%d", row->num);
            }
            fprintf(f, "\t%s\t%s\n",
                    feat_dialect_text(*d, (enum feat_error) e, 0),
                    feat_dialect_text(*d, (enum feat_error) e, 1));
        }
    }
}
