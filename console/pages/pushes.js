/*
 * pages/pushes.js: the app's pushes.  #/pushes lists them, newest first,
 * with their delivery counts from the outbox (queued, sent, failed);
 * #/pushes/new composes one to all users or to listed user ids (POST
 * apps/<app>/pushes: the jobs process delivers it); #/pushes/<id> shows
 * one with the status of each target.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, loading, act, clear, field, fmtTime,
         kv, badge, showFieldError, toast } from '../ui.js';

/* The outbox's states of one delivery. */
const OUTBOX = ['pending', 'sending', 'sent', 'failed', 'skipped'];

function delivery(p) {
    const d = p.delivery || {};
    return el('span', { class: 'delivery' },
        badge(t('push_queued') + ' ' + (d.queued || 0), 'plain'), ' ',
        badge(t('push_sent') + ' ' + (d.sent || 0), 'ok'), ' ',
        badge(t('push_failed') + ' ' + (d.failed || 0),
              d.failed ? 'bad' : 'plain'),
        d.skipped ? ' ' : null,
        d.skipped ? badge(t('push_skipped') + ' ' + d.skipped, 'muted')
                  : null);
}

function scope(p) {
    if (p.scope === 'all') {
        return t('push_to_all');
    }
    return p.users !== undefined ? t('push_to_n_users', p.users)
                                 : t('push_to_users');
}

function managerName(m) {
    if (m === null || m === undefined) {
        return '';
    }
    return typeof m === 'object' ? (m.name || '#' + m.id) : String(m);
}

export async function render(ctx) {
    if (ctx.parts[0] === 'new') {
        return renderNew(ctx);
    }
    if (ctx.parts.length > 0) {
        return renderOne(ctx, ctx.parts[0]);
    }
    const page = Number(ctx.query.get('page')) || 1;

    ctx.view.appendChild(header(t('push_title'),
        el('a', { href: ctx.link('pushes', ['new']),
                  class: 'button primary' }, t('push_new'))));
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, 'pushes'),
                              { page, size: 20 });
    if (!ctx.alive()) {
        return;
    }
    clear(slot);
    slot.appendChild(table([
        { label: t('id'), get: (p) => p.id, class: 'num' },
        { label: t('f_title'), get: (p) => p.title },
        { label: t('push_body'), get: (p) => p.body, class: 'text' },
        { label: t('push_scope'), get: scope },
        { label: t('push_delivery'), get: delivery },
        { label: t('fb_manager'), get: (p) => managerName(p.manager) },
        { label: t('created_at'), get: (p) => fmtTime(p.created_at) },
    ], res.data || [], (p) => ctx.go(ctx.link('pushes', [String(p.id)]))));
    slot.appendChild(pager(res, (p) => ctx.setQuery({ page: p })));
}

function renderNew(ctx) {
    const title = el('input', { type: 'text', name: 'title', maxlength: '100',
                                required: true });
    const body = el('textarea', { name: 'body', rows: '5', maxlength: '1000',
                                  required: true });
    const toAll = el('input', { type: 'radio', name: 'to', value: 'all',
                                checked: true });
    const toUsers = el('input', { type: 'radio', name: 'to',
                                  value: 'users' });
    const ids = el('input', { type: 'text', name: 'user_ids',
                              inputmode: 'numeric',
                              placeholder: '12, 34, 56' });
    const idsField = field(t('push_user_ids'), ids);
    const send = el('button', { type: 'submit', class: 'primary' },
                    t('push_send'));
    const form = el('form', { class: 'card edit-form', novalidate: true },
        field(t('f_title'), title),
        field(t('push_body'), body),
        el('fieldset', { class: 'radios' },
           el('legend', null, t('push_to')),
           el('label', { class: 'radio' }, toAll, ' ', t('push_to_all')),
           el('label', { class: 'radio' }, toUsers, ' ', t('push_to_users'))),
        idsField,
        el('div', { class: 'form-buttons' }, send));

    idsField.classList.add('hidden');
    for (const r of [toAll, toUsers]) {
        r.addEventListener('change', () => {
            idsField.classList.toggle('hidden', !toUsers.checked);
        });
    }

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        showFieldError(form, null);
        if (title.value.trim() === '') {
            toast(t('err_required', t('f_title')), 'error');
            title.focus();
            return;
        }
        if (body.value.trim() === '') {
            toast(t('err_required', t('push_body')), 'error');
            body.focus();
            return;
        }
        let to = 'all';
        if (toUsers.checked) {
            const list = ids.value.split(/[\s,，]+/).filter((s) => s !== '');
            if (list.length === 0 || list.some((s) => !/^\d+$/.test(s))) {
                toast(t('push_bad_ids'), 'error');
                ids.focus();
                return;
            }
            to = list.map(Number);
        }
        let failed = null;
        const res = await act(send, () =>
            api.post(api.appPath(ctx.app, 'pushes'),
                     { title: title.value, body: body.value, to })
                .catch((e) => { failed = e; throw e; }),
            t('push_sent_ok'));
        if (res) {
            ctx.go(ctx.link('pushes'));
        } else if (failed) {
            showFieldError(form, failed);
        }
    });

    ctx.view.appendChild(header(t('push_new'),
        el('a', { href: ctx.link('pushes'), class: 'button ghost' },
           t('back'))));
    ctx.view.appendChild(form);
    title.focus();
}

async function renderOne(ctx, id) {
    const page = Number(ctx.query.get('page')) || 1;

    ctx.view.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, 'pushes/'
                                          + encodeURIComponent(id)),
                              { page, size: 50 });
    if (!ctx.alive()) {
        return;
    }
    clear(ctx.view);
    const p = res.data;
    ctx.view.appendChild(header(t('push_title') + ' #' + p.id,
        el('a', { href: ctx.link('pushes'), class: 'button ghost' },
           t('back'))));
    ctx.view.appendChild(el('section', { class: 'card' }, kv([
        [t('f_title'), p.title],
        [t('push_body'), p.body],
        [t('push_scope'), scope(p)],
        [t('push_delivery'), delivery(p)],
        [t('fb_manager'), managerName(p.manager)],
        [t('created_at'), fmtTime(p.created_at)],
    ])));

    const targets = Array.isArray(p.targets) ? p.targets
        : Array.isArray(p.outbox) ? p.outbox : [];
    ctx.view.appendChild(el('h2', null, t('push_targets')));
    ctx.view.appendChild(table([
        { label: t('fb_user'), get: (x) => x.user_id, class: 'num' },
        { label: t('push_channel'), get: (x) => x.channel },
        { label: t('status'), get: (x) => badge(
            OUTBOX.includes(x.status) ? t('ob_' + x.status) : x.status,
            x.status === 'sent' ? 'ok' : x.status === 'failed' ? 'bad'
                : 'plain') },
        { label: t('push_attempts'), get: (x) => x.attempts, class: 'num' },
        { label: t('push_last_error'), get: (x) => x.last_error,
          class: 'text' },
        { label: t('push_sent_at'), get: (x) => fmtTime(x.sent_at) },
    ], targets));
    /* the targets are paged inside the push: targets_total, page, size */
    const paging = p.targets_total !== undefined
        ? { total: p.targets_total, page: p.page, size: p.size } : res;
    if (paging.total !== undefined) {
        ctx.view.appendChild(pager(paging,
                                   (n) => ctx.setQuery({ page: n })));
    }
}
