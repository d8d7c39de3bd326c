/*
 * pages/users.js: the app's users.  #/users searches them (q: phone,
 * e-mail or nickname); #/users/<id> shows one (sessions, bindings) with
 * Disable / Enable, Revoke sessions, Export (the document of featctl user
 * export, downloaded as a JSON file) and Delete, which asks for the
 * user's id typed out before it sends {"confirm": "<id>"}.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, loading, act, clear, fmtTime, kv,
         badge, confirmDialog, str } from '../ui.js';

function stateBadge(u) {
    return u.disabled ? badge(t('u_disabled'), 'bad')
                      : badge(t('u_active'), 'ok');
}

export async function render(ctx) {
    if (ctx.parts.length > 0) {
        return renderOne(ctx, ctx.parts[0]);
    }
    const q = ctx.query.get('q') || '';
    const page = Number(ctx.query.get('page')) || 1;
    const input = el('input', { type: 'search', name: 'q', value: q,
                                placeholder: t('users_search_ph'),
                                maxlength: '100' });
    const form = el('form', { class: 'search', role: 'search' }, input,
        el('button', { type: 'submit', class: 'primary' }, t('search')));

    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        ctx.setQuery({ q: input.value.trim() });
    });
    ctx.view.appendChild(header(t('users_title')));
    ctx.view.appendChild(form);
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, 'users'),
                              { q, page, size: 20 });
    if (!ctx.alive()) {
        return;
    }
    clear(slot);
    slot.appendChild(table([
        { label: t('id'), get: (u) => u.id, class: 'num' },
        { label: t('u_phone'), get: (u) => u.phone },
        { label: t('u_email'), get: (u) => u.email },
        { label: t('u_nickname'), get: (u) => u.nickname },
        { label: t('status'), get: stateBadge },
        { label: t('created_at'), get: (u) => fmtTime(u.created_at) },
        { label: t('u_last_login'), get: (u) => fmtTime(u.last_login_at) },
    ], res.data || [], (u) => ctx.go(ctx.link('users', [String(u.id)]))));
    slot.appendChild(pager(res, (p) => ctx.setQuery({ q, page: p })));
}

function bindingsText(b) {
    if (!Array.isArray(b) || b.length === 0) {
        return t('none');
    }
    return el('ul', { class: 'plain-list' }, b.map((x) => el('li', null,
        typeof x === 'object' ? Object.entries(x)
            .map(([k, v]) => k + ': ' + str(v)).join(', ') : str(x))));
}

async function renderOne(ctx, id) {
    const path = api.appPath(ctx.app, 'users/' + encodeURIComponent(id));

    ctx.view.appendChild(loading());
    const res = await api.get(path);
    if (!ctx.alive()) {
        return;
    }
    clear(ctx.view);
    const u = res.data;
    const reload = () => ctx.go(ctx.link('users', [String(id)]));

    const toggle = el('button', { type: 'button',
                                  class: u.disabled ? 'primary' : 'warn',
                                  data: { action: u.disabled ? 'enable'
                                                             : 'disable' } },
                      u.disabled ? t('u_enable') : t('u_disable'));
    toggle.addEventListener('click', async () => {
        if (!u.disabled && !await confirmDialog(t('u_confirm_disable'),
                                                { danger: true })) {
            return;
        }
        const verb = u.disabled ? 'enable' : 'disable';
        if (await act(toggle, () => api.post(path + '/' + verb, {}),
                      t(u.disabled ? 'u_enabled_ok' : 'u_disabled_ok'))) {
            reload();
        }
    });

    const revoke = el('button', { type: 'button', class: 'ghost',
                                  data: { action: 'revoke' } },
                      t('u_revoke'));
    revoke.addEventListener('click', async () => {
        if (!await confirmDialog(t('u_confirm_revoke'))) {
            return;
        }
        if (await act(revoke, () => api.post(path + '/revoke', {}),
                      t('u_revoked_ok'))) {
            reload();
        }
    });

    const exp = el('button', { type: 'button', class: 'ghost',
                               data: { action: 'export' } },
                   t('u_export'));
    exp.addEventListener('click', () => act(exp, async () => {
        const r = await api.get(path + '/export');
        download('user-' + u.id + '-export.json',
                 JSON.stringify(r.data, null, 2) + '\n');
        return true;
    }, t('u_exported_ok')));

    const remove = el('button', { type: 'button', class: 'danger',
                                  data: { action: 'delete' } },
                      t('u_delete'));
    remove.addEventListener('click', async () => {
        const ok = await confirmDialog(t('u_confirm_delete', u.id),
            { danger: true, typed: String(u.id),
              typedLabel: t('u_confirm_typed'), okText: t('u_delete') });
        if (!ok) {
            return;
        }
        const done = await act(remove, async () => {
            await api.del(path, { confirm: String(u.id) });
            return true;
        }, t('u_deleted_ok'));
        if (done) {
            ctx.go(ctx.link('users'));
        }
    });

    ctx.view.appendChild(header(t('fb_user') + ' #' + u.id,
        el('a', { href: ctx.link('users'), class: 'button ghost' },
           t('back'))));
    ctx.view.appendChild(el('section', { class: 'card' }, kv([
        [t('status'), stateBadge(u)],
        [t('u_phone'), u.phone || ''],
        [t('u_email'), u.email || ''],
        [t('u_nickname'), u.nickname || ''],
        [t('created_at'), fmtTime(u.created_at)],
        [t('u_last_login'), fmtTime(u.last_login_at)],
        [t('u_sessions'), u.sessions !== undefined ? u.sessions
            : (u.sessions_count !== undefined ? u.sessions_count : '')],
        [t('u_bindings'), bindingsText(u.bindings)],
    ])));
    ctx.view.appendChild(el('div', { class: 'action-bar' },
                            toggle, revoke, exp, remove));
}

/* Saves text as a file named name: a Blob behind a download link. */
function download(name, text) {
    const blob = new Blob([text], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name, class: 'hidden' });

    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}
