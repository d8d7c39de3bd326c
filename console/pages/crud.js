/*
 * pages/crud.js: the list / new / edit / delete pages of the FAQ and the
 * notices, which differ only in their fields.  spec: {page, resource (the
 * API path under apps/<app>/), title, newTitle, editTitle, fields:
 * [{name, label, textarea?, required?, max?, type?}], columns: [field
 * names shown in the list]}.  Hashes: #/<page>, #/<page>/new,
 * #/<page>/<id>.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, loading, act, confirmDialog, clear,
         field, fmtTime, showFieldError, toast } from '../ui.js';

export async function render(ctx, spec) {
    if (ctx.parts[0] === 'new') {
        return renderForm(ctx, spec, null);
    }
    if (ctx.parts.length > 0) {
        const path = api.appPath(ctx.app, spec.resource + '/'
                                 + encodeURIComponent(ctx.parts[0]));
        ctx.view.appendChild(loading());
        const res = await api.get(path);
        if (!ctx.alive()) {
            return;
        }
        clear(ctx.view);
        return renderForm(ctx, spec, res.data);
    }
    return renderList(ctx, spec);
}

async function renderList(ctx, spec) {
    const page = Number(ctx.query.get('page')) || 1;

    ctx.view.appendChild(header(t(spec.title),
        el('a', { href: ctx.link(spec.page, ['new']),
                  class: 'button primary' }, t(spec.newTitle))));
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, spec.resource),
                              { page, size: 20 });
    if (!ctx.alive()) {
        return;
    }
    clear(slot);

    const columns = [{ label: t('id'), get: (r) => r.id, class: 'num' }];
    for (const name of spec.columns) {
        const f = spec.fields.find((x) => x.name === name);
        columns.push({ label: t(f.label), get: (r) => r[name],
                       class: f.textarea ? 'text' : null });
    }
    columns.push({ label: t('updated_at'),
                   get: (r) => fmtTime(r.updated_at || r.created_at) });
    columns.push({ label: t('actions'), class: 'row-actions', get: (r) => {
        const b = el('button', { type: 'button', class: 'danger small' },
                     t('delete'));
        b.addEventListener('click', () => remove(ctx, spec, r, b));
        return b;
    } });
    slot.appendChild(table(columns, res.data || [],
        (r) => ctx.go(ctx.link(spec.page, [String(r.id)]))));
    slot.appendChild(pager(res, (p) => ctx.setQuery({ page: p })));
}

async function remove(ctx, spec, row, button) {
    const ok = await confirmDialog(t('confirm_delete', row.title || row.id),
                                   { danger: true, okText: t('delete') });
    if (!ok) {
        return;
    }
    const done = await act(button, async () => {
        await api.del(api.appPath(ctx.app, spec.resource + '/'
                                  + encodeURIComponent(row.id)));
        return true;
    }, t('deleted'));
    if (done) {
        ctx.go(ctx.link(spec.page));
    }
}

function renderForm(ctx, spec, row) {
    const inputs = {};
    const form = el('form', { class: 'card edit-form', novalidate: true });

    for (const f of spec.fields) {
        const attrs = { name: f.name, maxlength: f.max ? String(f.max) : null,
                        required: f.required || false };
        const input = f.textarea
            ? el('textarea', Object.assign({ rows: '8' }, attrs))
            : el('input', Object.assign({ type: f.type || 'text' }, attrs));
        input.value = row && row[f.name] !== undefined && row[f.name] !== null
            ? String(row[f.name]) : '';
        inputs[f.name] = input;
        form.appendChild(field(t(f.label), input));
    }
    const save = el('button', { type: 'submit', class: 'primary' },
                    t('save'));
    form.appendChild(el('div', { class: 'form-buttons' }, save));

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        showFieldError(form, null);
        for (const f of spec.fields) {
            if (f.required && inputs[f.name].value.trim() === '') {
                toast(t('err_required', t(f.label)), 'error');
                inputs[f.name].focus();
                return;
            }
        }
        const body = {};
        for (const f of spec.fields) {
            const v = inputs[f.name].value;
            if (row === null || String(row[f.name] ?? '') !== v) {
                body[f.name] = v;
            }
        }
        let failed = null;
        const res = await act(save, () => {
            const p = row === null
                ? api.post(api.appPath(ctx.app, spec.resource), body)
                : api.put(api.appPath(ctx.app, spec.resource + '/'
                                      + encodeURIComponent(row.id)), body);
            return p.catch((e) => { failed = e; throw e; });
        }, t('saved'));
        if (res) {
            ctx.go(ctx.link(spec.page));
        } else if (failed) {
            showFieldError(form, failed);
        }
    });

    const actions = [el('a', { href: ctx.link(spec.page),
                               class: 'button ghost' }, t('back'))];
    if (row !== null) {
        const b = el('button', { type: 'button', class: 'danger' },
                     t('delete'));
        b.addEventListener('click', () => remove(ctx, spec, row, b));
        actions.push(b);
    }
    ctx.view.appendChild(header(row === null ? t(spec.newTitle)
        : t(spec.editTitle) + ' #' + row.id, ...actions));
    ctx.view.appendChild(form);
    const first = form.querySelector('input, textarea');
    if (first) {
        first.focus();
    }
}
