/*
 * pages/faq.js: the app's FAQ (GET/POST apps/<app>/faq, GET/PUT/DELETE
 * apps/<app>/faq/<id>): the v1 and v2 clients' /faq.  Fields as featctl
 * faq add: title, content, category (free text), external_link.
 */

import { render as crud } from './crud.js';

const SPEC = {
    page: 'faq',
    resource: 'faq',
    title: 'faq_title',
    newTitle: 'faq_new',
    editTitle: 'faq_edit',
    fields: [
        { name: 'title', label: 'f_title', required: true, max: 200 },
        { name: 'content', label: 'f_content', textarea: true, max: 20000 },
        { name: 'category', label: 'f_category', max: 64 },
        { name: 'external_link', label: 'f_external_link', type: 'url',
          max: 512 },
    ],
    columns: ['title', 'category'],
};

export function render(ctx) {
    return crud(ctx, SPEC);
}
