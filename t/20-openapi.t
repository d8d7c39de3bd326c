#!/usr/bin/perl

# 20-openapi.t: the OpenAPI 3.1 document (fcgi/protocol/openapi.c).
# "featctl openapi" and GET /api/openapi.json give the same bytes, which a
# real validator passes: @seriousme/openapi-schema-validator (the official
# OpenAPI JSON schemas, every $ref resolved) with each schema compiled by
# Ajv as JSON Schema 2020-12 (t/openapi/validate.mjs; tools/test installs
# it with npm ci from t/openapi/package-lock.json).  No validator is a
# failure, never a skip, and the validator is shown to refuse documents
# broken on purpose.  Every route of "featcgi -R" is in it under its path
# and method; the answer is public, cached (ETag, 304), served for an
# unknown app too; and the limits it gives feedback's fields are the ones
# the server applies.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest qw(json);
use FeatAdmin;
use Test::More;

my $src = FeatTest::srcdir();
my $validator = "$src/t/openapi/validate.mjs";
my $installed = "$src/t/openapi/node_modules/"
    . '@seriousme/openapi-schema-validator/package.json';

ok(-e $installed, 'the validator is installed (tools/test: npm ci in '
    . 't/openapi)') or BAIL_OUT('no OpenAPI validator: run tools/test, or '
    . "npm ci --prefix $src/t/openapi");
my ($node) = grep { -x } map { "$_/node" } split /:/, $ENV{PATH} // '';
$node //= '';
ok($node ne '', 'node is on PATH') or BAIL_OUT('no node: apt-get install '
    . 'nodejs');

my $t = FeatTest->new(app_header => 'on');
my $dir = $t->dir;

# Runs the validator on a document: (exit status, its output).
sub validate {
    my ($doc) = @_;
    my $file = "$dir/doc-" . int(rand(1e9)) . '.json';

    open(my $fh, '>:raw', $file) or die "$file: $!";
    print {$fh} ref($doc) ? json()->encode($doc) : $doc;
    close($fh);
    my $out = `'$node' '$validator' '$file' 2>&1`;
    my $rc = $? >> 8;
    unlink($file);
    return ($rc, $out);
}

# ---- featctl openapi and GET /api/openapi.json ------------------------------

my ($rc, $text, $err) = $t->featctl('openapi');
is($rc, 0, 'featctl openapi: exit 0') or diag($err);
my $doc = eval { json()->decode($text) };
is(ref($doc), 'HASH', '... prints a JSON document');
is($doc->{openapi}, '3.1.0', '... OpenAPI 3.1.0');
is($doc->{info}{title}, 'featcgi', '... titled featcgi');
like($doc->{info}{version}, qr/^\d+\.\d+/, '... with the version');
is_deeply($doc->{servers}, [ { url => '/' } ],
    '... served from "/" (no public_url)');

($rc, undef, $err) = $t->featctl('openapi', "$dir/openapi.json");
is($rc, 0, 'featctl openapi FILE: exit 0') or diag($err);
open(my $fh, '<:raw', "$dir/openapi.json") or die "openapi.json: $!";
my $file = do { local $/; <$fh> };
close($fh);
is($file, $text, '... the same bytes in FILE');
is((stat("$dir/openapi.json"))[2] & 07777, 0644, '... mode 0644');
is_deeply([ grep { /^openapi\.json\./ } do { opendir(my $d, $dir);
    readdir($d) } ], [], '... no temporary file left');

my ($st, $h, $body) = $t->request('GET', '/api/openapi.json', undef,
    { 'X-App-Id' => 'no-such-app' });
is($st, 200, 'GET /api/openapi.json: 200, for an unknown app too');
like($h->{'content-type'}, qr{^application/json}, '... JSON');
is(json()->encode($body), json()->encode($doc), '... the same document');
is($h->{'cache-control'}, 'public, max-age=300', '... cacheable');
like($h->{etag}, qr/^"[0-9a-f]{32}"$/, '... with an ETag');
my $etag = $h->{etag};

my ($st2, $h2) = $t->get('/api/openapi.json');
is($h2->{etag}, $etag, '... the same ETag on the next request');
($st2, $h2, my $b2) = $t->get('/api/openapi.json',
    { 'If-None-Match' => $etag });
is($st2, 304, 'If-None-Match with it: 304');
is($b2, '', '... without a body');
($st2) = $t->get('/api/openapi.json', { 'If-None-Match' => '"other"' });
is($st2, 200, 'another ETag: 200');

($st2, undef, $b2) = $t->post('/api/openapi.json', {});
is($st2, 405, 'POST /api/openapi.json: 405');
is(ref($b2) && $b2->{code}, 'method_not_allowed', '... in feat\'s form');

# ---- the validator ----------------------------------------------------------

my ($vrc, $vout) = validate($text);
is($vrc, 0, 'the document is valid OpenAPI 3.1') or diag($vout);
like($vout, qr/valid OpenAPI 3\.1\.0/, '... says the validator');

my $bad = json()->decode($text);
$bad->{paths}{'/api/feedback'}{post}{responses}{200}
    = { '$ref' => '#/components/responses/no-such-response' };
($vrc, $vout) = validate($bad);
isnt($vrc, 0, 'a broken $ref is refused');
like($vout, qr/no-such-response/, '... naming it');

$bad = json()->decode($text);
$bad->{components}{schemas}{'v2.envelope'}{type} = 'text';
($vrc, $vout) = validate($bad);
isnt($vrc, 0, 'a schema of an unknown type is refused');

$bad = json()->decode($text);
delete $bad->{info};
($vrc, $vout) = validate($bad);
isnt($vrc, 0, 'a document without info is refused');

# ---- every route ------------------------------------------------------------

my $bin = FeatTest::builddir() . '/featcgi';
my @routes = map { [ split ' ' ] } grep { /^[A-Z]+ \// }
    split /\n/, `'$bin' -c '${\ $t->conf_file}' -R`;
ok(@routes > 50, 'featcgi -R lists the routes (' . scalar(@routes) . ')');
my (%ids, $n);
for my $r (@routes) {
    my ($method, $path, $dialect, $flags) = @$r;
    my $op = $doc->{paths}{$path}{lc $method};
    ok($op, "$method $path is in the document") or next;
    ok(grep({ $_ eq $dialect } @{ $op->{tags} }), "... tagged $dialect");
    $ids{ $op->{operationId} }++;
    $n++;
    my @params = map { $_->{name} } grep { $_->{in} eq 'path' }
        @{ $op->{parameters} // [] };
    is_deeply(\@params, [ $path =~ /\{(\w+)\}/g ], '... its path parameters')
        if $path =~ /\{/;
    if ($flags =~ /session/) {
        ok(@{ $op->{security} } > 0, '... needs a token');
    } elsif ($flags =~ /jwt/) {
        ok(grep({ exists $_->{jwt} } @{ $op->{security} }), '... a v1 JWT');
    }
}
is(scalar(keys %ids), $n, 'operationIds are unique');
my $ops = 0;
$ops += keys %{ $doc->{paths}{$_} } for keys %{ $doc->{paths} };
is($ops, scalar(@routes), 'no operation the table does not have');

# the modules that declare their schemas: every route of theirs has one
my %declared = map { $_ => 1 } qw(accounts accounts-v1 accounts-feat oauth2
    profile profile-v1 profile-feat feedback feedback-v1 openapi health
    service pay push images images-v1 apns alipay faq faq-v1 notices area
    admin);
for my $path (sort keys %{ $doc->{paths} }) {
    for my $m (sort keys %{ $doc->{paths}{$path} }) {
        my $op = $doc->{paths}{$path}{$m};
        next if !grep { $declared{$_} } @{ $op->{tags} };
        isnt($op->{summary}, uc($m) . " $path",
            uc($m) . " $path declares its schema");
    }
}

# scopes, by the route's flags
is_deeply($doc->{paths}{'/api/feedback'}{post}{security},
    [ { token => ['write'] }, { oauth2 => ['write'] } ],
    'POST /api/feedback: Token or Bearer with scope write');
is_deeply($doc->{paths}{'/api/feedback'}{get}{security},
    [ { token => ['read'] }, { oauth2 => ['read'] } ], 'GET: scope read');
is_deeply($doc->{paths}{'/api/pay/order/pay/'}{post}{security},
    [ { token => ['pay_trade_order'] }, { oauth2 => ['pay_trade_order'] } ],
    'paying: scope pay_trade_order');
is_deeply($doc->{paths}{'/api/auth/destroy_token'}{post}{security},
    [ { token => [] }, { oauth2 => [] } ], 'revoking one\'s token: no scope');
is_deeply($doc->{paths}{'/api/openapi.json'}{get}{security}, [],
    'the document itself: public');
my $o2 = $doc->{components}{securitySchemes}{oauth2}{flows};
is($o2->{password}{tokenUrl}, '/o/token/', 'OAuth2 token URL /o/token/');

# ---- the dialects' codes are their tables' ----------------------------------

my %codes;
for (split /\n/, `'$bin' -c '${\ $t->conf_file}' -E`) {
    my ($d, undef, $status, $code) = split /\t/;
    $codes{$d}{$code} = 1;
}
for my $d (sort keys %codes) {
    my $s = $doc->{components}{schemas}{"$d.error"};
    my $p = $s->{properties};
    my ($member) = grep { $p->{$_}{enum} } keys %$p;
    # admin's codes sit one level down: {"error": {"code": ...}}
    if (!$member) {
        for my $k (grep { ($p->{$_}{type} // '') eq 'object' } keys %$p) {
            my $in = $p->{$k}{properties} // {};
            ($member) = grep { $in->{$_}{enum} } keys %$in;
            if ($member) { $p = $in; last }
        }
    }
    ok($member, "$d.error names its code member") or next;
    is_deeply([ sort map { "$_" } @{ $p->{$member}{enum} } ],
        [ sort keys %{ $codes{$d} } ], "... every code of ${d}'s table");
}

# ---- feedback's declared limits are the server's ----------------------------

my $create = $doc->{paths}{'/api/feedback'}{post};
my $in = $create->{requestBody}{content}{'application/json'}{schema};
is_deeply($in->{required}, ['feedback_content'],
    'POST /api/feedback: feedback_content required');
my $max = $in->{properties}{feedback_content}{maxLength};
ok($max && $max > 0, "... at most $max characters");
is($in->{properties}{contact_phone}{maxLength}, 32, '... phone at most 32');
is_deeply($in->{properties}{feedback_category_id}{type}, ['integer', 'null'],
    '... a category id or null');
ok($create->{requestBody}{content}{'application/x-www-form-urlencoded'},
    '... a form too');

my $reg = $doc->{paths}{'/api/auth/register'}{post}{requestBody}{content}
    {'application/json'}{schema}{properties}{password};
is_deeply([ @$reg{qw(minLength maxLength)} ], [ 6, 128 ],
    'v2 register: a password of 6 to 128 characters');
my $tok = $doc->{paths}{'/o/token/'}{post}{requestBody}{content};
ok($tok->{'application/x-www-form-urlencoded'}, '/o/token/: a form');
is_deeply($tok->{'application/json'}{schema}{required}, ['grant_type'],
    '... grant_type required');
my $pg = $doc->{paths}{'/api/feedback'}{get}{parameters};
is_deeply([ map { $_->{name} } @$pg ], [ 'page_no', 'page_size' ],
    'a v2 page: page_no and page_size');
is_deeply($doc->{paths}{'/api/user/profile/'}{delete}{responses}{204},
    { description => $doc->{paths}{'/api/user/profile/'}{delete}{summary} },
    'feat\'s deletion: 204 without a body');

my $u = FeatAdmin::user($t, '13500000001');
my $j = FeatAdmin::api($t, $u, 'POST', '/api/feedback',
    { feedback_content => '长' x ($max + 1) });
is($j->{code}, 10005, 'one character more than maxLength: 10005');
is($t->db_value('SELECT count(*) FROM feedback'), 0, '... nothing stored');
$j = FeatAdmin::api($t, $u, 'POST', '/api/feedback',
    { feedback_content => '长' x $max });
is($j->{code}, 0, 'maxLength characters: taken') or diag($j->{message});
is($t->db_value('SELECT length(content) FROM feedback'), $max,
    '... and stored whole');

$t->stop;
done_testing;
