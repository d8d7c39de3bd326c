/*
 * pages/orders.js: the app's orders.  #/orders lists them with a status
 * filter (unpaid, paid, closed, all); #/orders/<id> shows one with its
 * transactions and each one's notify record as the gateway sent it.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, tabs, loading, clear, fmtTime, fmtFen,
         kv, badge, str } from '../ui.js';

const STATUSES = ['all', 'unpaid', 'paid', 'closed'];
/* feat's order statuses as numbers, should an answer carry those. */
const BY_NUMBER = { 0: 'unpaid', 1: 'paid', 2: 'closed' };
const KIND = { unpaid: 'warn', paid: 'ok', closed: 'muted' };
const METHODS = { 1: 'WeChat Pay', 2: 'Alipay' };

function statusName(o) {
    const s = o.status;
    if (typeof s === 'number') {
        return BY_NUMBER[s] || String(s);
    }
    return String(s || '').toLowerCase();
}

function statusBadge(o) {
    const n = statusName(o);
    return badge(KIND[n] ? t('or_st_' + n) : n, KIND[n]);
}

function amount(o) {
    return fmtFen(o.amount_fen !== undefined ? o.amount_fen : o.total_fee);
}

export async function render(ctx) {
    if (ctx.parts.length > 0) {
        return renderOne(ctx, ctx.parts[0]);
    }
    const status = STATUSES.includes(ctx.query.get('status'))
        ? ctx.query.get('status') : 'all';
    const page = Number(ctx.query.get('page')) || 1;

    ctx.view.appendChild(header(t('or_title')));
    ctx.view.appendChild(tabs(STATUSES.map((s) =>
        [s, s === 'all' ? t('st_all') : t('or_st_' + s)]), status,
        (s) => ctx.setQuery({ status: s })));
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, 'orders'),
                              { status, page, size: 20 });
    if (!ctx.alive()) {
        return;
    }
    clear(slot);
    slot.appendChild(table([
        { label: t('id'), get: (o) => o.id, class: 'num' },
        { label: t('or_no'), get: (o) => o.out_trade_no, class: 'mono' },
        { label: t('or_subject'), get: (o) => o.subject },
        { label: t('or_amount'), get: amount, class: 'num' },
        { label: t('or_user'), get: (o) => o.user_id, class: 'num' },
        { label: t('status'), get: statusBadge },
        { label: t('created_at'), get: (o) => fmtTime(o.created_at) },
    ], res.data || [], (o) => ctx.go(ctx.link('orders', [String(o.id)]))));
    slot.appendChild(pager(res, (p) => ctx.setQuery({ status, page: p })));
}

/* A stored notify: the gateway's text (XML, a form, JSON) shown as it is;
 * a parsed object as indented JSON. */
function notifyBlock(v) {
    if (v === null || v === undefined || v === '') {
        return t('none');
    }
    const text = typeof v === 'object' ? JSON.stringify(v, null, 2)
                                       : String(v);
    return el('pre', { class: 'raw' }, text);
}

async function renderOne(ctx, id) {
    ctx.view.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, 'orders/'
                                          + encodeURIComponent(id)));
    if (!ctx.alive()) {
        return;
    }
    clear(ctx.view);
    const o = res.data;
    const method = o.pay_method;

    ctx.view.appendChild(header(t('or_title') + ' #' + o.id,
        el('a', { href: ctx.link('orders'), class: 'button ghost' },
           t('back'))));
    ctx.view.appendChild(el('section', { class: 'card' }, kv([
        [t('or_no'), o.out_trade_no || ''],
        [t('or_subject'), o.subject || ''],
        [t('or_amount'), amount(o)],
        [t('status'), statusBadge(o)],
        [t('or_user'), o.user_id],
        [t('or_method'), METHODS[method] || str(method)],
        [t('or_transaction_id'), o.transaction_id || ''],
        [t('created_at'), fmtTime(o.created_at)],
        [t('or_paid_at'), fmtTime(o.paid_at)],
    ])));

    if (o.notify) {
        ctx.view.appendChild(el('section', { class: 'card' },
            el('h2', null, t('or_notify')), notifyBlock(o.notify)));
    }

    const txs = Array.isArray(o.transactions) ? o.transactions : [];
    const box = el('section', { class: 'card' },
                   el('h2', null, t('or_transactions')));
    if (txs.length === 0) {
        box.appendChild(el('p', { class: 'empty-note' },
                           t('or_no_transactions')));
    }
    for (const tx of txs) {
        const pairs = [];
        let notify = null;
        for (const [k, v] of Object.entries(tx)) {
            if (/notify|raw/.test(k)) {
                notify = [k, v];
            } else {
                pairs.push([k, /_at$/.test(k) ? fmtTime(v)
                    : /_fen$/.test(k) ? fmtFen(v) : str(v)]);
            }
        }
        const item = el('article', { class: 'tx' }, kv(pairs));
        if (notify) {
            item.appendChild(el('h3', null, t('or_notify')));
            item.appendChild(notifyBlock(notify[1]));
        }
        box.appendChild(item);
    }
    ctx.view.appendChild(box);
}
