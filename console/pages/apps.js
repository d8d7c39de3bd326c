/*
 * pages/apps.js: the app picker of a manager of all apps (GET
 * /admin/api/apps, loaded by app.js).  Choosing one puts it in the hash
 * (?app=<id>), which every page then manages.
 */

import { t } from '../i18n.js';
import { el, header } from '../ui.js';

export function render(view, ctx) {
    view.appendChild(header(t('apps_title')));
    if (ctx.apps.length === 0) {
        view.appendChild(el('p', { class: 'empty-note' }, t('apps_none')));
        return;
    }
    view.appendChild(el('ul', { class: 'app-cards' }, ctx.apps.map((a) =>
        el('li', null, el('button', {
            type: 'button', class: 'app-card',
            data: { app: a.id },
            on: { click: () => ctx.choose(a.id) },
        }, el('span', { class: 'app-card-name' }, ctx.appName(a.id)),
           el('span', { class: 'app-card-id mono' },
              a.id === '' ? t('default_app') : a.id))))));
}
