/*
 * api.js: the one door to featcgi's admin API under /admin/api/.
 *
 * Every call sends the session cookie (credentials: same-origin; the
 * cookie itself is HttpOnly, the page never sees it) and, when it changes
 * state (POST, PUT, PATCH, DELETE), the X-CSRF-Token header with the token
 * of the session answer.  An answer is {"data": ...} (a list adds total,
 * page, size), 204 empty, or an error {"error": {"code", "message",
 * "field"?}} thrown as an ApiError.  A 401 of any call but the sign-in
 * itself means the session is gone: the handler app.js sets shows the
 * sign-in.  The server's locale rides on each answer (Content-Language,
 * or the session's "locale"); api.js hands it to the handler too.
 */

const BASE = '/admin/api/';

let csrf = null;
let onUnauthorized = null;
let onLocale = null;

export class ApiError extends Error {
    constructor(status, code, message, field) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field || null;
    }
}

export function setCsrf(token) {
    csrf = token || null;
}

/* fn(error) runs when a call answers 401 (no session, or it expired). */
export function setUnauthorizedHandler(fn) {
    onUnauthorized = fn;
}

/* fn(locale) runs with each answer's Content-Language, when present. */
export function setLocaleHandler(fn) {
    onLocale = fn;
}

function queryString(query) {
    const q = new URLSearchParams();

    for (const [k, v] of Object.entries(query || {})) {
        if (v !== undefined && v !== null && v !== '') {
            q.set(k, String(v));
        }
    }
    const s = q.toString();
    return s === '' ? '' : '?' + s;
}

/* The path of an app-scoped resource: apps/<app>/<rest>.  The default
 * app, whose id is "", is spelt "~" there (an empty segment would not
 * survive nginx's merge_slashes). */
export function appPath(app, rest) {
    return 'apps/' + encodeURIComponent(app === '' ? '~' : app) + '/' + rest;
}

/*
 * Calls METHOD /admin/api/PATH: answers the parsed envelope ({data, total,
 * page, size}) or null for 204; throws ApiError for an error answer, and
 * for a network failure (status 0, code "network").
 */
export async function call(method, path, opts = {}) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin',
                   cache: 'no-store', redirect: 'error' };
    let res, body = null;

    if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(opts.body);
    }
    if (method !== 'GET' && method !== 'HEAD' && csrf !== null) {
        headers['X-CSRF-Token'] = csrf;
    }
    try {
        res = await fetch(BASE + path + queryString(opts.query), init);
    } catch (e) {
        throw new ApiError(0, 'network', '');
    }

    const lang = res.headers.get('Content-Language');
    if (lang && onLocale) {
        onLocale(lang);
    }
    if (res.status === 204) {
        return null;
    }
    const type = res.headers.get('Content-Type') || '';
    if (type.includes('json')) {
        try {
            body = await res.json();
        } catch (e) {
            body = null;
        }
    }
    if (!res.ok) {
        const err = body && body.error ? body.error : {};
        const e = new ApiError(res.status, err.code || 'http_' + res.status,
                               err.message || res.statusText || '',
                               err.field);
        if (res.status === 401 && !opts.noAuthRedirect && onUnauthorized) {
            onUnauthorized(e);
        }
        throw e;
    }
    return body || { data: null };
}

export const get = (path, query, opts) =>
    call('GET', path, Object.assign({ query }, opts));
export const post = (path, body, opts) =>
    call('POST', path, Object.assign({ body }, opts));
export const put = (path, body) => call('PUT', path, { body });
export const del = (path, body) => call('DELETE', path, { body });
