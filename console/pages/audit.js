/*
 * pages/audit.js: the app's audit log (GET apps/<app>/audit), newest
 * first, filtered by user id, action prefix (admin., login, ...) and a
 * time range.  The range is picked in the browser's own time and sent as
 * RFC 3339 with that offset.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, loading, clear, field, fmtTime,
         str } from '../ui.js';

/* "2026-12-07T10:30" (a datetime-local value, local time) as RFC 3339
 * with the browser's offset; "" stays "". */
function toRfc3339(local) {
    if (!local) {
        return '';
    }
    const d = new Date(local);
    if (Number.isNaN(d.getTime())) {
        return '';
    }
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? '+' : '-';
    const a = Math.abs(off);
    const s = local.length === 16 ? local + ':00' : local;
    return s + sign + String(Math.floor(a / 60)).padStart(2, '0') + ':'
        + String(a % 60).padStart(2, '0');
}

/* The datetime-local value of an RFC 3339 time in the hash. */
function fromRfc3339(s) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)/.exec(s || '');
    if (!m) {
        return '';
    }
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) {
        return m[1];
    }
    const p = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate())
        + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
}

function actor(a) {
    if (a.actor && typeof a.actor === 'object') {
        return a.actor.name || a.actor.login || str(a.actor);
    }
    return a.actor || '';
}

export async function render(ctx) {
    const q = ctx.query;
    const page = Number(q.get('page')) || 1;
    const user = el('input', { type: 'text', name: 'user',
                               inputmode: 'numeric', value: q.get('user') });
    const action = el('input', { type: 'text', name: 'action',
                                 value: q.get('action'),
                                 placeholder: t('au_action_ph') });
    const from = el('input', { type: 'datetime-local', name: 'from',
                               value: fromRfc3339(q.get('from')) });
    const to = el('input', { type: 'datetime-local', name: 'to',
                             value: fromRfc3339(q.get('to')) });
    const reset = el('button', { type: 'button', class: 'ghost' },
                     t('reset'));
    const form = el('form', { class: 'filters' },
        field(t('au_user'), user), field(t('au_action'), action),
        field(t('au_from'), from), field(t('au_to'), to),
        el('div', { class: 'filter-buttons' },
           el('button', { type: 'submit', class: 'primary' }, t('filter')),
           reset));

    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        ctx.setQuery({ user: user.value.trim(), action: action.value.trim(),
                       from: toRfc3339(from.value), to: toRfc3339(to.value) });
    });
    reset.addEventListener('click', () => ctx.setQuery({
        user: undefined, action: undefined, from: undefined, to: undefined }));

    ctx.view.appendChild(header(t('au_title')));
    ctx.view.appendChild(form);
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const filters = { user: q.get('user'), action: q.get('action'),
                      from: q.get('from'), to: q.get('to') };
    const res = await api.get(api.appPath(ctx.app, 'audit'),
                              Object.assign({ page, size: 50 }, filters));
    if (!ctx.alive()) {
        return;
    }
    clear(slot);
    slot.appendChild(table([
        { label: t('au_at'), get: (a) => fmtTime(a.at || a.created_at) },
        { label: t('au_actor'), get: actor },
        { label: t('au_user'), get: (a) => a.user_id, class: 'num' },
        { label: t('au_action'), get: (a) => a.action, class: 'mono' },
        { label: t('au_detail'), get: (a) => str(a.detail), class: 'text mono' },
        { label: t('au_address'), get: (a) => a.address, class: 'mono' },
    ], res.data || []));
    slot.appendChild(pager(res, (p) => ctx.setQuery(
        Object.assign({}, filters, { page: p }))));
}
