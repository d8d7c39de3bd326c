/*
 * delivery.c: the providers that carry a verification code to its owner.
 *
 * SMS goes by config sms.provider: "log" appends a line to sms.log_path
 * (development and the quick start), "http" posts the code as JSON to an
 * SMS gateway (sms.http_url, a bearer key, a timeout) and maps the
 * gateway's answer onto the error vocabulary.  Mail goes by mail.provider:
 * "aliyun" calls Alibaba Cloud SMS's SendSms (RPC API, signature v1).
 * "log" as above, "smtp" sends a short UTF-8 message through a mail server
 * (mail.smtp_url).  With no provider configured, nothing is sent and the
 * caller is told the service is down, so a fresh install never pretends to
 * have sent a code.  Inputs are checked again here, whatever the caller
 * did: they end up in a log line, a JSON document or SMTP commands, where a
 * stray CR or LF would let one account forge another line or header.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "accounts/delivery.h"


#define FEAT_DELIVER_MAX_ANSWER  (64 * 1024)
#define FEAT_DELIVER_MAX_EMAIL   254
#define FEAT_DELIVER_MAX_APP     64
/* RFC 2045: quoted-printable lines hold at most 76 characters */
#define FEAT_DELIVER_QP_LINE     76


static enum feat_error feat_deliver_sms(struct feat_arena *a,
    const char *app_id, const char *area, const char *phone,
    const char *code);
static enum feat_error feat_deliver_mail(struct feat_arena *a,
    const char *app_id, const char *email, const char *code);
static enum feat_error feat_deliver_sms_http(struct feat_arena *a,
    const char *app_id, const char *area, const char *phone,
    const char *code);
static enum feat_error feat_deliver_sms_aliyun(struct feat_arena *a,
    const char *area, const char *phone, const char *code);
static enum feat_error feat_deliver_smtp(struct feat_arena *a,
    const char *email, const char *code);
static int feat_deliver_log(struct feat_arena *a, const char *app_id,
    const char *kind, const char *to, const char *code);
static const char *feat_deliver_message(struct feat_arena *a,
    const char *from, const char *domain, const char *email,
    const char *code);
static char *feat_deliver_qp(struct feat_arena *a, const char *s);
static int feat_deliver_digits(const char *s, size_t min, size_t max);
static int feat_deliver_address(const char *s);
static int feat_deliver_app(const char *s);
static int feat_deliver_header(const char *s);
static long feat_deliver_timeout(const struct feat_conf_option *o);


enum feat_error
feat_deliver_code(struct feat_arena *a, const char *app_id, const char *area,
    const char *phone, const char *email, const char *code)
{
    if (code == NULL || !feat_deliver_digits(code, 6, 6)) {
        feat_log(LOG_ERR, 0, "deliver: the code is not 6 digits");
        return FEAT_E_INTERNAL;
    }

    if (app_id == NULL || !feat_deliver_app(app_id)) {
        feat_log(LOG_ERR, 0, "deliver: bad app id");
        return FEAT_E_INTERNAL;
    }

    if (phone != NULL) {
        return feat_deliver_sms(a, app_id, area, phone, code);
    }

    if (email != NULL) {
        return feat_deliver_mail(a, app_id, email, code);
    }

    feat_log(LOG_ERR, 0, "deliver: neither phone nor email");
    return FEAT_E_INTERNAL;
}


static enum feat_error
feat_deliver_sms(struct feat_arena *a, const char *app_id, const char *area,
    const char *phone, const char *code)
{
    const char  *provider, *to;

    if (area == NULL || !feat_deliver_digits(area, 1, 4)
        || !feat_deliver_digits(phone, 4, 15))
    {
        feat_log(LOG_ERR, 0, "deliver: bad phone number");
        return FEAT_E_SMS_DOWN;
    }

    provider = feat_conf_str(FEAT_CONF_SMS_PROVIDER);

    if (provider[0] == '\0') {
        feat_log(LOG_WARNING, 0, "deliver: no sms.provider configured");
        return FEAT_E_SMS_DOWN;
    }

    if (strcmp(provider, "log") == 0) {
        to = feat_arena_sprintf(a, "%s%s", area, phone);
        if (feat_deliver_log(a, app_id, "sms", to, code) != FEAT_OK) {
            return FEAT_E_SMS_DOWN;
        }
        return FEAT_E_NONE;
    }

    if (strcmp(provider, "aliyun") == 0) {
        return feat_deliver_sms_aliyun(a, area, phone, code);
    }

    if (strcmp(provider, "http") == 0) {
        return feat_deliver_sms_http(a, app_id, area, phone, code);
    }

    feat_log(LOG_ERR, 0, "deliver: unknown sms.provider \"%s\"", provider);
    return FEAT_E_SMS_DOWN;
}


static enum feat_error
feat_deliver_mail(struct feat_arena *a, const char *app_id,
    const char *email, const char *code)
{
    const char  *provider;

    if (!feat_deliver_address(email)) {
        feat_log(LOG_ERR, 0, "deliver: bad email address");
        return FEAT_E_MAIL_DOWN;
    }

    provider = feat_conf_str(FEAT_CONF_MAIL_PROVIDER);

    if (provider[0] == '\0') {
        feat_log(LOG_WARNING, 0, "deliver: no mail.provider configured");
        return FEAT_E_MAIL_DOWN;
    }

    if (strcmp(provider, "log") == 0) {
        if (feat_deliver_log(a, app_id, "email", email, code) != FEAT_OK) {
            return FEAT_E_MAIL_DOWN;
        }
        return FEAT_E_NONE;
    }

    if (strcmp(provider, "smtp") == 0) {
        return feat_deliver_smtp(a, email, code);
    }

    feat_log(LOG_ERR, 0, "deliver: unknown mail.provider \"%s\"", provider);
    return FEAT_E_MAIL_DOWN;
}


/*
 * The gateway contract: POST {"app","area","phone","code"} with a bearer
 * key; {"code":0} on a 2xx answer means sent, {"code":"arrears"} means the
 * account behind the key must be paid for, anything else is a refusal.  A
 * gateway that cannot be reached, or answers too late, is "down": the
 * client may try again later, while a refusal will not change by itself.
 */
static enum feat_error
feat_deliver_sms_http(struct feat_arena *a, const char *app_id,
    const char *area, const char *phone, const char *code)
{
    const char             *url, *key, *headers[3];
    char                   *body;
    cJSON                  *req, *ans, *c;
    long                    timeout;
    struct feat_http_resp   resp;

    url = feat_conf_str(FEAT_CONF_SMS_HTTP_URL);
    key = feat_conf_str(FEAT_CONF_SMS_HTTP_KEY);
    timeout = feat_deliver_timeout(FEAT_CONF_SMS_HTTP_TIMEOUT);

    if (url[0] == '\0') {
        feat_log(LOG_ERR, 0, "deliver: sms.provider http needs sms.http_url");
        return FEAT_E_SMS_DOWN;
    }

    if (strpbrk(key, "\r\n") != NULL) {
        feat_log(LOG_ERR, 0, "deliver: sms.http_key holds a line break");
        return FEAT_E_SMS_DOWN;
    }

    headers[0] = "Content-Type: application/json";
    headers[1] = key[0] ? feat_arena_sprintf(a, "Authorization: Bearer %s",
                                             key)
                        : NULL;
    headers[2] = NULL;

    req = cJSON_CreateObject();
    if (req == NULL) {
        feat_log(LOG_ERR, 0, "deliver: cannot build the gateway request");
        return FEAT_E_INTERNAL;
    }
    feat_arena_json(a, req);

    if (cJSON_AddStringToObject(req, "app", app_id) == NULL
        || cJSON_AddStringToObject(req, "area", area) == NULL
        || cJSON_AddStringToObject(req, "phone", phone) == NULL
        || cJSON_AddStringToObject(req, "code", code) == NULL)
    {
        feat_log(LOG_ERR, 0, "deliver: cannot build the gateway request");
        return FEAT_E_INTERNAL;
    }

    body = cJSON_PrintUnformatted(req);
    if (body == NULL) {
        feat_log(LOG_ERR, 0, "deliver: cannot print the gateway request");
        return FEAT_E_INTERNAL;
    }
    feat_arena_cleanup_add(a, cJSON_free, body);

    if (feat_http_request(a, "POST", url, headers, body, strlen(body),
                          timeout, FEAT_DELIVER_MAX_ANSWER, &resp)
        != FEAT_OK)
    {
        return FEAT_E_SMS_DOWN;
    }

    ans = cJSON_ParseWithLength(resp.body, resp.len);
    if (ans != NULL) {
        feat_arena_json(a, ans);
    }

    c = cJSON_GetObjectItemCaseSensitive(ans, "code");

    /* arrears whatever the status: a gateway may well answer it with 402 */
    if (cJSON_IsString(c) && strcmp(c->valuestring, "arrears") == 0) {
        feat_log(LOG_WARNING, 0, "deliver: SMS gateway account in arrears");
        return FEAT_E_SMS_ARREARS;
    }

    if (resp.status >= 200 && resp.status < 300
        && cJSON_IsNumber(c) && c->valuedouble == 0)
    {
        return FEAT_E_NONE;
    }

    /* the gateway's code is no secret and says what went wrong; the body
     * is not logged, since it may echo the code */
    if (cJSON_IsString(c)) {
        feat_log(LOG_WARNING, 0, "deliver: SMS gateway refused: HTTP %ld, "
                 "code \"%.32s\"", resp.status, c->valuestring);
    } else if (cJSON_IsNumber(c)) {
        feat_log(LOG_WARNING, 0, "deliver: SMS gateway refused: HTTP %ld, "
                 "code %g", resp.status, c->valuedouble);
    } else {
        feat_log(LOG_WARNING, 0, "deliver: SMS gateway refused: HTTP %ld, "
                 "no code in the answer", resp.status);
    }

    return FEAT_E_SMS_FAILED;
}


/* RFC 3986 percent-encoding, as Alibaba Cloud's signature wants it. */
static char *
feat_deliver_pct(struct feat_arena *a, const char *s)
{
    char                 *out, *p;
    const unsigned char  *q;
    static const char     hex[] = "0123456789ABCDEF";

    out = feat_arena_alloc(a, strlen(s) * 3 + 1);

    for (p = out, q = (const unsigned char *) s; *q != '\0'; q++) {
        if ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')
            || (*q >= '0' && *q <= '9') || strchr("-_.~", *q) != NULL)
        {
            *p++ = (char) *q;
        } else {
            *p++ = '%';
            *p++ = hex[*q >> 4];
            *p++ = hex[*q & 15];
        }
    }

    *p = '\0';
    return out;
}


static int
feat_deliver_param_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *) x, *(const char *const *) y);
}


/*
 * Alibaba Cloud SMS, SendSms (API version 2017-05-25) by its RPC style:
 * the parameters sorted and percent-encoded make the canonical query,
 * "GET&%2F&" and its encoding the string to sign, and base64 of
 * HMAC-SHA1 under access_key_secret + "&" the Signature.  The template
 * gets {"code": CODE}.  Its answer's Code maps onto the vocabulary:
 * "OK" sent, isv.AMOUNT_NOT_ENOUGH arrears, isv.BUSINESS_LIMIT_CONTROL
 * (Alibaba's per-number flow control) too frequent, a refusal of our
 * credentials or parameters (SignatureDoesNotMatch, InvalidAccessKeyId.*,
 * isv.SMS_SIGNATURE_ILLEGAL, isv.SMS_TEMPLATE_ILLEGAL, ...) and no answer
 * down, any other code failed.
 */
static enum feat_error
feat_deliver_sms_aliyun(struct feat_arena *a, const char *area,
    const char *phone, const char *code)
{
    int                     i, n;
    char                    stamp[32], nonce[33], *query, *sign, *url;
    char                    b64[64];
    const char             *id, *secret, *base, *p[16], *to, *c;
    time_t                  now;
    cJSON                  *ans, *jc;
    struct tm               tm;
    unsigned char           mac[20], rnd[16];
    struct feat_http_resp   resp;

    id = feat_conf_str(FEAT_CONF_SMS_ALIYUN_ACCESS_KEY_ID);
    secret = feat_conf_str(FEAT_CONF_SMS_ALIYUN_ACCESS_KEY_SECRET);
    base = feat_conf_str(FEAT_CONF_SMS_ALIYUN_URL);

    if (id[0] == '\0' || secret[0] == '\0'
        || feat_conf_str(FEAT_CONF_SMS_ALIYUN_SIGN_NAME)[0] == '\0'
        || feat_conf_str(FEAT_CONF_SMS_ALIYUN_TEMPLATE_CODE)[0] == '\0')
    {
        feat_log(LOG_ERR, 0, "deliver: sms.provider aliyun needs "
                 "sms.aliyun.access_key_id, access_key_secret, sign_name "
                 "and template_code");
        return FEAT_E_SMS_DOWN;
    }

    now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL
        || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        return FEAT_E_INTERNAL;
    }

    feat_random(rnd, sizeof(rnd));
    feat_hex(rnd, sizeof(rnd), nonce);

    /* mainland numbers bare, others with their country code */
    to = (area == NULL || area[0] == '\0' || strcmp(area, "86") == 0)
         ? phone : feat_arena_sprintf(a, "00%s%s", area, phone);

    n = 0;
    p[n++] = feat_arena_sprintf(a, "AccessKeyId=%s", feat_deliver_pct(a, id));
    p[n++] = "Action=SendSms";
    p[n++] = "Format=JSON";
    p[n++] = feat_arena_sprintf(a, "PhoneNumbers=%s",
                                feat_deliver_pct(a, to));
    p[n++] = "RegionId=cn-hangzhou";
    p[n++] = feat_arena_sprintf(a, "SignName=%s", feat_deliver_pct(a,
                 feat_conf_str(FEAT_CONF_SMS_ALIYUN_SIGN_NAME)));
    p[n++] = "SignatureMethod=HMAC-SHA1";
    p[n++] = feat_arena_sprintf(a, "SignatureNonce=%s", nonce);
    p[n++] = "SignatureVersion=1.0";
    p[n++] = feat_arena_sprintf(a, "TemplateCode=%s", feat_deliver_pct(a,
                 feat_conf_str(FEAT_CONF_SMS_ALIYUN_TEMPLATE_CODE)));
    p[n++] = feat_arena_sprintf(a, "TemplateParam=%s", feat_deliver_pct(a,
                 feat_arena_sprintf(a, "{\"code\":\"%s\"}", code)));
    p[n++] = feat_arena_sprintf(a, "Timestamp=%s",
                                feat_deliver_pct(a, stamp));
    p[n++] = "Version=2017-05-25";

    /* each "Name=value" sorts by its name: no name is a prefix of another
     * one followed by a character below '=' */
    qsort(p, (size_t) n, sizeof(p[0]), feat_deliver_param_cmp);

    query = "";
    for (i = 0; i < n; i++) {
        query = feat_arena_sprintf(a, "%s%s%s", query, i ? "&" : "", p[i]);
    }

    sign = feat_arena_sprintf(a, "GET&%%2F&%s", feat_deliver_pct(a, query));
    {
        char  *key = feat_arena_sprintf(a, "%s&", secret);

        feat_hmac_sha1(key, strlen(key), sign, strlen(sign), mac);
        feat_cleanse(key, strlen(key));
    }
    if (feat_base64_encode(mac, sizeof(mac), b64, sizeof(b64), 0) < 0) {
        return FEAT_E_INTERNAL;
    }

    url = feat_arena_sprintf(a, "%s?Signature=%s&%s", base,
                             feat_deliver_pct(a, b64), query);

    if (feat_http_request(a, "GET", url, NULL, NULL, 0,
                          feat_deliver_timeout(FEAT_CONF_SMS_HTTP_TIMEOUT),
                          FEAT_DELIVER_MAX_ANSWER, &resp)
        != FEAT_OK)
    {
        return FEAT_E_SMS_DOWN;
    }

    ans = cJSON_ParseWithLength(resp.body, resp.len);
    if (ans != NULL) {
        feat_arena_json(a, ans);
    }

    jc = cJSON_GetObjectItemCaseSensitive(ans, "Code");
    c = cJSON_IsString(jc) ? jc->valuestring : "";

    if (resp.status == 200 && strcmp(c, "OK") == 0) {
        return FEAT_E_NONE;
    }

    feat_log(LOG_WARNING, 0, "deliver: Alibaba Cloud SMS refused: HTTP %ld, "
             "Code \"%.64s\"", resp.status, c);

    if (strcmp(c, "isv.AMOUNT_NOT_ENOUGH") == 0) {
        return FEAT_E_SMS_ARREARS;
    }

    if (strcmp(c, "isv.BUSINESS_LIMIT_CONTROL") == 0) {
        return FEAT_E_TOO_FREQUENT;
    }

    if (c[0] == '\0' || resp.status >= 500
        || strcmp(c, "SignatureDoesNotMatch") == 0
        || strncmp(c, "InvalidAccessKeyId", 18) == 0
        || strcmp(c, "isv.SMS_SIGNATURE_ILLEGAL") == 0
        || strcmp(c, "isv.SMS_TEMPLATE_ILLEGAL") == 0
        || strcmp(c, "isv.ACCOUNT_NOT_EXISTS") == 0
        || strcmp(c, "isv.ACCOUNT_ABNORMAL") == 0)
    {
        return FEAT_E_SMS_DOWN;
    }

    return FEAT_E_SMS_FAILED;
}


static enum feat_error
feat_deliver_smtp(struct feat_arena *a, const char *email, const char *code)
{
    const char  *url, *from, *lt, *gt, *env_from, *domain, *msg;
    long         timeout;

    url = feat_conf_str(FEAT_CONF_MAIL_SMTP_URL);
    from = feat_conf_str(FEAT_CONF_MAIL_FROM);
    timeout = feat_deliver_timeout(FEAT_CONF_MAIL_TIMEOUT);

    if (url[0] == '\0') {
        feat_log(LOG_ERR, 0, "deliver: mail.provider smtp needs "
                 "mail.smtp_url");
        return FEAT_E_MAIL_DOWN;
    }

    /* "Name <addr>" or a bare address; the envelope takes the address */
    lt = strchr(from, '<');
    gt = strrchr(from, '>');

    if (lt != NULL && gt != NULL && gt > lt) {
        env_from = feat_arena_strndup(a, lt + 1, gt - lt - 1);
    } else {
        env_from = from;
    }

    if (!feat_deliver_address(env_from) || !feat_deliver_header(from)) {
        feat_log(LOG_ERR, 0, "deliver: mail.from is not a usable address");
        return FEAT_E_MAIL_DOWN;
    }

    domain = strchr(env_from, '@') + 1;

    msg = feat_deliver_message(a, from, domain, email, code);

    if (feat_http_mail(url, feat_conf_str(FEAT_CONF_MAIL_USERNAME),
                       feat_conf_str(FEAT_CONF_MAIL_PASSWORD), env_from, email,
                       msg, strlen(msg), timeout)
        != FEAT_OK)
    {
        return FEAT_E_MAIL_DOWN;
    }

    return FEAT_E_NONE;
}


/*
 * The message: headers in ASCII (the subject as an RFC 2047 encoded word),
 * the body UTF-8 in quoted-printable, so it passes any mail server whether
 * or not it speaks 8BITMIME, and the digits of the code stay readable.
 */
static const char *
feat_deliver_message(struct feat_arena *a, const char *from,
    const char *domain, const char *email, const char *code)
{
    static const char  *days[] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char  *months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };

    const char     *subject, *text;
    char            subj64[128], id[33];
    unsigned char   rnd[16];
    long            minutes;
    time_t          now;
    struct tm       tm;

    minutes = (feat_conf_int(FEAT_CONF_CODE_TTL) + 59) / 60;
    if (minutes < 1) {
        minutes = 1;
    }

    if (strcmp(feat_conf_str(FEAT_CONF_LOCALE), "en") == 0) {
        subject = "Your verification code";
        text = feat_arena_sprintf(a,
            "Your verification code is %s. It expires in %ld minute%s.\r\n"
            "If you did not ask for it, ignore this mail.",
            code, minutes, minutes == 1 ? "" : "s");
    } else {
        subject = "您的验证码";
        text = feat_arena_sprintf(a,
            "您的验证码是 %s，%ld 分钟内有效。\r\n"
            "如非本人操作，请忽略本邮件。", code, minutes);
    }

    if (feat_base64_encode(subject, strlen(subject), subj64, sizeof(subj64),
                           0) < 0)
    {
        subj64[0] = '\0';
    }

    feat_random(rnd, sizeof(rnd));
    feat_hex(rnd, sizeof(rnd), id);
    id[32] = '\0';

    /* the wall clock, not feat_now(): a mail's date is for people */
    now = time(NULL);
    gmtime_r(&now, &tm);

    return feat_arena_sprintf(a,
        "From: %s\r\n"
        "To: <%s>\r\n"
        "Subject: =?UTF-8?B?%s?=\r\n"
        "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n"
        "Message-ID: <%s@%s>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "%s\r\n",
        from, email, subj64,
        days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
        tm.tm_hour, tm.tm_min, tm.tm_sec,
        id, domain, feat_deliver_qp(a, text));
}


/*
 * Quoted-printable (RFC 2045 6.7) of s, whose line breaks are CRLF: bytes
 * outside printable ASCII and '=' become =XX, and long lines get soft
 * breaks before they pass 76 characters.
 */
static char *
feat_deliver_qp(struct feat_arena *a, const char *s)
{
    static const char    hex[] = "0123456789ABCDEF";
    char                *out, *p;
    size_t               col;
    unsigned char        ch;
    int                  w;

    /* at worst 3 characters a byte, plus a 3-byte soft break every 25 */
    out = feat_arena_alloc(a, strlen(s) * 4 + 4);
    p = out;
    col = 0;

    for ( /* void */ ; *s; s++) {
        ch = (unsigned char) *s;

        if (ch == '\r' && s[1] == '\n') {
            *p++ = '\r';
            *p++ = '\n';
            s++;
            col = 0;
            continue;
        }

        w = (ch >= 33 && ch <= 126 && ch != '=') || ch == ' ' ? 1 : 3;

        /* a space may not end a line, so it is never left before a break */
        if (ch == ' ' && (s[1] == '\r' || s[1] == '\0')) {
            w = 3;
        }

        if (col + w > FEAT_DELIVER_QP_LINE - 1) {
            *p++ = '=';
            *p++ = '\r';
            *p++ = '\n';
            col = 0;
        }

        if (w == 1) {
            *p++ = (char) ch;
        } else {
            *p++ = '=';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 0x0f];
        }

        col += w;
    }

    *p = '\0';

    return out;
}


/*
 * One line, "<UTC time> app=<id> <kind> to=<to> code=<code>", in a single
 * write(2) to a file opened with O_APPEND, so lines from several workers
 * never interleave.  The file is opened each time: it can be rotated or
 * removed under a running server, and no descriptor outlives the call.
 */
static int
feat_deliver_log(struct feat_arena *a, const char *app_id, const char *kind,
    const char *to, const char *code)
{
    const char  *path, *line;
    char         stamp[32];
    time_t       now;
    struct tm    tm;
    size_t       len;
    ssize_t      n;
    int          fd, err;

    path = feat_conf_path(FEAT_CONF_SMS_LOG_PATH);

    now = feat_now();
    if (gmtime_r(&now, &tm) == NULL
        || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        feat_log(LOG_ERR, 0, "deliver: cannot format the time");
        return FEAT_ERROR;
    }

    line = feat_arena_sprintf(a, "%s app=%s %s to=%s code=%s\n",
                              stamp, app_id, kind, to, code);
    len = strlen(line);

    /* the file holds live codes: readable by the server's user only */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1) {
        feat_log(LOG_ERR, errno, "open(\"%s\") failed", path);
        return FEAT_ERROR;
    }

    n = write(fd, line, len);
    err = errno;

    if (close(fd) == -1) {
        feat_log(LOG_ERR, errno, "close(\"%s\") failed", path);
        return FEAT_ERROR;
    }

    if (n != (ssize_t) len) {
        feat_log(LOG_ERR, n == -1 ? err : 0, "write(\"%s\") failed%s", path,
                 n == -1 ? "" : ": short write");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* 1 if s is min to max ASCII digits. */
static int
feat_deliver_digits(const char *s, size_t min, size_t max)
{
    size_t  n;

    for (n = 0; s[n] != '\0'; n++) {
        if (s[n] < '0' || s[n] > '9' || n == max) {
            return 0;
        }
    }

    return n >= min;
}


/*
 * 1 if s is an address safe on an SMTP command line, in a header and in a
 * log line: printable ASCII without spaces or the characters that delimit
 * addresses, one '@' with something on both sides, at most 254 bytes.
 */
static int
feat_deliver_address(const char *s)
{
    size_t  n, at;
    int     ats;

    ats = 0;
    at = 0;

    for (n = 0; s[n] != '\0'; n++) {
        if (n == FEAT_DELIVER_MAX_EMAIL
            || s[n] <= ' ' || s[n] > '~'
            || strchr("<>()[]\\,;:\"", s[n]) != NULL)
        {
            return 0;
        }

        if (s[n] == '@') {
            ats++;
            at = n;
        }
    }

    return ats == 1 && at > 0 && at + 1 < n;
}


/* 1 if s is a plausible app id: "" (the default app) or a short token. */
static int
feat_deliver_app(const char *s)
{
    size_t  n;

    for (n = 0; s[n] != '\0'; n++) {
        if (n == FEAT_DELIVER_MAX_APP || s[n] <= ' ' || s[n] > '~') {
            return 0;
        }
    }

    return 1;
}


/*
 * 1 if s can stand in a header as it is: printable ASCII (a name in
 * another script would need RFC 2047 encoding), so no CR or LF either.
 */
static int
feat_deliver_header(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if (*s < ' ' || *s > '~') {
            return 0;
        }
    }

    return 1;
}


/* A timeout from the config in ms, kept between 100 ms and 10 minutes. */
static long
feat_deliver_timeout(const struct feat_conf_option *o)
{
    long long  ms;

    ms = feat_conf_int(o);

    if (ms < 100) {
        ms = 100;
    } else if (ms > 600000) {
        ms = 600000;
    }

    return (long) ms;
}
