/*
 * ui.js: the DOM helpers every page uses.  All text goes in through
 * textContent or text nodes, never innerHTML: what users wrote (feedback,
 * nicknames) shows as the characters they typed.  No inline style either
 * (the CSP has no 'unsafe-inline'): looks are classes of console.css.
 */

import { t, locale } from './i18n.js';

/*
 * el('button', {class: 'primary', type: 'button', on: {click: fn}},
 *    'text', node, ...): a new element.  Attributes: "class", "text"
 * (textContent), "on" (event listeners), "data" (dataset), boolean true
 * (present) / false, null, undefined (absent), else setAttribute.
 * Children: nodes, or anything else as a text node; null/false skipped.
 */
export function el(tag, attrs, ...children) {
    const e = document.createElement(tag);

    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) {
            continue;
        }
        if (k === 'class') {
            e.className = v;
        } else if (k === 'text') {
            e.textContent = v;
        } else if (k === 'on') {
            for (const [ev, fn] of Object.entries(v)) {
                e.addEventListener(ev, fn);
            }
        } else if (k === 'data') {
            Object.assign(e.dataset, v);
        } else if (k === 'value') {
            e.value = v;
        } else if (v === true) {
            e.setAttribute(k, '');
        } else {
            e.setAttribute(k, String(v));
        }
    }
    append(e, children);
    return e;
}

function append(e, children) {
    for (const c of children) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        if (Array.isArray(c)) {
            append(e, c);
        } else if (c instanceof Node) {
            e.appendChild(c);
        } else {
            e.appendChild(document.createTextNode(String(c)));
        }
    }
}

export function clear(node) {
    while (node.firstChild) {
        node.removeChild(node.firstChild);
    }
    return node;
}

/* An RFC 3339 time as "YYYY-MM-DD HH:MM:SS" in the server's own offset
 * (the app's time zone, as the other dialects show it); "" for none. */
export function fmtTime(s) {
    if (s === null || s === undefined || s === '') {
        return '';
    }
    const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(:\d\d)?)/.exec(String(s));
    return m ? m[1] + ' ' + m[2] : String(s);
}

/* Fen as yuan: 1234 -> "¥12.34". */
export function fmtFen(fen) {
    if (fen === null || fen === undefined || fen === '') {
        return '';
    }
    const n = Number(fen);
    if (!Number.isFinite(n)) {
        return String(fen);
    }
    const sign = n < 0 ? '-' : '';
    const a = Math.abs(Math.trunc(n));
    return sign + '¥' + Math.floor(a / 100) + '.'
        + String(a % 100).padStart(2, '0');
}

/* Any value as display text: objects as compact JSON. */
export function str(v) {
    if (v === null || v === undefined) {
        return '';
    }
    if (typeof v === 'boolean') {
        return v ? t('yes') : t('no');
    }
    if (typeof v === 'object') {
        return JSON.stringify(v);
    }
    return String(v);
}

/*
 * A table of rows.  columns: [{label, get(row) -> text or Node, class}].
 * onOpen(row): the row is a link (click or Enter).  On a narrow screen
 * console.css turns each row into a card, every cell labelled by its
 * column (data-label).
 */
export function table(columns, rows, onOpen) {
    const head = el('tr', null, columns.map((c) =>
        el('th', { scope: 'col', class: c.class }, c.label)));
    const body = el('tbody');

    for (const row of rows) {
        const tr = el('tr', onOpen ? { class: 'clickable', tabindex: '0' }
                                   : null);
        for (const c of columns) {
            const v = c.get(row);
            tr.appendChild(el('td', { class: c.class,
                                      data: { label: c.label } },
                              v instanceof Node ? v : str(v)));
        }
        if (onOpen) {
            tr.addEventListener('click', (ev) => {
                if (!ev.target.closest('button, a, input, select')) {
                    onOpen(row);
                }
            });
            tr.addEventListener('keydown', (ev) => {
                if (ev.key === 'Enter') {
                    onOpen(row);
                }
            });
        }
        body.appendChild(tr);
    }
    if (rows.length === 0) {
        body.appendChild(el('tr', { class: 'empty' },
            el('td', { colspan: String(columns.length) }, t('empty'))));
    }
    return el('div', { class: 'table-wrap' },
        el('table', { class: 'list' }, el('thead', null, head), body));
}

/* "Previous / page P of N / next" for a list answer; go(page). */
export function pager(res, go) {
    const page = Number(res.page) || 1;
    const size = Number(res.size) || 20;
    const total = Number(res.total) || 0;
    const pages = Math.max(1, Math.ceil(total / size));

    return el('nav', { class: 'pager' },
        el('button', { type: 'button', class: 'ghost', disabled: page <= 1,
                       on: { click: () => go(page - 1) } }, t('prev')),
        el('span', { class: 'pager-info' },
           t('page_of', page, pages, total)),
        el('button', { type: 'button', class: 'ghost',
                       disabled: page >= pages,
                       on: { click: () => go(page + 1) } }, t('next')));
}

/* A labelled form field around input (an element). */
export function field(label, input, hint) {
    const id = input.id || 'f-' + Math.random().toString(36).slice(2, 9);

    input.id = id;
    return el('div', { class: 'field' },
        el('label', { for: id }, label), input,
        hint ? el('p', { class: 'hint' }, hint) : null);
}

/* A definition list of [label, value] pairs (values: text or Node). */
export function kv(pairs) {
    const dl = el('dl', { class: 'kv' });

    for (const [k, v] of pairs) {
        dl.appendChild(el('dt', null, k));
        dl.appendChild(el('dd', null, v instanceof Node ? v : str(v)));
    }
    return dl;
}

/* A status badge; kind picks its colour class. */
export function badge(text, kind) {
    return el('span', { class: 'badge badge-' + (kind || 'plain') }, text);
}

/* The page's title bar: h1 and, on the right, action nodes. */
export function header(title, ...actions) {
    return el('div', { class: 'page-head' }, el('h1', null, title),
              el('div', { class: 'page-actions' }, actions));
}

/* Tabs that set a filter: options [[value, label]], current, go(value). */
export function tabs(options, current, go) {
    return el('div', { class: 'tabs', role: 'tablist' },
        options.map(([v, label]) => el('button', {
            type: 'button', role: 'tab',
            class: 'tab' + (v === current ? ' active' : ''),
            'aria-selected': v === current ? 'true' : 'false',
            on: { click: () => go(v) } }, label)));
}

let toastTimer = null;

/* A short message at the bottom of the screen; kind "ok" or "error". */
export function toast(message, kind) {
    const box = document.getElementById('toast');

    if (!box) {
        return;
    }
    box.textContent = message;
    box.className = 'toast show ' + (kind === 'error' ? 'toast-error'
                                                      : 'toast-ok');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.className = 'toast'; }, 4000);
}

/* The text of an error for the person: the server's message (already in
 * its locale) or ours for a network failure. */
export function errorText(e) {
    if (e && e.code === 'network') {
        return t('err_network');
    }
    if (e && e.message) {
        return e.message;
    }
    return t('error');
}

/* An error block in place of a page's content, with a retry. */
export function errorBox(e, retry) {
    return el('div', { class: 'error-box', role: 'alert' },
        el('p', null, errorText(e)),
        retry ? el('button', { type: 'button', on: { click: retry } },
                   t('retry')) : null);
}

export function loading() {
    return el('p', { class: 'loading' }, t('loading'));
}

/*
 * A modal dialog: message, then OK / Cancel.  Options: danger (a red OK),
 * typed (the text the person must type before OK is allowed: the user's
 * id before a deletion), input ({label, placeholder, required}: a text
 * area whose value is the answer).  Answers a promise of false (cancel),
 * true, or the input's text.
 */
export function confirmDialog(message, opts = {}) {
    return new Promise((resolve) => {
        const okBtn = el('button', { type: 'submit',
            class: opts.danger ? 'danger' : 'primary' },
            opts.okText || t('confirm'));
        const cancelBtn = el('button', { type: 'button', class: 'ghost' },
                             t('cancel'));
        let input = null;
        const body = [el('p', { class: 'dialog-message' }, message)];

        if (opts.typed !== undefined) {
            input = el('input', { type: 'text', autocomplete: 'off',
                                  inputmode: 'numeric',
                                  class: 'typed-confirm' });
            body.push(field(opts.typedLabel || '', input));
            okBtn.disabled = true;
            input.addEventListener('input', () => {
                okBtn.disabled = input.value.trim() !== String(opts.typed);
            });
        } else if (opts.input) {
            input = el('textarea', { rows: '3', maxlength: '500',
                                     placeholder: opts.input.placeholder });
            body.push(field(opts.input.label, input));
        }

        const form = el('form', { method: 'dialog', class: 'dialog-form' },
            body, el('div', { class: 'dialog-buttons' }, cancelBtn, okBtn));
        const dlg = el('dialog', { class: 'dialog' }, form);
        let answer = false;

        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            if (opts.typed !== undefined
                && input.value.trim() !== String(opts.typed)) {
                return;
            }
            if (opts.input && opts.input.required
                && input.value.trim() === '') {
                input.focus();
                return;
            }
            answer = opts.input ? input.value.trim() : true;
            dlg.close();
        });
        cancelBtn.addEventListener('click', () => dlg.close());
        dlg.addEventListener('close', () => {
            dlg.remove();
            resolve(answer);
        });
        document.body.appendChild(dlg);
        dlg.showModal();
        if (input) {
            input.focus();
        } else {
            okBtn.focus();
        }
    });
}

/*
 * Runs fn (an async action on a button): the button is disabled meanwhile;
 * success shows okText; an error shows the server's message.  Answers
 * fn's result, or undefined after an error.
 */
export async function act(button, fn, okText) {
    if (button) {
        button.disabled = true;
    }
    try {
        const r = await fn();
        if (okText) {
            toast(okText, 'ok');
        }
        return r;
    } catch (e) {
        if (e && e.status !== 401) {
            toast(errorText(e), 'error');
        }
        return undefined;
    } finally {
        if (button && button.isConnected) {
            button.disabled = false;
        }
    }
}

/* Puts a form field's server error (bad_field with "field") next to it. */
export function showFieldError(form, e) {
    for (const old of form.querySelectorAll('.field-error')) {
        old.remove();
    }
    for (const bad of form.querySelectorAll('.invalid')) {
        bad.classList.remove('invalid');
    }
    if (!e || !e.field) {
        return false;
    }
    const input = form.querySelector('[name="' + CSS.escape(e.field) + '"]');
    if (!input) {
        return false;
    }
    input.classList.add('invalid');
    input.insertAdjacentElement('afterend',
        el('p', { class: 'field-error' }, errorText(e)));
    input.focus();
    return true;
}

export function isEn() {
    return locale() === 'en';
}
