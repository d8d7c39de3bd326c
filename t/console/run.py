#!/usr/bin/python3
# t/console/run.py: drives the featcgi console in Debian's headless
# chromium (chromium-driver, python3-selenium) for t/40-console.t.
#
#     run.py PLAN.json
#
# PLAN names the console's URL, a manager's login and password, the
# directory for screenshots and the seeded rows the steps act on (see
# t/40-console.t).  One browser session walks every page at desktop size
# (1280x800), then again at phone size (390x844), taking a screenshot of
# each into the directory.  The answer, on stdout, is one JSON object:
#     {"steps": [{"name", "ok", "detail"}], "csp": N, "js_errors": [...],
#      "shots": [file names]}
# and the .t makes a test of each step.  A step that fails does not stop
# the walk (its screenshot is taken as "fail-<name>.png").  The exit status
# is 0 when the browser could run at all.

import json
import os
import sys
import time
import traceback

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 15           # seconds a step waits for the page to show something

# Runs in every document before the console's own scripts: counts CSP
# violations and collects uncaught errors, so the walk can assert there
# were none.
PROBE = """
window.__feat = { csp: [], errors: [] };
document.addEventListener('securitypolicyviolation', function (e) {
    window.__feat.csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
window.addEventListener('error', function (e) {
    window.__feat.errors.push(String(e.message || e));
});
window.addEventListener('unhandledrejection', function (e) {
    window.__feat.errors.push('unhandled rejection: '
        + String(e.reason && (e.reason.stack || e.reason.message) || e.reason));
});
"""


class Walk:
    def __init__(self, plan):
        self.plan = plan
        self.base = plan['base'].rstrip('/')
        self.shots_dir = plan['shots']
        self.steps = []
        self.shots = []
        self.csp = []
        self.js_errors = []
        self.size = 'desktop'
        os.makedirs(self.shots_dir, exist_ok=True)

        opts = webdriver.ChromeOptions()
        opts.binary_location = plan.get('chromium', '/usr/bin/chromium')
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu',
                  '--disable-dev-shm-usage', '--no-first-run',
                  '--disable-extensions', '--disable-sync',
                  '--disable-background-networking',
                  '--lang=zh-CN', '--window-size=1280,800',
                  '--user-data-dir=' + plan['profile']):
            opts.add_argument(a)
        opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        service = Service(plan.get('chromedriver', '/usr/bin/chromedriver'),
                          log_path=plan.get('driver_log', os.devnull))
        self.d = webdriver.Chrome(service=service, options=opts)
        self.d.set_page_load_timeout(30)
        self.d.set_script_timeout(30)
        self.d.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument',
                               {'source': PROBE})
        self.d.execute_cdp_cmd('Browser.setDownloadBehavior',
                               {'behavior': 'allow',
                                'downloadPath': plan['downloads'],
                                'eventsEnabled': True})
        self.viewport(1280, 800, False)

    # ---- plumbing --------------------------------------------------------

    def viewport(self, w, h, mobile):
        self.d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
            'width': w, 'height': h, 'deviceScaleFactor': 1,
            'mobile': mobile})
        self.size = 'phone' if mobile else 'desktop'

    def step(self, name, fn):
        """Runs fn(); records ok, or the failure and a screenshot."""
        try:
            detail = fn()
            self.steps.append({'name': name, 'ok': True,
                               'detail': detail or ''})
            return True
        except Exception as e:                        # noqa: BLE001
            msg = '%s: %s' % (type(e).__name__, str(e).splitlines()[0]
                              if str(e) else '')
            self.steps.append({'name': name, 'ok': False,
                               'detail': msg + '\n' + traceback.format_exc()})
            self.shot('fail-' + name.replace(' ', '-')[:40])
            return False

    def shot(self, name):
        fname = '%s-%s.png' % (self.size, name)
        # a toast fades in and out over 4 s: settle first, then shoot
        time.sleep(0.3)
        try:
            self.d.save_screenshot(os.path.join(self.shots_dir, fname))
            self.shots.append(fname)
        except WebDriverException:
            pass
        return fname

    def wait(self, cond, what, timeout=WAIT):
        try:
            return WebDriverWait(self.d, timeout, 0.1).until(
                lambda d: cond(d))
        except TimeoutException:
            raise AssertionError('timed out waiting for ' + what) from None

    def css(self, sel, root=None):
        return (root or self.d).find_elements(By.CSS_SELECTOR, sel)

    def one(self, sel, what=None):
        return self.wait(lambda d: self._visible(sel), what or sel)

    def _visible(self, sel):
        for e in self.css(sel):
            try:
                if e.is_displayed():
                    return e
            except WebDriverException:
                pass
        return None

    def go(self, hash_, ready='.page-head h1'):
        # The view is emptied first, so what the wait finds is the new
        # page's (hashchange comes a moment after the assignment).
        self.d.execute_script(
            'document.getElementById("toast").className = "toast";'
            'document.getElementById("view").replaceChildren();'
            'if (location.hash === arguments[0]) {'
            '    window.dispatchEvent(new HashChangeEvent("hashchange"));'
            '} else {'
            '    location.hash = arguments[0];'
            '}', hash_)
        self.settle(ready, 'page ' + hash_)

    def settle(self, ready, what):
        self.wait(lambda d: not self.css('#view .loading')
                  and self._visible(ready), what)

    def submit_filter(self, inp, text, url_part, ready='table.list'):
        """Types text and Enter into a filter field; waits for the list
        the new hash shows."""
        inp.send_keys(text)
        # the page's own nodes are marked; route() replaces them all
        self.d.execute_script(
            'for (const e of document.querySelectorAll("#view > *"))'
            '    e.dataset.stale = "1";')
        inp.send_keys(Keys.ENTER)
        self.wait(lambda d: url_part in d.current_url
                  and not self.css('#view > [data-stale]'), 'the filter')
        self.settle(ready, 'the filtered list')

    def link(self, page, query=''):
        app = self.plan.get('app')
        q = []
        if app is not None and self.plan.get('all_apps'):
            q.append('app=' + app)
        if query:
            q.append(query)
        return '#/' + page + ('?' + '&'.join(q) if q else '')

    def view_text(self):
        return self.d.find_element(By.ID, 'view').text

    def dialog_ok(self, typed=None, note=None):
        dlg = self.one('dialog[open]', 'the confirmation dialog')
        if typed is not None:
            inp = dlg.find_element(By.CSS_SELECTOR, 'input.typed-confirm')
            ok = dlg.find_element(By.CSS_SELECTOR, 'button[type=submit]')
            assert not ok.is_enabled(), 'OK enabled before the id is typed'
            inp.send_keys(typed)
        if note is not None:
            dlg.find_element(By.CSS_SELECTOR, 'textarea').send_keys(note)
        self.press(dlg.find_element(By.CSS_SELECTOR, 'button[type=submit]'))
        self.wait(lambda d: not self.css('dialog[open]'), 'dialog closed')

    def hide_toast(self):
        self.d.execute_script(
            'document.getElementById("toast").className = "toast"')

    def press(self, elem):
        """Clicks elem with no toast showing, so the next toast_ok sees
        this action's own."""
        self.hide_toast()
        elem.click()

    def toast_ok(self):
        self.wait(lambda d: self._visible('.toast.show.toast-ok')
                  or self._visible('.toast.show.toast-error'), 'a toast')
        err = self._visible('.toast.show.toast-error')
        assert err is None, 'error toast: ' + err.text

    def collect_probe(self):
        """The page's CSP violations and errors so far (then reset)."""
        try:
            r = self.d.execute_script(
                'var f = window.__feat || {csp: [], errors: []};'
                'window.__feat = {csp: [], errors: []}; return f;')
        except WebDriverException:
            return
        self.csp.extend(r.get('csp', []))
        self.js_errors.extend(r.get('errors', []))

    def collect_log(self):
        for entry in self.d.get_log('browser'):
            text = entry.get('message', '')
            level = entry.get('level', '')
            if 'Content Security Policy' in text or 'Content-Security-Policy' in text:
                self.csp.append(text)
            elif level == 'SEVERE' and not self.expected_severe(text):
                self.js_errors.append(text)

    def expected_severe(self, text):
        # The sign-in's wrong password and the session probe of a signed
        # out page answer 401 on purpose: chromium logs each failed fetch.
        for allowed in self.plan.get('allow_console', []):
            if allowed in text:
                return True
        return False

    # ---- the walk --------------------------------------------------------

    def run(self):
        p = self.plan
        d = self.d

        def signin_page():
            d.get(self.base + '/admin/')
            self.one('form.signin-form input[name=login]', 'the sign-in')
            self.shot('signin')

        def signin_wrong():
            self.one('input[name=login]').send_keys(p['login'])
            self.one('input[name=password]').send_keys('wrong-password')
            self.one('form.signin-form button[type=submit]').click()
            e = self.wait(lambda d: self._visible('.form-error')
                          and self._visible('.form-error').text.strip(),
                          'the sign-in error')
            self.shot('signin-error')
            return e

        def signin_right():
            pw = self.one('input[name=password]')
            pw.clear()
            pw.send_keys(p['password'] + Keys.ENTER)
            self.wait(lambda d: 'signed-out' not in
                      d.find_element(By.TAG_NAME, 'body')
                       .get_attribute('class'), 'signed in')
            if p.get('all_apps'):
                self.one('.app-card', 'the app picker')
                self.shot('apps')
                cards = [c for c in self.css('.app-card')
                         if c.get_attribute('data-app') == p['app']]
                assert cards, 'no card of app %r' % p['app']
                cards[0].click()
            self.one('.page-head h1', 'the feedback inbox')
            assert '#/feedback' in d.current_url, d.current_url

        def inbox():
            self.go(self.link('feedback'), 'table.list')
            text = self.view_text()
            for want in (p['feedback_text'], p['xss_text']):
                assert want in text, 'inbox lacks %r' % want
            self.shot('feedback-list')

        def xss():
            self.go(self.link('feedback/%s' % p['xss_feedback_id']),
                    '.feedback-content')
            shown = self.one('.feedback-content').text
            assert shown == p['xss_text'], 'shown %r' % shown
            imgs = self.css('#view img')
            assert not imgs, '%d img elements in the view' % len(imgs)
            fired = d.execute_script('return window.__xss === true')
            assert not fired, 'the payload ran'
            self.shot('feedback-xss')

        def reply():
            self.go(self.link('feedback/%s' % p['feedback_id']),
                    'form.reply-form')
            self.shot('feedback-view')
            box = self.one('form.reply-form textarea')
            box.send_keys(p['reply_text'])
            self.press(self.one('form.reply-form button[type=submit]'))
            self.toast_ok()
            self.wait(lambda d: any(p['reply_text'] in e.text
                                    for e in self.css('.reply-content')),
                      'the reply in the thread')
            self.shot('feedback-replied')

        def faq():
            self.go(self.link('faq'), 'table.list')
            self.shot('faq-list')
            self.go(self.link('faq/new'), 'form.edit-form')
            self.one('input[name=title]').send_keys(p['faq_title'])
            self.one('textarea[name=content]').send_keys(p['faq_content'])
            self.one('input[name=category]').send_keys('console')
            self.shot('faq-new')
            self.press(self.one('form.edit-form button[type=submit]'))
            self.toast_ok()
            self.wait(lambda d: p['faq_title'] in self.view_text()
                      and self.css('table.list'), 'the new FAQ listed')
            # edit it
            row = [r for r in self.css('table.list tbody tr')
                   if p['faq_title'] in r.text][0]
            row.find_elements(By.TAG_NAME, 'td')[1].click()
            title = self.one('form.edit-form input[name=title]')
            title.send_keys(' v2')
            self.press(self.one('form.edit-form button[type=submit]'))
            self.toast_ok()
            self.wait(lambda d: p['faq_title'] + ' v2' in self.view_text(),
                      'the edited FAQ listed')
            self.shot('faq-edited')

        def faq_delete():
            self.go(self.link('faq'), 'table.list')
            row = [r for r in self.css('table.list tbody tr')
                   if p['faq_delete_title'] in r.text]
            assert row, 'no row %r' % p['faq_delete_title']
            row[0].find_element(By.CSS_SELECTOR, 'button.danger').click()
            self.shot('faq-delete-confirm')
            self.dialog_ok()
            self.toast_ok()
            self.wait(lambda d: self.css('table.list')
                      and p['faq_delete_title'] not in self.view_text(),
                      'the FAQ gone')

        def notices():
            self.go(self.link('notices'), 'table.list')
            self.shot('notices-list')
            self.go(self.link('notices/new'), 'form.edit-form')
            self.one('input[name=title]').send_keys(p['notice_title'])
            self.one('textarea[name=content]').send_keys('notice body')
            self.press(self.one('form.edit-form button[type=submit]'))
            self.toast_ok()
            self.wait(lambda d: p['notice_title'] in self.view_text()
                      and self.css('table.list'), 'the new notice listed')

        def push():
            self.go(self.link('pushes/new'), 'form.edit-form')
            self.one('input[name=title]').send_keys(p['push_title'])
            self.one('textarea[name=body]').send_keys(p['push_body'])
            self.shot('push-new')
            self.press(self.one('form.edit-form button[type=submit]'))
            self.toast_ok()
            self.wait(lambda d: p['push_title'] in self.view_text()
                      and self.css('table.list'), 'the push listed')
            self.shot('pushes-list')

        def push_users():
            self.go(self.link('pushes/new'), 'form.edit-form')
            self.one('input[name=title]').send_keys(p['push2_title'])
            self.one('textarea[name=body]').send_keys('to some users')
            self.one('input[name=to][value=users]').click()
            self.one('input[name=user_ids]').send_keys(
                ', '.join(str(u) for u in p['push2_users']))
            self.press(self.one('form.edit-form button[type=submit]'))
            self.toast_ok()
            self.wait(lambda d: p['push2_title'] in self.view_text()
                      and self.css('table.list'), 'the second push listed')
            row = [r for r in self.css('table.list tbody tr')
                   if p['push2_title'] in r.text][0]
            row.find_elements(By.TAG_NAME, 'td')[1].click()
            self.one('dl.kv', 'the push')
            self.shot('push-view')

        def users():
            self.go(self.link('users'), 'table.list')
            q = self.one('form.search input[name=q]')
            self.submit_filter(q, p['user_query'], 'q=')
            assert p['user_query'] in self.view_text(), 'user not found'
            self.shot('users-list')
            self.go(self.link('users/%s' % p['user_id']), 'dl.kv')
            self.shot('user-view')

        def user_export():
            self.press(self.one('button[data-action=export]'))
            self.toast_ok()
            want = os.path.join(p['downloads'],
                                'user-%s-export.json' % p['user_id'])
            self.wait(lambda d: os.path.exists(want), 'the export file', 20)
            with open(want, encoding='utf-8') as f:
                doc = json.load(f)
            assert isinstance(doc, dict) and doc, 'empty export'
            return 'export: ' + want

        def user_disable():
            self.one('button[data-action=disable]').click()
            self.dialog_ok()
            self.toast_ok()
            self.one('button[data-action=enable]', 'the Enable button')
            self.shot('user-disabled')
            self.press(self.one('button[data-action=enable]'))
            self.toast_ok()
            self.one('button[data-action=disable]', 'the Disable button')

        def user_delete():
            self.go(self.link('users/%s' % p['delete_user_id']), 'dl.kv')
            self.one('button[data-action=delete]').click()
            self.shot('user-delete-confirm')
            self.dialog_ok(typed=str(p['delete_user_id']))
            self.toast_ok()
            self.wait(lambda d: '#/users' in d.current_url
                      and '/users/' not in d.current_url, 'back to users')

        def projects():
            self.go(self.link('projects'), 'table.list')
            assert p['project_title'] in self.view_text(), \
                'the review queue lacks the project'
            self.shot('projects-review')
            self.go(self.link('projects/%s' % p['project_id']),
                    'button[data-action=approve]')
            self.shot('project-view')
            self.one('button[data-action=approve]').click()
            self.dialog_ok()
            self.toast_ok()
            self.wait(lambda d: self._visible('button[data-action=takedown]'),
                      'the approved project (Take down offered)')
            self.shot('project-approved')

        def project_reject():
            self.go(self.link('projects/%s' % p['reject_project_id']),
                    'button[data-action=reject]')
            self.one('button[data-action=reject]').click()
            self.dialog_ok(note=p['reject_note'])
            self.toast_ok()
            self.wait(lambda d: not self._visible(
                'button[data-action=reject]'), 'the rejected project')

        def project_takedown_row():
            # from its row of the open list: Take down asks for a note;
            # Cancel leaves the project, OK takes it down, and the row
            # goes without the project being opened
            self.go(self.link('projects', 'status=open'), 'table.list')
            sel = 'button[data-action=takedown][data-id="%s"]' \
                % p['takedown_project_id']
            btn = self.one(sel, "the row's Take down")
            row = btn.find_element(By.XPATH, './ancestor::tr')
            assert p['takedown_title'] in row.text, row.text
            btn.click()
            dlg = self.one('dialog[open]', 'the confirmation dialog')
            assert p['takedown_title'] in dlg.text, dlg.text
            dlg.find_element(By.CSS_SELECTOR, 'button.ghost').click()
            self.wait(lambda d: not self.css('dialog[open]'), 'cancelled')
            assert p['takedown_title'] in self.view_text(), 'gone on Cancel'
            self.one(sel).click()
            self.shot('project-takedown-row-confirm')
            self.dialog_ok(note=p['takedown_note'])
            self.toast_ok()
            self.wait(lambda d: self.css('table.list')
                      and p['takedown_title'] not in self.view_text(),
                      'the row gone from the open list')
            assert '#/projects?' in d.current_url \
                and 'status=open' in d.current_url, \
                'the row opened: ' + d.current_url
            assert p['project_title'] in self.view_text(), \
                'the other open project went too'
            self.go(self.link('projects', 'status=cancelled'), 'table.list')
            row = [r for r in self.css('table.list tbody tr')
                   if p['takedown_title'] in r.text]
            assert row, 'not among the cancelled'
            assert not row[0].find_elements(By.CSS_SELECTOR, 'button'), \
                'a cancelled project still offers Take down'
            self.shot('projects-cancelled')

        def orders():
            self.go(self.link('orders'), 'table.list')
            self.shot('orders-list')
            if p.get('order_id'):
                self.go(self.link('orders/%s' % p['order_id']), 'dl.kv')
                self.shot('order-view')

        def settings():
            self.go(self.link('settings'), 'form.settings-form')
            text = self.view_text()
            for key in p.get('secret_keys', []):
                row = [r for r in self.css('.setting.secret')
                       if r.get_attribute('data-key') == key]
                assert row, 'no secret row %s' % key
                inp = row[0].find_element(By.CSS_SELECTOR,
                                          'input, textarea')
                assert inp.get_attribute('value') == '', \
                    'a secret shown in its field'
                assert '已设置' in row[0].text, \
                    'no "set" badge: %r' % row[0].text
            for secret in p.get('secret_values', []):
                assert secret not in text, 'a secret value on the page'
                assert secret not in d.page_source, 'a secret in the DOM'
            self.shot('settings')
            # change a plain one, write a secret one
            for key, value in p.get('settings_put', {}).items():
                inp = self.one('[name="%s"]' % key)
                inp.clear()
                inp.send_keys(value)
            if p.get('settings_put'):
                self.press(self.one('form.settings-form button[type=submit]'))
                self.toast_ok()
                self.settle('form.settings-form', 'the settings again')
                for key in p.get('secret_put', []):
                    row = [r for r in self.css('.setting.secret')
                           if r.get_attribute('data-key') == key]
                    assert row and '已设置' in row[0].text, \
                        '%s not shown as set' % key
                    assert row[0].find_element(
                        By.CSS_SELECTOR, 'input, textarea') \
                        .get_attribute('value') == '', 'a secret shown'

        def audit():
            self.go(self.link('audit'), 'table.list')
            self.shot('audit')
            act = self.one('form.filters input[name=action]')
            self.submit_filter(act, 'admin.feedback', 'action=admin.feedback')
            assert 'admin.feedback.reply' in self.view_text(), \
                'no admin.feedback.reply row'
            self.shot('audit-filtered')

        def phone():
            self.viewport(390, 844, True)
            self.go(self.link('feedback'), 'table.list')
            toggle = self.one('#nav-toggle', 'the nav toggle')
            nav = d.find_element(By.ID, 'nav')
            assert not nav.is_displayed(), 'the nav shows before the toggle'
            self.shot('feedback-list')
            toggle.click()
            self.wait(lambda d: nav.is_displayed(), 'the nav open')
            self.shot('nav-open')
            d.find_element(By.CSS_SELECTOR, '#nav a[href*="pushes"]').click()
            self.wait(lambda d: not nav.is_displayed()
                      and self._visible('table.list'), 'pushes, nav closed')
            # cards, not a table: the header row hidden
            th = self.css('table.list thead')
            assert th and not th[0].is_displayed(), 'the table head shows'
            self.shot('pushes-list')
            width = d.execute_script(
                'return document.documentElement.scrollWidth')
            assert width <= 390, 'the page is %dpx wide' % width
            for page, ready, name in (
                    ('feedback/%s' % p['feedback_id'], '.feedback-content',
                     'feedback-view'),
                    ('faq', 'table.list', 'faq-list'),
                    ('faq/new', 'form.edit-form', 'faq-new'),
                    ('notices', 'table.list', 'notices-list'),
                    ('pushes/new', 'form.edit-form', 'push-new'),
                    ('users', 'table.list', 'users-list'),
                    ('users/%s' % p['user_id'], 'dl.kv', 'user-view'),
                    ('projects', 'table.list', 'projects-review'),
                    ('projects/%s' % p['project_id'], 'dl.kv',
                     'project-view'),
                    ('orders', 'table.list', 'orders-list'),
                    ('settings', 'form.settings-form', 'settings'),
                    ('audit', 'table.list', 'audit')):
                self.go(self.link(page), ready)
                w = d.execute_script(
                    'return document.documentElement.scrollWidth')
                assert w <= 390, '%s is %dpx wide' % (page, w)
                self.shot(name)
            if p.get('order_id'):
                self.go(self.link('orders/%s' % p['order_id']), 'dl.kv')
                self.shot('order-view')

        def signout():
            self.viewport(1280, 800, False)
            self.one('#sign-out').click()
            self.one('form.signin-form', 'the sign-in again')
            # the session is gone: a reload still shows the sign-in
            d.get(self.base + '/admin/' + self.link('feedback'))
            self.one('form.signin-form', 'the sign-in after a reload')

        def english_signin():
            d.get(self.base + '/admin/')
            self.one('form.signin-form input[name=login]', 'the sign-in')
            self.wait(lambda d: d.find_element(By.TAG_NAME, 'html')
                      .get_attribute('lang') == 'en', 'lang="en"')
            text = self.view_text()
            assert 'Sign in' in text, 'sign-in text: %r' % text
            self.shot('signin-en')

        def english_totp():
            # a manager of one app, with TOTP: the code is asked for
            # after the password, and the inbox follows (no app picker)
            d.find_element(By.CSS_SELECTOR, 'input[name=login]') \
                .send_keys(p['totp_login'])
            d.find_element(By.CSS_SELECTOR, 'input[name=password]') \
                .send_keys(p['totp_password'] + Keys.ENTER)
            code = self.one('input[name=totp]', 'the TOTP field')
            self.shot('signin-totp-en')
            code.send_keys(p['totp_code'] + Keys.ENTER)
            self.wait(lambda d: 'signed-out' not in
                      d.find_element(By.TAG_NAME, 'body')
                       .get_attribute('class'), 'signed in')
            self.settle('table.list', 'the inbox')
            assert 'app=' not in d.current_url, d.current_url

        def english_pages():
            self.go(self.link('feedback', 'status=all'), 'table.list')
            nav = d.find_element(By.ID, 'nav').text
            assert 'Feedback' in nav and 'Audit log' in nav, nav
            self.shot('feedback-list-en')
            self.viewport(390, 844, True)
            self.go(self.link('pushes'), 'table.list')
            self.shot('pushes-list-en')

        if p.get('mode') == 'english':
            for name, fn in (('English sign-in', english_signin),
                             ('English sign-in with TOTP', english_totp),
                             ('English pages', english_pages)):
                self.step(name, fn)
                self.collect_probe()
            self.collect_log()
            return

        walk = [
            ('sign-in page', signin_page),
            ('wrong password refused', signin_wrong),
            ('sign in', signin_right),
            ('feedback inbox', inbox),
            ('feedback XSS renders as text', xss),
            ('reply to feedback', reply),
            ('FAQ create and edit', faq),
            ('FAQ delete with confirm', faq_delete),
            ('notice create', notices),
            ('push to all', push),
            ('push to listed users and its targets', push_users),
            ('users search and view', users),
            ('user export download', user_export),
            ('user disable and enable', user_disable),
            ('user delete with typed id', user_delete),
            ('project approve', projects),
            ('project reject with note', project_reject),
            ('project take down from its row', project_takedown_row),
            ('orders', orders),
            ('settings (secrets write-only)', settings),
            ('audit log filter', audit),
            ('phone layout', phone),
            ('sign out', signout),
        ]
        signed_in = True
        for name, fn in walk:
            if not signed_in and name not in ('sign-in page',
                                              'wrong password refused'):
                self.steps.append({'name': name, 'ok': False,
                                   'detail': 'not signed in'})
                continue
            ok = self.step(name, fn)
            if name == 'sign in' and not ok:
                signed_in = False
            self.collect_probe()
        self.collect_log()

    def report(self):
        return {'steps': self.steps, 'csp': len(self.csp),
                'csp_lines': self.csp, 'js_errors': self.js_errors,
                'shots': self.shots, 'dir': self.shots_dir}

    def quit(self):
        try:
            self.d.quit()
        except WebDriverException:
            pass


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        plan = json.load(f)
    try:
        walk = Walk(plan)
    except WebDriverException as e:
        print(json.dumps({'fatal': 'chromium did not start: %s' % e}))
        return 1
    try:
        walk.run()
    finally:
        walk.quit()
    print(json.dumps(walk.report()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
