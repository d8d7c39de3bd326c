/*
 * modules.c: the list of modules built into featcgi, in the order the
 * router merges their route tables and the runtime calls their hooks.
 * Adding a module is one line here (like nginx's ngx_modules[]).
 */

#include "config.h"

#include "feat.h"

extern const struct feat_module  feat_accounts_module;
extern const struct feat_module  feat_profile_module;
extern const struct feat_module  feat_faq_module;
extern const struct feat_module  feat_feedback_module;
extern const struct feat_module  feat_push_module;
extern const struct feat_module  feat_accounts_v1_module;
extern const struct feat_module  feat_profile_v1_module;
extern const struct feat_module  feat_profile_feat_module;
extern const struct feat_module  feat_images_module;
extern const struct feat_module  feat_apns_module;
extern const struct feat_module  feat_alipay_module;
extern const struct feat_module  feat_accounts_feat_module;
extern const struct feat_module  feat_oauth2_module;
extern const struct feat_module  feat_feedback_v1_module;
extern const struct feat_module  feat_faq_v1_module;
extern const struct feat_module  feat_notices_module;
extern const struct feat_module  feat_area_module;
extern const struct feat_module  feat_images_v1_module;
extern const struct feat_module  feat_service_module;
extern const struct feat_module  feat_pay_module;
extern const struct feat_module  feat_health_module;
extern const struct feat_module  feat_admin_module;
extern const struct feat_module  feat_faq_admin_module;
extern const struct feat_module  feat_feedback_admin_module;
extern const struct feat_module  feat_notices_admin_module;
extern const struct feat_module  feat_push_admin_module;
extern const struct feat_module  feat_service_admin_module;
extern const struct feat_module  feat_pay_admin_module;
extern const struct feat_module  feat_openapi_module;

const struct feat_module *const  feat_modules[] = {
    &feat_accounts_module,
    &feat_profile_module,
    &feat_faq_module,
    &feat_feedback_module,
    &feat_push_module,
    &feat_accounts_v1_module,
    &feat_profile_v1_module,
    &feat_profile_feat_module,
    &feat_images_module,
    &feat_apns_module,
    &feat_alipay_module,
    &feat_accounts_feat_module,
    &feat_oauth2_module,
    &feat_feedback_v1_module,
    &feat_faq_v1_module,
    &feat_notices_module,
    &feat_area_module,
    &feat_images_v1_module,
    &feat_service_module,
    &feat_pay_module,
    &feat_health_module,
    &feat_admin_module,
    &feat_faq_admin_module,
    &feat_feedback_admin_module,
    &feat_notices_admin_module,
    &feat_push_admin_module,
    &feat_service_admin_module,
    &feat_pay_admin_module,
    &feat_openapi_module,
    NULL
};
