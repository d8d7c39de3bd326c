/*
 * delivery.h: sending a verification code to the person who asked for it,
 * by SMS or by mail, through the provider the config names.  Internal to
 * the accounts module.
 */

#ifndef FEAT_ACCOUNTS_DELIVERY_H
#define FEAT_ACCOUNTS_DELIVERY_H

#include "feat.h"

/*
 * Delivers code (6 digits) for app_id to a phone (area and phone, digits
 * only; email NULL) or to an email address (phone NULL).  The providers
 * are sms.provider (log, http) and mail.provider (log, smtp).
 *
 * Answers FEAT_E_NONE once the provider took the code; otherwise
 * FEAT_E_SMS_DOWN (no provider, bad config, gateway unreachable or too
 * slow), FEAT_E_SMS_ARREARS (the gateway's account is in arrears),
 * FEAT_E_SMS_FAILED (any other refusal by the gateway), FEAT_E_MAIL_DOWN
 * (no provider, or the mail was not accepted), or FEAT_E_INTERNAL for
 * arguments no caller should pass.  Every failure is logged; the code
 * itself never is.  Network I/O happens here: call it with no database
 * transaction open.  Scratch memory comes from a.
 */
enum feat_error feat_deliver_code(struct feat_arena *a, const char *app_id,
    const char *area, const char *phone, const char *email,
    const char *code);

#endif /* FEAT_ACCOUNTS_DELIVERY_H */
