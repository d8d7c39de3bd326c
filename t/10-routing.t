#!/usr/bin/perl

# 10-routing.t: what the runtime answers before a handler runs: unknown
# paths in the dialect their shape belongs to, 405 with Allow, 413 from
# featcgi (max_body) and from nginx (client_max_body_size), malformed JSON
# and wrong types as field errors, X-Request-Id, no query string in the
# access logs, unknown apps, and a dialect switched off.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new(max_body => '1k', -body_limit => '8k',
    app_header => 'on');
my ($st, $h, $j);

# ---- unknown paths, by shape ----------------------------------------------

for my $p ('/api/nope/', '/api/auth/send_code/', '/o/nope', '/o/token') {
    ($st, $h, $j) = $t->get($p);
    is($st, 404, "GET $p: 404");
    is($j->{code}, 'not_found', "GET $p: feat not_found");
    ok(defined $j->{detail} && $j->{detail} ne '', "GET $p: feat detail");
}

for my $p ('/api/user/nope', '/api/get_nothing', '/check/nope', '/faqx',
    '/area/x', '/api/token/x', '/api/reset_tokenx')
{
    ($st, $h, $j) = $t->get($p);
    is($st, 404, "GET $p: 404");
    is($j->{code}, 10008, "GET $p: v1 10008");
    ok(!exists $j->{data}, "GET $p: v1 envelope without data");
}

for my $p ('/api/nope', '/nope', '/api/auth/nope', '/api/faqs/x/y') {
    ($st, $h, $j) = $t->get($p);
    is($st, 404, "GET $p: 404");
    is($j->{code}, 10002, "GET $p: v2 10002");
    is_deeply($j->{data}, {}, "GET $p: v2 data {}");
}

# A route matches exactly: no slash redirect, and the other shape answers.
($st, $h, $j) = $t->post('/api/auth/send_code/', { account => '13800138000' });
is($st, 404, 'trailing slash is another path');
is($j->{code}, 'not_found', '... answered by feat');
is($t->db_value('SELECT count(*) FROM codes'), 0, '... nothing stored');

# ---- 405 ------------------------------------------------------------------

($st, $h, $j) = $t->get('/api/auth/send_code');
is($st, 405, 'GET on a POST route: 405');
like($h->{allow} // '', qr/\bPOST\b/, '... Allow names POST');
unlike($h->{allow} // '', qr/\bGET\b/, '... and not GET');
is($j->{code}, 10002, '... v2 code 10002');

# The OAuth2 routes answer in their own dialect before any handler runs.
($st, $h, $j) = $t->get('/o/token/');
is($st, 405, 'GET /o/token/: 405');
is($h->{allow}, 'POST', '... Allow: POST');
is($j->{error}, 'invalid_request', '... an RFC 6749 error');
is($h->{'cache-control'}, 'no-store', '... not to be cached');

($st, $h, $j) = $t->delete('/api/personal/info');
is($st, 405, 'DELETE /api/personal/info: 405');
like($h->{allow} // '', qr/\bGET\b/, '... Allow has GET');
like($h->{allow} // '', qr/\bPUT\b/, '... and PUT');

# ---- 415: a body neither JSON nor urlencoded ---------------------------------

for my $c ([ '/api/auth/send_code', 'code', 10005, 415 ],
    [ '/api/token/check', 'code', 10012, 415 ],
    [ '/api/auth/phone/vcode/', 'code', 'unsupported_media_type', 415 ])
{
    ($st, $h, $j) = $t->post($c->[0], '{"account":"13800138001"}',
        { 'Content-Type' => 'text/plain' });
    is($st, $c->[3], "$c->[0] with a text/plain body: $c->[3]");
    is($j->{ $c->[1] }, $c->[2], "... in the dialect's form ($c->[2])");
}
is($t->db_value('SELECT count(*) FROM codes'), 0,
    '... and no code was sent for a body nobody read');

# ---- 413 ------------------------------------------------------------------

my $big = '{"account":"13800138000","pad":"' . ('x' x 4000) . '"}';
($st, $h, $j) = $t->post('/api/auth/send_code', $big);
is($st, 413, 'body over max_body: 413 from featcgi');
is($j->{code}, 10005, '... v2 code 10005');
is_deeply($j->{data}, {}, '... v2 envelope');
is($t->db_value('SELECT count(*) FROM codes'), 0, '... no code stored');
is(scalar(grep { /13800138000/ } $t->log_lines('../sms.log')), 0,
    '... nothing sent');

# The connection stays sane after a drained body.
($st, $h, $j) = $t->get('/api/nope');
is($st, 404, 'next request after a 413 answered');

my $huge = '{"account":"13800138000","pad":"' . ('x' x 20000) . '"}';
# v2 and v1 say their seed's text of the code (issue 12), feat its own
for my $c ([ '/api/auth/register', 'code', 10005, '请求字段不合法' ],
    [ '/api/user/img', 'code', 10012, '缺少字段' ],
    [ '/api/user/user-image/', 'code', 'request_too_large', '请求体过大' ])
{
    ($st, $h, $j) = $t->post($c->[0], $huge);
    is($st, 413, "nginx's 413 on $c->[0]");
    like($h->{'content-type'} // '', qr{application/json},
        '... as JSON');
    is($j->{ $c->[1] }, $c->[2], "... in the dialect's form ($c->[2])");
    is($j->{message} // $j->{detail} // '', $c->[3],
        "... with the message $c->[3]");
}
is($t->db_value('SELECT count(*) FROM codes'), 0, 'still no code stored');

# The OAuth2 endpoints are the oauth2 dialect's: RFC 6749 bodies for
# featcgi's 413 and nginx's alike; other paths under /o/ stay feat's.
my $form = 'grant_type=password&pad=' . ('x' x 4000);
($st, $h, $j) = $t->post('/o/token/', $form,
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($st, 413, 'a body over max_body on /o/token/: 413 from featcgi');
is_deeply($j, { error => 'invalid_request',
    error_description => 'request body too large' },
    '... an RFC 6749 error body');
is($h->{'cache-control'}, 'no-store', '... not to be cached');
($st, $h, $j) = $t->post('/o/token/', $huge,
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($st, 413, "nginx's 413 on /o/token/");
is_deeply($j, { error => 'invalid_request',
    error_description => 'request body too large' },
    '... the same RFC 6749 body');
($st, $h, $j) = $t->post('/o/nope/', $huge);
is($j->{code}, 'request_too_large', "nginx's 413 on /o/nope/: feat's");
is($t->db_value('SELECT count(*) FROM sessions'), 0, 'no session made');

# ---- requests nginx refuses itself ------------------------------------------

# Headers over nginx's buffers: JSON in the path's dialect.
for my $c ([ '/check/register', 'code', 10012 ],
    [ '/api/personal/info', 'code', 10005 ],
    [ '/api/user/profile/', 'code', 'invalid' ],
    [ '/o/introspect/', 'error', 'invalid_request' ])
{
    ($st, $h, $j) = $t->get($c->[0], { 'X-Pad' => 'y' x 40000 });
    is($st, 400, "a 40 KB header on $c->[0]: nginx's 400");
    like($h->{'content-type'} // '', qr{application/json}, '... as JSON');
    is(ref $j eq 'HASH' ? $j->{ $c->[1] } : undef, $c->[2],
        "... in the dialect's form ($c->[2])");
}

# A URI over the buffers has no URI to choose a dialect by: 414 in the
# default dialect's JSON (never a 500 from a failed error_page redirect,
# never nginx's HTML).
($st, $h, $j) = $t->get('/api/faq?q=' . ('x' x 12000));
is($st, 414, "a 12 KB URI: 414");
like($h->{'content-type'} // '', qr{application/json}, '... as JSON');
is(ref $j eq 'HASH' ? $j->{code} : undef, 10005, '... in the default dialect');

# The shipped site and the template choose nginx's error bodies from the
# same maps file, and neither keeps a map of its own.
{
    my ($site, $tpl) = map { FeatTest::_slurp(FeatTest::srcdir() . "/nginx/$_") }
        qw(featcgi-site.conf featcgi.conf.in);
    like($site, qr{^include snippets/featcgi-maps\.conf;$}m,
        'site includes the maps');
    like($tpl, qr{^\s*include \@NGINX_DIR\@/featcgi-maps\.conf;$}m,
        'template includes the maps');
    unlike($site . $tpl, qr/^\s*map /m, '... and defines none itself');
    (my $directives = $site) =~ s/#.*//g;    # the comments quote it
    unlike($directives, qr/fastcgi_keep_conn\s+on/, 'no fastcgi_keep_conn');
}

# ---- bodies ---------------------------------------------------------------

for my $bad ('{"account":', '{"account":"13800138000",}', 'not json',
    '[1,2', "{\"account\":\"\xff\xfe\"}")
{
    ($st, $h, $j) = $t->post('/api/auth/send_code', $bad);
    is($st, 200, "malformed JSON " . substr($bad, 0, 12) . ": 200");
    is($j->{code}, 10005, '... 10005');
}

for my $bad ({ account => 13800138000 }, { account => undef },
    { account => ['13800138000'] }, { account => { a => 1 } },
    { account => JSON::PP::true }, {}, [ 'x' ], 'null')
{
    my $show = ref($bad) ? FeatTest::json()->encode($bad) : $bad;
    ($st, $h, $j) = $t->post('/api/auth/send_code', $bad);
    is($st, 200, "wrong type $show: 200");
    is($j->{code}, 10005, '... 10005');
}
is($t->db_value('SELECT count(*) FROM codes'), 0, 'no code stored by any');

# ---- request id and logs --------------------------------------------------

($st, $h, $j) = $t->get('/api/nope?password=SeCrEtPaSs&token=SeCrEtToK');
my $rid = $h->{'x-request-id'};
ok(defined $rid && $rid =~ /^[0-9a-f]{16,32}$/, "X-Request-Id $rid");
($st, $h, $j) = $t->post('/api/auth/send_code?code=SeCrEtCoDe',
    { account => 'bad' });
ok(defined $h->{'x-request-id'} && $h->{'x-request-id'} ne $rid,
    'each answer has its own X-Request-Id');

{
    my @acc = $t->log_lines('featcgi-access.log');
    my @ngx = $t->log_lines('nginx-access.log');

    ok(scalar(grep { m{/api/nope} } @acc), 'featcgi access log has the path');
    # time, request id, client, app, method, path, status, duration (ms)
    my ($line) = grep { index($_, substr($rid, 0, 16)) >= 0 } @acc;
    like($line // '', qr{^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d
        \s\Q$rid\E\s127\.0\.0\.1\sapp=\sGET\s/api/nope\s404\s\d+\.\d{3}$}x,
        '... with time, request id, client, app, method, status, duration')
        or diag($line);
    ok(scalar(grep { m{\sPOST /api/auth/send_code 200 \d+\.\d{3}$} } @acc),
        '... and a POST answered 200');
    ok(scalar(grep { index($_, substr($rid, 0, 16)) >= 0 } @acc),
        '... and the request id');
    ok(!grep({ /SeCrEt|\?/ } @acc), '... and no query string');
    ok(scalar(grep { m{/api/nope} } @ngx), 'nginx access log has the path');
    ok(!grep({ /SeCrEt|\?/ } @ngx), '... and no query string');
}

# ---- apps -----------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13800138001' },
    { 'X-App-Id' => 'nosuch' });
is($j->{code}, 10003, 'unknown app by X-App-Id: 10003');
($st, $h, $j) = $t->get('/api/personal/info', { 'X-App-Id' => 'nosuch' });
is($j->{code}, 10003, '... before the token is looked at');
($st, $h, $j) = $t->post('/o/token/', 'grant_type=password',
    { 'X-App-Id' => 'nosuch',
      'Content-Type' => 'application/x-www-form-urlencoded' });
is($st, 401, 'unknown app on /o/token/: 401');
is($j->{error}, 'invalid_client', '... invalid_client (no client is known)');
($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13800138001' },
    { -app => 'shop' });
is($j->{code}, 10003, 'unknown app by FEAT_APP_ID (nginx block): 10003');
is($t->db_value('SELECT count(*) FROM codes'), 0, '... nothing stored');
($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13800138001' },
    { 'X-App-Id' => '' });
is($j->{code}, 0, 'empty X-App-Id is the default app');

$t->stop;

# ---- a dialect switched off, app_header off --------------------------------

my $t2 = FeatTest->new(dialects => 'v1 feat');

($st, $h, $j) = $t2->post('/api/auth/send_code', { account => '13800138000' });
is($st, 404, 'v2 off: its route is unmatched');
is($j->{code}, 10002, '... answered as a v2 404');
is($t2->db_value('SELECT count(*) FROM codes'), 0, '... nothing stored');
($st, $h, $j) = $t2->get('/api/personal/info');
is($st, 404, 'v2 off: personal/info unmatched too');
$t2->stop;

my $t3 = FeatTest->new();
($st, $h, $j) = $t3->post('/api/auth/send_code', { account => '13800138000' },
    { 'X-App-Id' => 'nosuch' });
is($j->{code}, 0, 'app_header off: X-App-Id is ignored');
is($t3->db_value(q{SELECT app_id FROM codes}), '', '... the default app');
$t3->stop;

done_testing;
