/*
 * pages/projects.js: service projects (需求项目).  #/projects lists them
 * by status, the review queue first (status=review, the default);
 * #/projects/<id> shows one with what may be done to it now: a project in
 * review is approved (it opens on the square) or rejected with a note; an
 * open or closed one is taken down with a note, there or from its row of
 * the list.
 */

import * as api from '../api.js';
import { t } from '../i18n.js';
import { el, table, pager, header, tabs, loading, act, clear, fmtTime,
         fmtFen, kv, badge, confirmDialog } from '../ui.js';

const STATUSES = ['review', 'open', 'closed', 'completed', 'cancelled',
                  'draft', 'all'];
/* The seed's numbers (DRAFT 0 ... CANCELLED 500) and their names. */
const BY_NUMBER = { 0: 'draft', 100: 'review', 200: 'open', 300: 'closed',
                    400: 'completed', 500: 'cancelled' };
const KIND = { review: 'warn', open: 'ok', closed: 'muted',
               completed: 'ok', cancelled: 'muted', draft: 'plain' };

function statusName(p) {
    const s = p.status;
    if (typeof s === 'number' || /^\d+$/.test(String(s))) {
        return BY_NUMBER[Number(s)] || String(s);
    }
    return String(s || '').toLowerCase();
}

function statusBadge(p) {
    const n = statusName(p);
    const label = STATUSES.includes(n) ? t('pr_st_' + n)
        : (p.status_display || n);
    return badge(label, KIND[n]);
}

function owner(p) {
    const o = p.owner;
    if (o && typeof o === 'object') {
        return [o.id, o.nickname].filter((x) => x !== undefined
            && x !== null && x !== '').join(' · ');
    }
    return [p.owner_id, p.owner_nickname].filter((x) => x !== undefined
        && x !== null && x !== '').join(' · ');
}

/* What the API's takedown (the moderator's cancel) accepts. */
function canTakeDown(p) {
    const n = statusName(p);
    return n === 'open' || n === 'closed';
}

/*
 * Asks for the takedown's note (the owner reads it) and takes project p
 * down with button b busy; answers true once done.
 */
async function takedown(ctx, p, b) {
    const label = t('pr_takedown');
    const note = await confirmDialog(label + ': ' + p.title,
        { danger: true, okText: label,
          input: { label: t('pr_note_takedown'), required: true } });
    if (note === false) {
        return false;
    }
    const path = api.appPath(ctx.app, 'projects/'
                             + encodeURIComponent(p.id) + '/takedown');
    return await act(b, () => api.post(path, { note }),
                     t('pr_takedown_ok')) !== undefined;
}

export async function render(ctx) {
    if (ctx.parts.length > 0) {
        return renderOne(ctx, ctx.parts[0]);
    }
    const status = STATUSES.includes(ctx.query.get('status'))
        ? ctx.query.get('status') : 'review';
    const page = Number(ctx.query.get('page')) || 1;

    ctx.view.appendChild(header(t('pr_title')));
    ctx.view.appendChild(tabs(STATUSES.map((s) =>
        [s, s === 'all' ? t('st_all') : t('pr_st_' + s)]), status,
        (s) => ctx.setQuery({ status: s })));
    const slot = ctx.view.appendChild(el('div'));
    slot.appendChild(loading());
    const res = await api.get(api.appPath(ctx.app, 'projects'),
                              { status, page, size: 20 });
    if (!ctx.alive()) {
        return;
    }
    clear(slot);
    slot.appendChild(table([
        { label: t('id'), get: (p) => p.id, class: 'num' },
        { label: t('f_title'), get: (p) => p.title },
        { label: t('pr_owner'), get: owner },
        { label: t('pr_budget'), get: (p) => fmtFen(p.budget_fen),
          class: 'num' },
        { label: t('status'), get: statusBadge },
        { label: t('pr_close_at'), get: (p) => fmtTime(p.close_at) },
        { label: t('created_at'), get: (p) => fmtTime(p.created_at) },
        { label: t('actions'), class: 'row-actions', get: (p) => {
            if (!canTakeDown(p)) {
                return '';
            }
            const b = el('button', { type: 'button', class: 'danger small',
                                     data: { action: 'takedown',
                                             id: String(p.id) } },
                         t('pr_takedown'));
            b.addEventListener('click', async () => {
                if (await takedown(ctx, p, b)) {
                    ctx.setQuery({ status, page });
                }
            });
            return b;
        } },
    ], res.data || [], (p) => ctx.go(ctx.link('projects', [String(p.id)]))));
    slot.appendChild(pager(res, (p) => ctx.setQuery({ status, page: p })));
}

async function renderOne(ctx, id) {
    const path = api.appPath(ctx.app, 'projects/' + encodeURIComponent(id));

    ctx.view.appendChild(loading());
    const res = await api.get(path);
    if (!ctx.alive()) {
        return;
    }
    clear(ctx.view);
    const p = res.data;
    const state = statusName(p);
    const reload = () => ctx.go(ctx.link('projects', [String(id)]));
    const buttons = [];

    const action = (verb, label, cls, noteLabel, okText) => {
        const b = el('button', { type: 'button', class: cls,
                                 data: { action: verb } }, label);
        b.addEventListener('click', async () => {
            let body = {};
            if (noteLabel) {
                const note = await confirmDialog(label + ': ' + p.title,
                    { danger: true, okText: label,
                      input: { label: noteLabel, required: true } });
                if (note === false) {
                    return;
                }
                body = { note };
            } else if (!await confirmDialog(label + ': ' + p.title,
                                            { okText: label })) {
                return;
            }
            if (await act(b, () => api.post(path + '/' + verb, body),
                          okText)) {
                reload();
            }
        });
        buttons.push(b);
    };
    if (state === 'review') {
        action('approve', t('pr_approve'), 'primary', null,
               t('pr_approved_ok'));
        action('reject', t('pr_reject'), 'danger', t('pr_note_reject'),
               t('pr_rejected_ok'));
    }
    if (canTakeDown(p)) {
        const b = el('button', { type: 'button', class: 'danger',
                                 data: { action: 'takedown' } },
                     t('pr_takedown'));
        b.addEventListener('click', async () => {
            if (await takedown(ctx, p, b)) {
                reload();
            }
        });
        buttons.push(b);
    }

    ctx.view.appendChild(header(t('pr_title') + ' #' + p.id,
        el('a', { href: ctx.link('projects'), class: 'button ghost' },
           t('back'))));
    ctx.view.appendChild(el('section', { class: 'card' },
        el('h2', null, p.title || ''),
        el('div', { class: 'feedback-content' }, p.description || ''),
        kv([
            [t('status'), statusBadge(p)],
            [t('pr_owner'), owner(p)],
            [t('f_category'), p.category || ''],
            [t('pr_budget'), fmtFen(p.budget_fen)],
            [t('pr_close_at'), fmtTime(p.close_at)],
            [t('pr_bids'), p.bids_count !== undefined ? p.bids_count
                : (p.bids !== undefined ? p.bids : '')],
            [t('pr_review_note'), p.review_note || ''],
            [t('created_at'), fmtTime(p.created_at)],
        ])));
    if (buttons.length > 0) {
        ctx.view.appendChild(el('div', { class: 'action-bar' }, buttons));
    }
}
