/*
 * pages/feedback.js: the feedback inbox.  #/feedback lists an app's
 * feedback by status (open first: the server's order), #/feedback/<id>
 * shows one with its user and replies, a reply box (POST .../replies: the
 * item becomes replied and the user's v1/v2 client sees the reply) and
 * Close.  What users wrote is shown as text, whatever it holds.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, tabs, kv, badge, fmtTime, loading,
         act, confirmDialog, clear, field, showFieldError } from '../ui.js';

const STATUSES = ['open', 'replied', 'closed', 'all'];
const KIND = { open: 'warn', replied: 'ok', closed: 'muted' };

export function statusBadge(s) {
    return badge(t('st_' + s) || s, KIND[s]);
}

export async function render(ctx) {
    if (ctx.parts.length > 0) {
        return renderOne(ctx, ctx.parts[0]);
    }
    const status = STATUSES.includes(ctx.query.get('status'))
        ? ctx.query.get('status') : 'open';
    const page = Number(ctx.query.get('page')) || 1;

    ctx.view.appendChild(header(t('fb_title')));
    ctx.view.appendChild(tabs(STATUSES.map((s) => [s, t('st_' + s)]), status,
                              (s) => ctx.setQuery({ status: s })));
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());

    const res = await api.get(api.appPath(ctx.app, 'feedback'),
                              { status, page, size: 20 });
    if (!ctx.alive()) {
        return;
    }
    clear(slot);
    slot.appendChild(table([
        { label: t('id'), get: (f) => f.id, class: 'num' },
        { label: t('fb_content'), get: (f) => f.content, class: 'text' },
        { label: t('fb_category'), get: (f) => f.category },
        { label: t('fb_user'), get: (f) => f.user_id, class: 'num' },
        { label: t('status'), get: (f) => statusBadge(f.status) },
        { label: t('fb_replies'), get: (f) => f.replies, class: 'num' },
        { label: t('created_at'), get: (f) => fmtTime(f.created_at) },
    ], res.data || [], (f) => ctx.go(ctx.link('feedback', [String(f.id)]))));
    slot.appendChild(pager(res, (p) => ctx.setQuery({ status, page: p })));
}

async function renderOne(ctx, id) {
    const path = api.appPath(ctx.app, 'feedback/' + encodeURIComponent(id));

    ctx.view.appendChild(loading());
    const res = await api.get(path);
    if (!ctx.alive()) {
        return;
    }
    const f = res.data;
    const user = f.user || {};
    clear(ctx.view);

    const closeBtn = el('button', { type: 'button', class: 'ghost',
                                    data: { action: 'close' },
                                    disabled: f.status === 'closed' },
                        t('fb_close'));
    closeBtn.addEventListener('click', async () => {
        if (!await confirmDialog(t('fb_confirm_close'))) {
            return;
        }
        const r = await act(closeBtn, () => api.post(path + '/close', {}),
                            t('fb_closed_ok'));
        if (r) {
            ctx.go(ctx.link('feedback', [String(id)]));
        }
    });

    ctx.view.appendChild(header('#' + f.id,
        el('a', { href: ctx.link('feedback'), class: 'button ghost' },
           t('back')), closeBtn));
    ctx.view.appendChild(el('section', { class: 'card' },
        f.title ? el('h2', null, f.title) : null,
        el('div', { class: 'feedback-content' }, f.content || ''),
        kv([
            [t('status'), statusBadge(f.status)],
            [t('fb_category'), f.category || ''],
            [t('fb_phone'), f.contact_phone || ''],
            [t('fb_user'), [user.id !== undefined ? user.id : f.user_id,
                            user.nickname, user.phone]
                .filter((x) => x !== undefined && x !== null && x !== '')
                .join(' · ')],
            [t('created_at'), fmtTime(f.created_at)],
        ])));

    const replies = Array.isArray(f.replies) ? f.replies : [];
    const thread = el('section', { class: 'card' },
                      el('h2', null, t('fb_replies')));
    if (replies.length === 0) {
        thread.appendChild(el('p', { class: 'empty-note' },
                              t('fb_no_replies')));
    }
    for (const r of replies) {
        const who = r.manager ? (r.manager.name || '#' + r.manager.id) : '';
        thread.appendChild(el('article', { class: 'reply' },
            el('div', { class: 'reply-meta' },
               who ? t('fb_manager') + ' ' + who + ' · ' : '',
               fmtTime(r.created_at)),
            el('div', { class: 'reply-content' }, r.content || '')));
    }
    ctx.view.appendChild(thread);

    if (f.status !== 'closed') {
        const text = el('textarea', { name: 'content', rows: '4',
                                      maxlength: '2000', required: true,
                                      placeholder: t('fb_reply_placeholder') });
        const send = el('button', { type: 'submit', class: 'primary' },
                        t('fb_send_reply'));
        const form = el('form', { class: 'card reply-form' },
                        field(t('fb_reply'), text), send);
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            if (text.value.trim() === '') {
                text.focus();
                return;
            }
            let failed = null;
            const r = await act(send, () =>
                api.post(path + '/replies', { content: text.value })
                    .catch((e) => { failed = e; throw e; }),
                t('fb_replied_ok'));
            if (r) {
                ctx.go(ctx.link('feedback', [String(id)]));
            } else if (failed) {
                showFieldError(form, failed);
            }
        });
        ctx.view.appendChild(form);
    }
}
