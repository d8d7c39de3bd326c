/*
 * pages/settings.js: the app's per-app settings (GET/PUT
 * apps/<app>/settings), the keys of featctl app set.  A plain setting
 * shows its value in a field; a secret is write-only: the page shows only
 * whether it is set, takes a new value, or clears it (null).  Save sends
 * only what changed.
 *
 * The answer is read in either shape: an object {key: value | {"set":
 * bool}} or a list of {key, value | set, secret, type, doc}.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, header, loading, act, clear, badge, str, showFieldError,
         toast } from '../ui.js';

function normalize(data) {
    const list = [];

    if (Array.isArray(data)) {
        for (const s of data) {
            const secret = !!s.secret || (s.value !== null
                && typeof s.value === 'object' && 'set' in s.value);
            list.push({ key: s.key, secret,
                        set: secret ? !!(s.set !== undefined ? s.set
                                                             : s.value.set)
                                    : undefined,
                        value: secret ? null : s.value, type: s.type,
                        values: Array.isArray(s.values) ? s.values : null,
                        doc: s.doc || s.description || '' });
        }
    } else if (data && typeof data === 'object') {
        for (const [key, v] of Object.entries(data)) {
            const secret = v !== null && typeof v === 'object' && 'set' in v;
            list.push({ key, secret, set: secret ? !!v.set : undefined,
                        value: secret ? null : v, type: null, values: null,
                        doc: '' });
        }
    }
    list.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    return list;
}

function isBool(s) {
    return s.type === 'bool' || typeof s.value === 'boolean';
}

function isInt(s) {
    return s.type === 'int' || typeof s.value === 'number';
}

/* A setting's value as its field shows it ("" for none). */
function shown(s) {
    if (s.value === null || s.value === undefined) {
        return '';
    }
    if (isBool(s)) {
        return s.value === true || s.value === 'on' ? 'on' : 'off';
    }
    return str(s.value);
}

/* A field's text as the JSON PUT sends: null clears (the default again),
 * booleans and integers as such. */
function parsed(s, text) {
    if (text === '') {
        return null;
    }
    if (isBool(s)) {
        return text === 'on';
    }
    if (isInt(s) && /^-?\d+$/.test(text)) {
        return Number(text);
    }
    return text;
}

export async function render(ctx) {
    const path = api.appPath(ctx.app, 'settings');

    ctx.view.appendChild(header(t('set_title')));
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const res = await api.get(path);
    if (!ctx.alive()) {
        return;
    }
    showForm(ctx, path, slot, res.data);
}

/* The form of the settings in data; a save shows the PUT's answer (the
 * settings as they now are: a GET right after might reach a worker whose
 * cache of settings is still a second old). */
function showForm(ctx, path, slot, data) {
    clear(slot);

    const rows = normalize(data);
    const controls = [];
    const form = el('form', { class: 'card settings-form', novalidate: true });

    for (const s of rows) {
        let input, clearBox = null;
        if (s.secret) {
            /* a key in PEM keeps its lines: a text area, empty (the value
             * is never sent to the page); anything else a password field */
            input = s.type === 'pem'
                ? el('textarea', { name: s.key, rows: '3', class: 'mono',
                                   spellcheck: 'false', autocomplete: 'off',
                                   placeholder: t('set_new_secret') })
                : el('input', { type: 'password', name: s.key,
                                autocomplete: 'new-password',
                                placeholder: t('set_new_secret') });
            clearBox = el('input', { type: 'checkbox',
                                     data: { clear: s.key } });
            clearBox.addEventListener('change', () => {
                input.disabled = clearBox.checked;
            });
        } else if (isBool(s) || s.values) {
            const opts = isBool(s) ? ['on', 'off'] : s.values;
            input = el('select', { name: s.key },
                el('option', { value: '' }, '(' + t('set_default') + ')'),
                opts.map((v) => el('option', { value: v }, v)));
            input.value = shown(s);
        } else if (s.type === 'pem') {
            input = el('textarea', { name: s.key, rows: '4',
                                     spellcheck: 'false', class: 'mono' });
            input.value = shown(s);
        } else {
            input = el('input', { type: isInt(s) ? 'number' : 'text',
                                  name: s.key, value: shown(s),
                                  spellcheck: 'false' });
        }
        input.id = 'set-' + s.key.replace(/[^a-zA-Z0-9_-]/g, '-');
        controls.push({ s, input, clearBox });
        form.appendChild(el('div', { class: 'setting'
                                     + (s.secret ? ' secret' : ''),
                                     data: { key: s.key } },
            el('label', { for: input.id, class: 'setting-key mono' }, s.key),
            s.doc ? el('p', { class: 'hint' }, s.doc) : null,
            el('div', { class: 'setting-input' },
               input,
               s.secret ? badge(s.set ? t('set_is_set') : t('set_not_set'),
                                s.set ? 'ok' : 'plain') : null,
               clearBox && s.set ? el('label', { class: 'inline' }, clearBox,
                                      ' ', t('set_clear')) : null)));
    }
    if (rows.length === 0) {
        form.appendChild(el('p', { class: 'empty-note' }, t('empty')));
    }
    const save = el('button', { type: 'submit', class: 'primary' },
                    t('save'));
    form.appendChild(el('div', { class: 'form-buttons' }, save));

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        showFieldError(form, null);
        const body = {};
        for (const { s, input, clearBox } of controls) {
            if (s.secret) {
                if (clearBox && clearBox.checked) {
                    body[s.key] = null;
                } else if (input.value !== '') {
                    body[s.key] = input.value;
                }
            } else if (input.value !== shown(s)) {
                body[s.key] = parsed(s, input.value);
            }
        }
        if (Object.keys(body).length === 0) {
            toast(t('set_nothing'), 'ok');
            return;
        }
        let failed = null;
        const r = await act(save, () => api.put(path, body)
            .catch((e) => { failed = e; throw e; }), t('saved'));
        if (r && ctx.alive()) {
            showForm(ctx, path, slot, r.data);
        } else if (failed) {
            showFieldError(form, failed);
        }
    });
    slot.appendChild(form);
}
