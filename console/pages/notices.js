/*
 * pages/notices.js: the app's activity notices (GET/POST
 * apps/<app>/notices, GET/PUT/DELETE apps/<app>/notices/<id>), which the
 * v1 clients read under /api/user/notice.  Fields as featctl notice add:
 * title, content, thumbnail.
 */

import { render as crud } from './crud.js';

const SPEC = {
    page: 'notices',
    resource: 'notices',
    title: 'notices_title',
    newTitle: 'notice_new',
    editTitle: 'notice_edit',
    fields: [
        { name: 'title', label: 'f_title', required: true, max: 200 },
        { name: 'content', label: 'f_content', textarea: true, max: 20000 },
        { name: 'thumbnail', label: 'f_thumbnail', type: 'url', max: 512 },
    ],
    columns: ['title'],
};

export function render(ctx) {
    return crud(ctx, SPEC);
}
