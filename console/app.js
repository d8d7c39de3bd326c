/*
 * app.js: the console's start and its hash router.
 *
 * At load it asks GET /admin/api/session who is signed in: 401 shows the
 * sign-in (pages/signin.js), 200 the shell (top bar, navigation, the page
 * of the hash).  Hashes are "#/<page>[/<id>[/<more>]][?app=<id>&...]":
 * the page names a module of pages/, "app" the app being managed (a
 * manager of one app always manages its own; a manager of all apps picks
 * one on #/apps), the other query keys are the page's filters, so a
 * reload or a shared link shows the same list.
 *
 * The locale is the server's: each admin API answer may say it in
 * Content-Language, the session answer in "locale"; failing both, the
 * language of the server's own error text decides (its messages are in
 * the config's locale: the sign-in page always sees one, the 401 of the
 * session probe).  The last one learnt is kept in localStorage for the
 * next load; Chinese until told otherwise.
 */

import * as api from './api.js';
import { setLocale, t } from './i18n.js';
import { el, clear, errorBox, loading, toast } from './ui.js';
import * as signin from './pages/signin.js';
import * as apps from './pages/apps.js';
import * as feedback from './pages/feedback.js';
import * as faq from './pages/faq.js';
import * as notices from './pages/notices.js';
import * as pushes from './pages/pushes.js';
import * as users from './pages/users.js';
import * as projects from './pages/projects.js';
import * as orders from './pages/orders.js';
import * as settings from './pages/settings.js';
import * as audit from './pages/audit.js';

const PAGES = { feedback, faq, notices, pushes, users, projects, orders,
                settings, audit };
const NAV = ['feedback', 'faq', 'notices', 'pushes', 'users', 'projects',
             'orders', 'settings', 'audit'];

const state = {
    manager: null,      /* the session's manager, null when signed out */
    apps: null,         /* [{id, name}] for a manager of all apps */
    ready: false,       /* the first answer decided what to show */
    renders: 0,         /* bumps at each navigation: stale renders stop */
};

/* ---- locale ------------------------------------------------------------ */

function localeFromText(s) {
    if (!s) {
        return null;
    }
    return /[\u3400-\u9fff]/.test(s) ? 'zh' : 'en';
}

/* The locale the server last showed, kept for the next load: a signed-in
 * page's first answer may carry none (only errors surely speak it). */
const LOCALE_KEY = 'featcgi-console-locale';

function rememberLocale(l) {
    try {
        localStorage.setItem(LOCALE_KEY, l);
    } catch (e) {
        /* storage refused: the next load starts in Chinese */
    }
}

function remembered() {
    try {
        return localStorage.getItem(LOCALE_KEY);
    } catch (e) {
        return null;
    }
}

function applyLocale(l) {
    rememberLocale(String(l).toLowerCase().slice(0, 2));
    if (setLocale(l)) {
        translateShell();
        if (!state.ready) {
            return;
        }
        if (state.manager) {
            renderNav();
            route();
        } else {
            showSignin();
        }
    }
}

function translateShell() {
    for (const node of document.querySelectorAll('[data-i18n]')) {
        node.textContent = t(node.dataset.i18n);
    }
    document.title = t('title');
}

/* ---- the hash ---------------------------------------------------------- */

function parseHash() {
    const h = location.hash.replace(/^#\/?/, '');
    const qi = h.indexOf('?');
    const path = qi < 0 ? h : h.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
    const parts = path.split('/').filter((p) => p !== '')
        .map((p) => decodeURIComponent(p));

    return { page: parts[0] || '', parts: parts.slice(1), query };
}

/* The app being managed: the manager's own, or the hash's; undefined when
 * a manager of all apps has not chosen one. */
function currentApp(query) {
    const m = state.manager;

    if (m && m.app_id !== null && m.app_id !== undefined) {
        return m.app_id;
    }
    return query.has('app') ? query.get('app') : undefined;
}

/* A hash for page (with parts and query), keeping the app. */
export function link(page, parts = [], query = {}) {
    const q = new URLSearchParams();
    const app = currentApp(parseHash().query);

    if (app !== undefined && !ownApp()) {
        q.set('app', app);
    }
    for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null && v !== '') {
            q.set(k, String(v));
        }
    }
    const path = [page].concat(parts.map((p) => encodeURIComponent(p)))
        .join('/');
    const qs = q.toString();
    return '#/' + path + (qs ? '?' + qs : '');
}

function ownApp() {
    const m = state.manager;
    return m && m.app_id !== null && m.app_id !== undefined;
}

export function go(hash) {
    if (location.hash === hash) {
        route();
    } else {
        location.hash = hash;
    }
}

/* ---- session ----------------------------------------------------------- */

function signedIn(data) {
    state.ready = true;
    state.manager = data.manager;
    state.apps = null;
    api.setCsrf(data.csrf);
    if (data.locale) {
        applyLocale(data.locale);
    }
    document.body.classList.remove('signed-out');
    document.getElementById('who').textContent =
        data.manager.name || data.manager.login || '';
    renderNav();
    route();
}

function showSignin(message) {
    state.ready = true;
    state.manager = null;
    api.setCsrf(null);
    document.body.classList.add('signed-out');
    document.body.classList.remove('nav-open');
    state.renders++;
    const view = clear(document.getElementById('view'));
    signin.render(view, { message, onSignedIn: signedIn,
                          onLocaleHint: (s) => {
                              const l = localeFromText(s);
                              if (l) {
                                  applyLocale(l);
                              }
                          } });
}

async function signOut() {
    try {
        await api.del('session');
    } catch (e) {
        /* signed out either way */
    }
    showSignin();
}

/* ---- shell ------------------------------------------------------------- */

async function loadApps() {
    if (state.apps === null) {
        const res = await api.get('apps', { size: 100 });
        state.apps = Array.isArray(res.data) ? res.data : [];
    }
    return state.apps;
}

function appName(id) {
    const a = (state.apps || []).find((x) => x.id === id);
    if (a && a.name) {
        return a.name;
    }
    return id === '' ? t('default_app') : id;
}

function renderNav() {
    const nav = clear(document.getElementById('nav'));
    const r = parseHash();
    const app = currentApp(r.query);
    const list = el('ul', { class: 'nav-list' });

    if (app !== undefined) {
        for (const p of NAV) {
            list.appendChild(el('li', null, el('a', {
                href: link(p), class: p === r.page ? 'active' : null,
                'aria-current': p === r.page ? 'page' : null,
            }, t('nav_' + p))));
        }
    }
    if (!ownApp()) {
        list.appendChild(el('li', { class: 'nav-apps' }, el('a', {
            href: '#/apps', class: r.page === 'apps' ? 'active' : null,
        }, t('nav_apps'))));
    }
    nav.appendChild(list);

    const label = document.getElementById('app-name');
    label.textContent = app !== undefined ? appName(app) : '';
}

function toggleNav(open) {
    const body = document.body;
    const on = open === undefined ? !body.classList.contains('nav-open')
                                  : open;
    body.classList.toggle('nav-open', on);
    document.getElementById('nav-toggle')
        .setAttribute('aria-expanded', on ? 'true' : 'false');
}

/* ---- router ------------------------------------------------------------ */

async function route() {
    if (!state.manager) {
        return;
    }
    const r = parseHash();
    const app = currentApp(r.query);
    const token = ++state.renders;
    const view = clear(document.getElementById('view'));

    toggleNav(false);
    if (state.apps === null) {
        view.appendChild(loading());
        try {
            await loadApps();
        } catch (e) {
            if (token === state.renders && e.status !== 401) {
                clear(view).appendChild(errorBox(e, route));
            }
            return;
        }
        if (token !== state.renders) {
            return;
        }
        clear(view);
    }
    if (r.page === 'apps' || (app === undefined)) {
        if (r.page !== 'apps') {
            history.replaceState(null, '', '#/apps');
        }
        renderNav();
        apps.render(view, { apps: state.apps || [], appName,
                            choose: (id) => go('#/feedback?app='
                                               + encodeURIComponent(id)) });
        return;
    }
    const page = PAGES[r.page];
    if (!page) {
        history.replaceState(null, '', link('feedback'));
        return route();
    }
    renderNav();
    const ctx = {
        app,
        parts: r.parts,
        query: r.query,
        view,
        manager: state.manager,
        link,
        go,
        alive: () => token === state.renders,
        /* the same page with some query keys changed (page 1 unless
         * given) */
        setQuery(patch) {
            const q = Object.fromEntries(r.query.entries());
            delete q.app;
            Object.assign(q, { page: undefined }, patch);
            go(link(r.page, r.parts, q));
        },
    };
    try {
        await page.render(ctx);
    } catch (e) {
        if (ctx.alive() && e && e.status !== 401) {
            clear(view).appendChild(errorBox(e, route));
        }
        if (!(e instanceof api.ApiError)) {
            throw e;
        }
    }
}

/* ---- start ------------------------------------------------------------- */

async function start() {
    setLocale(remembered());
    translateShell();
    document.getElementById('nav-toggle')
        .addEventListener('click', () => toggleNav());
    document.getElementById('sign-out').addEventListener('click', signOut);
    window.addEventListener('hashchange', route);

    api.setLocaleHandler(applyLocale);
    api.setUnauthorizedHandler((e) => {
        if (state.manager) {
            toast(t('session_ended'), 'error');
        }
        showSignin(state.manager ? t('session_ended') : null);
    });

    const view = document.getElementById('view');
    view.appendChild(loading());
    try {
        const res = await api.get('session', undefined,
                                  { noAuthRedirect: true });
        signedIn(res.data);
    } catch (e) {
        if (e.status === 401) {
            const l = localeFromText(e.message);
            if (l) {
                applyLocale(l);
            }
            showSignin();
        } else {
            clear(view).appendChild(errorBox(e, () => location.reload()));
        }
    }
}

start();
