/*
 * pages/signin.js: the manager's sign-in.  POST /admin/api/session with
 * login and password; when the server answers 401 totp_required the form
 * asks for the 6-digit code too and sends all three again.  Success hands
 * the session answer ({manager, csrf, ...}) to onSignedIn.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, field, errorText } from '../ui.js';

export function render(view, opts) {
    const login = el('input', { type: 'text', name: 'login', required: true,
                                autocomplete: 'username', maxlength: '64',
                                autocapitalize: 'none', spellcheck: 'false' });
    const password = el('input', { type: 'password', name: 'password',
                                   required: true,
                                   autocomplete: 'current-password' });
    const totp = el('input', { type: 'text', name: 'totp',
                               inputmode: 'numeric', pattern: '[0-9]{6}',
                               maxlength: '6', autocomplete: 'one-time-code' });
    const totpField = field(t('totp'), totp, t('totp_hint'));
    const message = el('p', { class: 'form-error', role: 'alert' });
    const button = el('button', { type: 'submit', class: 'primary wide' },
                      t('signin'));
    const form = el('form', { class: 'signin-form', novalidate: true },
        el('h1', null, t('signin_title')),
        opts.message ? el('p', { class: 'notice' }, opts.message) : null,
        field(t('login'), login), field(t('password'), password), totpField,
        message, button);

    totpField.classList.add('hidden');

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        message.textContent = '';
        if (login.value.trim() === '') {
            message.textContent = t('err_required', t('login'));
            login.focus();
            return;
        }
        if (password.value === '') {
            message.textContent = t('err_required', t('password'));
            password.focus();
            return;
        }
        const body = { login: login.value.trim(), password: password.value };
        if (!totpField.classList.contains('hidden')) {
            body.totp = totp.value.trim();
        }
        button.disabled = true;
        button.textContent = t('signing_in');
        try {
            const res = await api.post('session', body,
                                       { noAuthRedirect: true });
            opts.onSignedIn(res.data);
        } catch (e) {
            if (opts.onLocaleHint) {
                opts.onLocaleHint(e.message);
            }
            if (!form.isConnected) {
                return;
            }
            if (e.code === 'totp_required') {
                const first = totpField.classList.contains('hidden');
                totpField.classList.remove('hidden');
                if (first) {
                    totp.focus();
                } else {
                    message.textContent = errorText(e);
                    totp.select();
                }
            } else {
                message.textContent = errorText(e);
                if (e.code === 'bad_credentials') {
                    password.select();
                }
            }
        } finally {
            button.disabled = false;
            button.textContent = t('signin');
        }
    });

    view.appendChild(el('div', { class: 'signin' },
        el('div', { class: 'signin-brand' }, t('brand')), form));
    login.focus();
}
