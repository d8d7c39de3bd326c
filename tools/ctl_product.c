/*
 * ctl_product.c: featctl's "product" commands over the products an app
 * sells (sql/0060_pay.sql): add, edit, list and rm.  rm hides a product
 * from new orders only: the orders already made keep their subject and
 * amount, copied when they were made.  Each goes through the payments
 * domain of modules/pay/pay.h.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "pay/pay.h"

#define CTL_PRODUCT_LIMIT  100     /* default rows of "product list" */


static int ctl_product_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_product_edit(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_product_rm(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_product_list(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_product_commands[] = {
    { "product", "add", ctl_product_add,
      "--name N --price-fen P [--description D] [--app ID]",
      "add a product the app sells" },
    { "product", "edit", ctl_product_edit,
      "ID [--name N] [--price-fen P] [--description D] [--app ID]",
      "change the fields given (orders already made keep theirs)" },
    { "product", "rm", ctl_product_rm, "ID [--app ID]",
      "hide a product from new orders" },
    { "product", "list", ctl_product_list,
      "[--app ID] [--limit N] [--offset N]",
      "list the app's products, removed ones too, newest first" },
    FEAT_CTL_NULL_COMMAND
};


static cJSON *
ctl_product_object(struct feat_ctl *ctl, const struct feat_pay_product *p)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) p->id);
    cJSON_AddStringToObject(o, "app_id", p->app_id);
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "description", p->description);
    cJSON_AddNumberToObject(o, "price_fen", (double) p->price_fen);
    cJSON_AddBoolToObject(o, "active", p->active);
    cJSON_AddStringToObject(o, "created_at",
                            feat_ctl_time(ctl, p->created_at));
    cJSON_AddStringToObject(o, "updated_at",
                            feat_ctl_time(ctl, p->updated_at));

    return o;
}


/* The options of add and edit into *f (app "" when not given). */
static int
ctl_product_fields(struct feat_ctl *ctl, int argc, char **argv,
    const char **app, struct feat_pay_product_fields *f, const char **pos,
    int npos)
{
    long long                  v;
    const char                *price;
    const struct feat_ctl_opt  opts[] = {
        { "app", 1, app },
        { "name", 1, &f->name },
        { "description", 1, &f->description },
        { "price-fen", 1, &price },
        { NULL, 0, NULL }
    };

    *app = "";
    price = NULL;
    memset(f, 0, sizeof(*f));

    if (feat_ctl_args(ctl, argc, argv, opts, pos, npos) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (price != NULL) {
        if (feat_ctl_int(price, 1, FEAT_PAY_PRICE_MAX, &v) != FEAT_OK) {
            return feat_ctl_fail("bad --price-fen: an integer from 1 to "
                                 "%lld", FEAT_PAY_PRICE_MAX);
        }
        f->price_fen = v;
        f->has_price = 1;
    }

    return FEAT_CTL_OK;
}


/* Prints the product as stored, or why the domain refused it. */
static int
ctl_product_written(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, enum feat_error e, const char *bad, const char *doing,
    const char *done)
{
    char                     msg[96];
    struct feat_pay_product  p;

    if (e == FEAT_E_BAD_FIELD) {
        if (bad != NULL && strcmp(bad, "description") == 0) {
            return feat_ctl_fail("bad --description: valid UTF-8 of at "
                                 "most %d characters", FEAT_PAY_DESC_MAX);
        }
        if (bad != NULL && strcmp(bad, "price_fen") == 0) {
            return feat_ctl_fail("product add needs --price-fen");
        }
        return feat_ctl_fail("bad --name: 1 to %d characters of valid "
                             "UTF-8", FEAT_PAY_NAME_MAX);
    }
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no product %lld in app \"%s\"", (long long) id,
                             app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, doing);
    }

    if (feat_pay_product_get(db, ctl->arena, app, id, &p) != FEAT_E_NONE) {
        return feat_ctl_fail("reading product %lld back failed",
                             (long long) id);
    }

    snprintf(msg, sizeof(msg), "product %lld %s", (long long) id, done);
    feat_ctl_print_result(ctl, ctl_product_object(ctl, &p), msg);

    return FEAT_CTL_OK;
}


static int
ctl_product_add(struct feat_ctl *ctl, int argc, char **argv)
{
    int                             rc;
    sqlite3                        *db;
    const char                     *app, *bad;
    sqlite3_int64                   id;
    enum feat_error                 e;
    struct feat_pay_product_fields  f;

    rc = ctl_product_fields(ctl, argc, argv, &app, &f, NULL, 0);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    if (f.name == NULL) {
        return feat_ctl_fail("product add needs --name");
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    id = 0;
    e = feat_pay_product_add(db, app, &f, &id, &bad);

    return ctl_product_written(ctl, db, app, id, e, bad,
                               "adding the product", "added");
}


static int
ctl_product_edit(struct feat_ctl *ctl, int argc, char **argv)
{
    int                             rc;
    sqlite3                        *db;
    const char                     *app, *arg, *bad;
    sqlite3_int64                   id;
    enum feat_error                 e;
    struct feat_pay_product_fields  f;

    rc = ctl_product_fields(ctl, argc, argv, &app, &f, &arg, 1);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    if (feat_ctl_id(arg, &id) != FEAT_OK) {
        return feat_ctl_fail("bad product id \"%s\"", arg);
    }

    if (f.name == NULL && f.description == NULL && !f.has_price) {
        return feat_ctl_fail("product edit needs at least one of --name, "
                             "--price-fen, --description");
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    e = feat_pay_product_edit(db, app, id, &f, &bad);

    return ctl_product_written(ctl, db, app, id, e, bad,
                               "editing the product", "changed");
}


static int
ctl_product_rm(struct feat_ctl *ctl, int argc, char **argv)
{
    int              rc;
    sqlite3         *db;
    const char      *app;
    sqlite3_int64    id;
    enum feat_error  e;

    rc = feat_ctl_app_item(ctl, argc, argv, "product", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_pay_product_remove(db, app, id);
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no product %lld on sale in app \"%s\"",
                             (long long) id, app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "removing the product");
    }

    feat_ctl_print_removed(ctl, "product", id, app);

    return FEAT_CTL_OK;
}


/* One page of "product list". */
static enum feat_error
ctl_product_page(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    long long offset, long long limit, cJSON *rows)
{
    size_t                    i, n;
    long long                 total;
    enum feat_error           e;
    struct feat_pay_product  *items;

    e = feat_pay_product_list(db, ctl->arena, app, 1, offset, limit, &total,
                              &items, &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(rows, ctl_product_object(ctl, &items[i]));
    }

    return FEAT_E_NONE;
}


static int
ctl_product_list(struct feat_ctl *ctl, int argc, char **argv)
{
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "name", "NAME", NULL },
        { "price_fen", "PRICE_FEN", NULL },
        { "active", "ACTIVE", NULL },
        { "updated_at", "UPDATED", NULL },
    };
    static const struct feat_ctl_list    list = {
        CTL_PRODUCT_LIMIT, FEAT_CTL_MAX_LIMIT, "listing the products",
        ctl_product_page, cols, FEAT_NELEMS(cols)
    };

    return feat_ctl_app_list(ctl, argc, argv, &list);
}
